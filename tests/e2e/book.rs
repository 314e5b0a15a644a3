//! The book in docs/ (mdBook) and the README hold together: every relative link leads to a file
//! that exists and, for `page.md#anchor`, to a heading of that page; every page is in SUMMARY.md
//! and every SUMMARY entry exists; the README stays short. No broker needed.
//!
//! Anchors follow mdBook's rule: the heading's text in lower case, whitespace turned into '-',
//! every character other than a letter, a digit, '_' or '-' dropped, and "-1", "-2", ... after
//! a repeated heading.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use crate::util::repo_root;

/// The README's limit: what the project is, how to start, and where to read on.
const README_MAX_LINES: usize = 200;

/// The pages docs/SUMMARY.md lists, in its order, as paths from the repository's root.
pub fn summary_pages() -> Vec<PathBuf> {
    let summary = read(&repo_root().join("docs/SUMMARY.md"));
    links(&prose(&summary))
        .into_iter()
        .map(|target| PathBuf::from("docs").join(target))
        .collect()
}

/// Every Markdown page under docs/ (the built book in docs/book/ aside), from the root.
fn pages_on_disk() -> BTreeSet<PathBuf> {
    let root = repo_root();
    let mut pages = BTreeSet::new();
    let mut folders = vec![root.join("docs")];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && path != root.join("docs/book") {
                folders.push(path);
            } else if path.extension().is_some_and(|ext| ext == "md") {
                pages.insert(path.strip_prefix(&root).unwrap().to_path_buf());
            }
        }
    }
    pages
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text outside fenced code blocks, with inline code spans blanked out: what a link or a
/// heading can be in.
fn prose(markdown: &str) -> String {
    let mut outside_fences = String::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if !fenced {
            outside_fences.push_str(line);
            outside_fences.push('\n');
        }
    }
    without_code_spans(&outside_fences)
}

/// The text with each code span (a run of N backticks up to the next run of exactly N) replaced
/// by a space.
fn without_code_spans(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let run_at = |at: usize| chars[at..].iter().take_while(|&&c| c == '`').count();
    let mut out = String::new();
    let mut at = 0;
    while at < chars.len() {
        if chars[at] != '`' {
            out.push(chars[at]);
            at += 1;
            continue;
        }
        let opening = run_at(at);
        let mut close = at + opening;
        let end = loop {
            if close >= chars.len() {
                break None;
            }
            if chars[close] == '`' {
                let run = run_at(close);
                if run == opening {
                    break Some(close + run);
                }
                close += run;
            } else {
                close += 1;
            }
        };
        match end {
            Some(end) => {
                out.push(' ');
                at = end;
            }
            // An unclosed run is literal backticks.
            None => {
                out.extend(&chars[at..at + opening]);
                at += opening;
            }
        }
    }
    out
}

/// The targets of the inline links and images `[text](target)` in prose.
fn links(prose: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = prose;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let Some(end) = rest.find(')') else { break };
        // A title after the target ("page.md \"title\"") is not part of it.
        let target = rest[..end].split_whitespace().next().unwrap_or_default();
        targets.push(target.to_string());
        rest = &rest[end..];
    }
    targets
}

/// A heading's text as mdBook renders it: links reduced to their text, markup left for
/// `anchor` to drop.
fn heading_text(heading: &str) -> String {
    let mut text = String::new();
    let mut rest = heading;
    while let Some(at) = rest.find("](") {
        text.push_str(&rest[..at]);
        rest = match rest[at..].find(')') {
            Some(end) => &rest[at + end + 1..],
            None => "",
        };
    }
    text.push_str(rest);
    text
}

/// mdBook's id of a heading with this text.
fn anchor(text: &str) -> String {
    text.trim()
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// A page's headings outside fenced code: their level and text.
fn headings(markdown: &str) -> Vec<(usize, &str)> {
    let mut headings = Vec::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        let level = line.chars().take_while(|&c| c == '#').count();
        if let Some(text) = line[level..].strip_prefix(' ')
            && !fenced
            && (1..=6).contains(&level)
        {
            headings.push((level, text));
        }
    }
    headings
}

