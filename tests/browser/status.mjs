// Loads the dashboard in headless Chromium and waits until its status line contains a text (for
// example what a group's figures cover); prints the line.
//   node status.mjs URL TEXT
import { chromium } from "playwright-core";

const [url, text] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let code = 0;
try {
  const page = await browser.newPage();
  await page.goto(url);
  await page.waitForFunction((t) => document.getElementById("status").textContent.includes(t), text, { timeout: 30000 });
  console.log(await page.textContent("#status"));
} catch (error) {
  console.error(`status check failed: ${error.message}`);
  code = 1;
}
await browser.close();
process.exit(code);
