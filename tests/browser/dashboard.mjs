// Loads the live dashboard in headless Chromium (Debian's, driven by playwright-core) while a
// seeded producer run is under way: the figures must change, and once the run is consumed the
// funnel and top-product numbers shown must equal /api/metrics. Saves a screenshot.
//   node dashboard.mjs URL EXPECTED_EVENTS SCREENSHOT_PATH
import { chromium } from "playwright-core";

const [url, expectedEvents, screenshot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const fail = async (message) => {
  console.error(`dashboard check failed: ${message}`);
  await browser.close();
  process.exit(1);
};
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  await page.goto(url);
  const number = async (id) => Number((await page.textContent(`#${id}`)).replace(/,/g, ""));

  // The figures change while events arrive.
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("group"), null, { timeout: 15000 });
  const first = await number("kpi-events");
  console.log("ready"); // the test starts the producers now
  await page.waitForFunction((before) => Number(document.getElementById("kpi-events").textContent.replace(/,/g, "")) > before,
    first, { timeout: 30000 });
  const second = await number("kpi-events");
  console.log(`events shown: ${first} then ${second}`);

  // Once everything is consumed, what the page shows equals /api/metrics.
  await page.waitForFunction((n) => Number(document.getElementById("kpi-events").textContent.replace(/,/g, "")) >= n,
    Number(expectedEvents), { timeout: 60000 });
  await page.waitForTimeout(1500); // one more update, so page and API show the same snapshot
  const api = await (await page.request.get(new URL("/api/metrics", url).toString())).json();
  const shown = {
    views: await number("funnel-views"),
    carts: await number("funnel-carts"),
    purchases: await number("funnel-purchases"),
    viewToPurchase: await page.textContent("#funnel-view-purchase"),
    cartToPurchase: await page.textContent("#funnel-cart-purchase"),
  };
  const expected = {
    views: api.events_by_type.view,
    carts: api.events_by_type.add_to_cart,
    purchases: api.events_by_type.purchase,
    viewToPurchase: (100 * api.view_to_purchase).toFixed(1) + "%",
    cartToPurchase: (100 * api.cart_to_purchase).toFixed(1) + "%",
  };
  if (JSON.stringify(shown) !== JSON.stringify(expected)) {
    await fail(`funnel shows ${JSON.stringify(shown)}, /api/metrics says ${JSON.stringify(expected)}`);
  }
  for (const [table, list] of [["top-viewed", api.top_viewed], ["top-carted", api.top_added_to_cart], ["top-purchased", api.top_purchased]]) {
    const rows = await page.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
    const want = list.map((t) => [`${t.product_id} ${t.product_name}`, t.count.toLocaleString("en-US")]);
    const got = rows.map((r) => r.slice(0, 2));
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      await fail(`${table} shows ${JSON.stringify(got)}, /api/metrics says ${JSON.stringify(want)}`);
    }
  }
  // The event-time chart shows the windows of /api/metrics (metrics-consumer --window), with the
  // watermark and the too-late count. The watermark moves once partitions fall idle: page and API
  // are compared again, a second later, until they show the same snapshot.
  let mismatch = "";
  for (let attempt = 0; attempt < 6; attempt++) {
    if (attempt > 0) await page.waitForTimeout(1000);
    const now = await (await page.request.get(new URL("/api/metrics", url).toString())).json();
    if (!Array.isArray(now.windows) || now.windows.length === 0) {
      await fail(`/api/metrics has no windows: ${JSON.stringify(now.windows)}`);
    }
    const bars = await page.$$eval("#windows rect.window", (rects) => rects.map((r) =>
      [r.dataset.start, Number(r.dataset.orders), Number(r.dataset.revenue), r.dataset.closed === "true"]));
    const wantBars = now.windows.map((w) => [w.start, w.orders, Number(w.revenue), w.closed]);
    const lateShown = await page.textContent("#window-too-late");
    const lateWanted = Object.values(now.too_late).reduce((s, n) => s + n, 0).toLocaleString("en-US");
    const watermarkShown = await page.textContent("#window-watermark");
    const watermarkWanted = `watermark ${now.watermark ? new Date(now.watermark).toISOString() : "none"}`;
    if (JSON.stringify(bars) !== JSON.stringify(wantBars)) {
      mismatch = `the event-time chart shows ${JSON.stringify(bars)}, /api/metrics says ${JSON.stringify(wantBars)}`;
    } else if (!lateShown.startsWith(`too late: ${lateWanted}`)) {
      mismatch = `the chart says "${lateShown}", /api/metrics counts ${lateWanted} too late`;
    } else if (watermarkShown !== watermarkWanted) {
      mismatch = `the chart says "${watermarkShown}", /api/metrics says ${watermarkWanted}`;
    } else {
      mismatch = "";
      console.log(`event-time chart shows the ${bars.length} windows of /api/metrics, ${watermarkShown}`);
      break;
    }
  }
  if (mismatch) await fail(mismatch);
  if (Number(expectedEvents) !== api.events) {
    await fail(`/api/metrics counts ${api.events} events, expected ${expectedEvents}`);
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`funnel and top products match /api/metrics; screenshot: ${screenshot}`);
} catch (error) {
  await fail(error.message);
}
await browser.close();