/// The anchors of a page's headings, repeated ones numbered as mdBook numbers them.
fn anchors(markdown: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut anchors = BTreeSet::new();
    for (_, text) in headings(markdown) {
        let id = anchor(&heading_text(text));
        let count = seen.entry(id.clone()).or_default();
        anchors.insert(match *count {
            0 => id.clone(),
            n => format!("{id}-{n}"),
        });
        *count += 1;
    }
    anchors
}

/// What is wrong with one relative link of `page` (a path from the root), if anything.
fn broken(page: &Path, target: &str) -> Option<String> {
    let (file, fragment) = match target.split_once('#') {
        Some((file, fragment)) => (file, Some(fragment)),
        None => (target, None),
    };
    let linked = match file {
        "" => page.to_path_buf(),
        file => page.parent().unwrap_or(Path::new("")).join(file),
    };
    let path = repo_root().join(&linked);
    if !path.exists() {
        return Some(format!("{} does not exist", linked.display()));
    }
    let fragment = fragment?;
    if path.extension().is_none_or(|ext| ext != "md") {
        return None;
    }
    let headings = anchors(&read(&path));
    (!headings.contains(fragment)).then(|| {
        format!(
            "{} has no heading #{fragment} (its anchors: {headings:?})",
            linked.display()
        )
    })
}

fn external(target: &str) -> bool {
    ["http://", "https://", "mailto:"]
        .iter()
        .any(|scheme| target.starts_with(scheme))
}

#[test]
fn every_relative_link_of_the_readme_and_the_book_resolves() {
    let mut pages = vec![PathBuf::from("README.md")];
    pages.extend(pages_on_disk());
    let mut checked = 0;
    let mut problems = Vec::new();
    for page in &pages {
        let markdown = read(&repo_root().join(page));
        for target in links(&prose(&markdown)) {
            if external(&target) {
                continue;
            }
            checked += 1;
            if let Some(problem) = broken(page, &target) {
                problems.push(format!("{}: ({target}): {problem}", page.display()));
            }
        }
    }
    assert!(
        checked >= 50,
        "only {checked} links found: is the parser right?"
    );
    assert!(
        problems.is_empty(),
        "broken links:\n{}",
        problems.join("\n")
    );
}

#[test]
fn summary_lists_every_page_and_every_entry_exists() {
    let listed = summary_pages();
    for page in &listed {
        assert!(
            repo_root().join(page).is_file(),
            "docs/SUMMARY.md lists {}, which does not exist",
            page.display()
        );
    }
    let listed: BTreeSet<PathBuf> = listed.into_iter().collect();
    let unlisted: Vec<_> = pages_on_disk()
        .into_iter()
        .filter(|page| page != Path::new("docs/SUMMARY.md") && !listed.contains(page))
        .collect();
    assert!(
        unlisted.is_empty(),
        "pages missing from docs/SUMMARY.md: {unlisted:?}"
    );
}

#[test]
fn every_page_starts_with_one_title() {
    for page in summary_pages() {
        let markdown = read(&repo_root().join(&page));
        let titles = headings(&markdown)
            .iter()
            .filter(|(level, _)| *level == 1)
            .count();
        assert!(
            markdown.starts_with("# ") && titles == 1,
            "{} must start with its one `# Title`",
            page.display()
        );
    }
}

#[test]
fn the_readme_stays_short() {
    let lines = read(&repo_root().join("README.md")).lines().count();
    assert!(
        lines <= README_MAX_LINES,
        "README.md has {lines} lines; keep it to {README_MAX_LINES} and move the rest into docs/"
    );
}

#[test]
fn anchors_follow_mdbooks_rule() {
    assert_eq!(
        anchor("A shop's day: `--backfill`, `--time-scale`"),
        "a-shops-day---backfill---time-scale"
    );
    assert_eq!(
        anchor("Security: TLS, mutual TLS"),
        "security-tls-mutual-tls"
    );
    let page = "# Title\n## Errors\n```\n# not a heading\n```\n## Errors\n## [Link](x.md) text\n";
    let expected: BTreeSet<String> = ["title", "errors", "errors-1", "link-text"]
        .map(String::from)
        .into();
    assert_eq!(anchors(page), expected);
    assert_eq!(
        links(&prose(
            "[a](a.md) `[b](b.md)` ![c](c.png \"C\")\n```\n[d](d.md)\n```\n"
        )),
        ["a.md", "c.png"]
    );
}
