//! The modules form three layers (binaries over shopstream-kafka over shopstream-core) and no
//! module imports one that imports it back. No broker is needed: these tests read the sources.
//!
//! How the sources are read:
//! - Each crate's `.rs` files (crates/core/src, crates/kafka/src, src with src/bin) give its
//!   modules: `foo.rs` and `foo/mod.rs` are `foo`, `foo/bar.rs` is `foo::bar`, `lib.rs` is the
//!   crate root, each `src/bin/x.rs` is its own binary. Unit tests are not modules of the layering:
//!   `tests.rs` files (and anything under a `tests/` folder), `*_tests.rs` files and inline
//!   `#[cfg(test)] mod ... { }` blocks are skipped. Comments and string literals are skipped too,
//!   except a string that is just a path (`#[serde(with = "crate::money::cents")]`).
//! - A module refers to another through `use` lines and paths in code: `crate::x::...`,
//!   `self::x::...`, `super::...` (resolved, from inside inline `mod x { }` blocks too),
//!   `child::...` (a child module named from its parent) and, in the binaries,
//!   `shopstream::x::...`. A path names the longest module it starts with
//!   (`crate::money::cents::serialize` is `money`). Declaring `mod child;` is not a reference,
//!   and neither is a parent re-exporting its own descendants' items (`pub use self::child::Thing`:
//!   a facade, not a use).
//!
//! The rule for a cycle: every reference from module `a` to module `b` is counted between the
//! two modules just under their deepest common ancestor, or that ancestor itself when one of them
//! is it. So `metrics::x -> windows` and `windows -> metrics` are the cycle `metrics <-> windows`
//! among the crate's top-level modules, `exactly_once::restore <-> exactly_once::commit` is one
//! among `exactly_once`'s submodules, and a child using its parent's items (`use super::Quota`)
//! while the parent uses the child's (`use self::budget::Budgets`) is the cycle
//! `simulator <-> simulator::budget`. A module using its own descendants, with nothing coming
//! back, is fine. Every cycle found is listed with where each of its references is.
//!
//! The layers: shopstream-core names no `shopstream_kafka`, `shopstream`, `rdkafka`, `tokio` or
//! `clap` (in code or in its Cargo.toml), and shopstream-kafka names no `shopstream` (the root
//! package with the binaries).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use crate::util::repo_root;

/// A module inside a crate: `[]` is the crate root, `["exactly_once", "commit"]` a submodule, and
/// `["bin/consumer"]` the binary src/bin/consumer.rs.
type ModulePath = Vec<String>;

/// One source file, reduced to what the layering needs.
struct SourceFile {
    /// The path shown in the report (relative to the repository).
    shown: String,
    module: ModulePath,
    is_bin: bool,
    tokens: Vec<Token>,
}

/// An identifier or one punctuation mark of code, with its line.
#[derive(Clone, PartialEq, Debug)]
struct Token {
    text: String,
    line: usize,
}

/// A reference from one module to another, and where it was seen.
#[derive(Clone, Debug)]
struct Reference {
    from: ModulePath,
    to: ModulePath,
    seen: String,
}

/// The crates read, by their source folder and the crates each must not name.
const CRATES: [(&str, &[&str]); 3] = [
    (
        "crates/core/src",
        &["shopstream_kafka", "shopstream", "rdkafka", "tokio", "clap"],
    ),
    ("crates/kafka/src", &["shopstream"]),
    ("src", &[]),
];

/// The other crates' names a path can start with (what the layer check looks for).
const CRATE_NAMES: [&str; 6] = [
    "shopstream",
    "shopstream_core",
    "shopstream_kafka",
    "rdkafka",
    "tokio",
    "clap",
];

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = repo_root();
    let mut report = String::new();
    for (dir, _) in CRATES {
        let files = read_crate(&root, dir);
        let references = references(&files);
        for cycle in cycles(&references) {
            let _ = writeln!(report, "{dir}: {cycle}");
        }
    }
    assert!(
        report.is_empty(),
        "import cycles (a module importing one that imports it back):\n{report}"
    );
}

#[test]
fn core_names_no_kafka_and_kafka_names_no_binaries() {
    let root = repo_root();
    let mut report = String::new();
    for (dir, forbidden) in CRATES {
        for file in read_crate(&root, dir) {
            for (name, line) in crates_named(&file) {
                if forbidden.contains(&name.as_str()) {
                    let _ = writeln!(report, "{}:{line} names `{name}`", file.shown);
                }
            }
        }
        let manifest = root.join(dir).with_file_name("Cargo.toml");
        for name in dependencies(&read(&manifest)) {
            if forbidden.contains(&name.replace('-', "_").as_str()) {
                let _ = writeln!(report, "{}: depends on `{name}`", manifest.display());
            }
        }
    }
    assert!(
        report.is_empty(),
        "layer breaks (binaries > shopstream-kafka > shopstream-core):\n{report}"
    );
}

#[test]
fn the_checker_finds_planted_cycles_and_passes_facades_and_inline_modules() {
    let files = [
        (
            "lib.rs",
            "pub mod a; pub mod b; pub mod p; pub use a::Thing; fn f() { a::Thing; }",
        ),
        (
            "a.rs",
            "use crate::b::{One, two::Two};\npub struct Thing; mod inner { use super::Thing; }",
        ),
        ("b.rs", "pub struct One; fn f() { crate::a::Thing; }"),
        (
            "p/mod.rs",
            "mod c; mod d; pub use self::c::C; fn g() { d::run(); }",
        ),
        ("p/c.rs", "use super::super::a; // crate::b::One\n"),
        (
            "p/d.rs",
            "use super::*; use crate::p::c::C; #[cfg(test)] mod tests { use crate::p::d; }",
        ),
        ("p/tests.rs", "use crate::b;"),
    ];
    let files: Vec<SourceFile> = files
        .iter()
        .filter_map(|(path, text)| source_file("mem", Path::new(path), text))
        .collect();
    let found = cycles(&references(&files));
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(found[0].starts_with("a -> b -> a"), "{}", found[0]);
    assert!(found[1].starts_with("p -> p::d -> p"), "{}", found[1]);
}

/// Every non-test source file of the crate in `dir`.
fn read_crate(root: &Path, dir: &str) -> Vec<SourceFile> {
    let mut paths = Vec::new();
    collect_rs(&root.join(dir), &mut paths);
    paths.sort();
    paths
        .iter()
        .filter_map(|path| {
            let relative = path.strip_prefix(root.join(dir)).ok()?;
            source_file(dir, relative, &read(path))
        })
        .collect()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn collect_rs(dir: &Path, into: &mut Vec<std::path::PathBuf>) {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    for entry in entries {
        let path = entry
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .path();
        if path.is_dir() {
            collect_rs(&path, into);
        } else if path.extension().is_some_and(|x| x == "rs") {
            into.push(path);
        }
    }
}

/// The file at `relative` (to the crate's source folder) with its module, or None for test code.
fn source_file(dir: &str, relative: &Path, text: &str) -> Option<SourceFile> {
    let parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    let is_test = |part: &String| part == "tests" || part.ends_with("_tests");
    if parts.iter().any(is_test) {
        return None;
    }
    let (module, is_bin) = match parts.as_slice() {
        [bin, name] if bin == "bin" && dir == "src" => (vec![format!("bin/{name}")], true),
        [lib] if lib == "lib" => (Vec::new(), false),
        [folders @ .., last] if last == "mod" => (folders.to_vec(), false),
        _ => (parts, false),
    };
    let tokens = without_test_blocks(tokens(text));
    Some(SourceFile {
        shown: format!("{dir}/{}", relative.display()),
        module,
        is_bin,
        tokens,
    })
}

/// The identifiers and punctuation of `text`, without comments and string literals (a string
/// that is just a path, as in `#[serde(with = "crate::money::cents")]`, is kept as its path).
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let start_line = line;
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            i = skip_block_comment(&chars, i, &mut line);
        } else if let Some((end, content)) = string_literal(&chars, i) {
            line += content.matches('\n').count();
            if is_path(&content) {
                tokens.extend(tokens_of_path(&content, start_line));
            }
            i = end;
        } else if c == '\'' {
            i = skip_char_or_lifetime(&chars, i);
        } else if c.is_alphanumeric() || c == '_' {
            let end = (i..chars.len())
                .find(|&j| !(chars[j].is_alphanumeric() || chars[j] == '_'))
                .unwrap_or(chars.len());
            let text: String = chars[i..end].iter().collect();
            tokens.push(Token { text, line });
            i = end;
        } else if c == ':' && next == Some(':') {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
            i += 2;
        } else {
            tokens.push(Token {
                text: c.to_string(),
                line,
            });
            i += 1;
        }
    }
    tokens
}

fn skip_block_comment(chars: &[char], start: usize, line: &mut usize) -> usize {
    let (mut i, mut depth) = (start, 0);
    while i < chars.len() {
        match (chars[i], chars.get(i + 1)) {
            ('/', Some('*')) => (depth, i) = (depth + 1, i + 2),
            ('*', Some('/')) => (depth, i) = (depth - 1, i + 2),
            ('\n', _) => (*line, i) = (*line + 1, i + 1),
            _ => i += 1,
        }
        if depth == 0 {
            return i;
        }
    }
    i
}

/// A string literal starting at `start` ("..", b"..", r#".."#, br".."): where it ends and its
/// text.
fn string_literal(chars: &[char], start: usize) -> Option<(usize, String)> {
    let starts_word =
        start == 0 || !(chars[start - 1].is_alphanumeric() || chars[start - 1] == '_');
    let mut i = start;
    if starts_word && chars[i] == 'b' {
        i += 1;
    }
    let raw = starts_word && chars.get(i) == Some(&'r');
    if raw {
        i += 1;
    }
    let hashes = chars[i..].iter().take_while(|&&c| c == '#').count();
    if !raw && hashes > 0 || chars.get(i + hashes) != Some(&'"') {
        return None;
    }
    i += hashes + 1;
    let content_start = i;
    while i < chars.len() {
        if !raw && chars[i] == '\\' {
            i += 2;
        } else if chars[i] == '"' && chars[i + 1..].iter().take(hashes).all(|&c| c == '#') {
            let content = chars[content_start..i].iter().collect();
            return Some((i + 1 + hashes, content));
        } else {
            i += 1;
        }
    }
    Some((chars.len(), chars[content_start..].iter().collect()))
}

fn skip_char_or_lifetime(chars: &[char], start: usize) -> usize {
    match (chars.get(start + 1), chars.get(start + 2)) {
        (Some('\\'), _) => {
            let close = chars[start + 2..].iter().position(|&c| c == '\'');
            close.map_or(chars.len(), |at| start + 2 + at + 1)
        }
        (Some(_), Some('\'')) => start + 3,
        // A lifetime or a label: its name is read as an identifier next.
        _ => start + 1,
    }
}

fn is_path(text: &str) -> bool {
    text.contains("::")
        && text
            .split("::")
            .all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'))
}

fn tokens_of_path(path: &str, line: usize) -> Vec<Token> {
    let mut tokens = Vec::new();
    for (n, part) in path.split("::").enumerate() {
        if n > 0 {
            tokens.push(Token {
                text: "::".into(),
                line,
            });
        }
        tokens.push(Token {
            text: part.into(),
            line,
        });
    }
    tokens
}

/// `tokens` without the blocks `#[cfg(test)] mod name { ... }` (inline unit tests).
fn without_test_blocks(tokens: Vec<Token>) -> Vec<Token> {
    let texts: Vec<&str> = tokens.iter().map(|t| t.text.as_str()).collect();
    let mut kept = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let block = texts[i..]
            .starts_with(&["#", "[", "cfg", "(", "test", ")", "]"])
            .then(|| inline_module_body(&texts, i + 7))
            .flatten();
        match block {
            Some(end) => i = end,
            None => {
                kept.push(tokens[i].clone());
                i += 1;
            }
        }
    }
    kept
}

/// Where the inline module declared at `start` (`pub(crate) mod name {`) ends, if it is one.
fn inline_module_body(texts: &[&str], start: usize) -> Option<usize> {
    let mut i = start;
    if texts.get(i) == Some(&"pub") {
        i += 1;
        if texts.get(i) == Some(&"(") {
            i += texts[i..].iter().position(|&t| t == ")")? + 1;
        }
    }
    if texts.get(i) != Some(&"mod") || texts.get(i + 2) != Some(&"{") {
        return None;
    }
    let mut depth = 0;
    for (j, text) in texts.iter().enumerate().skip(i + 2) {
        match *text {
            "{" => depth += 1,
            "}" if depth == 1 => return Some(j + 1),
            "}" => depth -= 1,
            _ => {}
        }
    }
    Some(texts.len())
}

/// A path written in a file, as its segments, and whether it is a `pub use` (a re-export).
struct WrittenPath {
    segments: Vec<String>,
    line: usize,
    reexport: bool,
    /// The inline modules (`mod cents { ... }`) it is written in, outermost first: `super` and
    /// `self` are relative to them.
    inside: Vec<String>,
}

/// Every path of `file`: the ones `use` lines import and the ones code names.
fn written_paths(file: &SourceFile) -> Vec<WrittenPath> {
    let tokens = &file.tokens;
    let mut paths = Vec::new();
    // The inline modules open at this point, each with the brace depth inside it.
    let (mut inline, mut depth): (Vec<(String, usize)>, usize) = (Vec::new(), 0);
    let mut i = 0;
    while i < tokens.len() {
        let after_separator = i > 0 && tokens[i - 1].text == "::";
        let inside: Vec<String> = inline.iter().map(|(name, _)| name.clone()).collect();
        let line = tokens[i].line;
        if tokens[i].text == "use" && !after_separator {
            let reexport = is_reexport(tokens, i);
            let end = (i..tokens.len())
                .find(|&j| tokens[j].text == ";")
                .unwrap_or(tokens.len());
            for segments in use_tree(&tokens[i + 1..end], &mut Vec::new()) {
                let inside = inside.clone();
                paths.push(WrittenPath {
                    segments,
                    line,
                    reexport,
                    inside,
                });
            }
            i = end;
        } else if is_identifier(&tokens[i].text)
            && !after_separator
            && tokens.get(i + 1).is_some_and(|t| t.text == "::")
        {
            let (segments, end) = path_at(tokens, i);
            paths.push(WrittenPath {
                segments,
                line,
                reexport: false,
                inside,
            });
            i = end;
        } else {
            match tokens[i].text.as_str() {
                "{" => {
                    depth += 1;
                    if i >= 2 && tokens[i - 2].text == "mod" {
                        inline.push((tokens[i - 1].text.clone(), depth));
                    }
                }
                "}" => {
                    if inline.last().is_some_and(|(_, open)| *open == depth) {
                        inline.pop();
                    }
                    depth = depth.saturating_sub(1);
                }
                _ => {}
            }
            i += 1;
        }
    }
    paths
}

/// The path `a::b::c` starting at `start`, and where it ends.
fn path_at(tokens: &[Token], start: usize) -> (Vec<String>, usize) {
    let mut segments = vec![tokens[start].text.clone()];
    let mut j = start + 1;
    while tokens.get(j).is_some_and(|t| t.text == "::")
        && tokens.get(j + 1).is_some_and(|t| is_identifier(&t.text))
    {
        segments.push(tokens[j + 1].text.clone());
        j += 2;
    }
    (segments, j)
}

fn is_identifier(text: &str) -> bool {
    text.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Whether the `use` at `at` is `pub use` or `pub(...) use`.
fn is_reexport(tokens: &[Token], at: usize) -> bool {
    let before: Vec<&str> = tokens[..at]
        .iter()
        .rev()
        .take(4)
        .map(|t| t.text.as_str())
        .collect();
    before.first() == Some(&"pub") || (before.first() == Some(&")") && before.contains(&"pub"))
}

/// The paths a use tree (`crate::a::{b, c::{D, E as F}, self}`) imports, each whole.
fn use_tree(tokens: &[Token], prefix: &mut Vec<String>) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    let depth_before = prefix.len();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].text.as_str() {
            "{" => {
                let end = matching_brace(tokens, i);
                for group in split_top_level(&tokens[i + 1..end]) {
                    paths.extend(use_tree(group, prefix));
                }
                prefix.truncate(depth_before);
                return paths;
            }
            "as" => break,
            "::" | "*" => {}
            "self" if !prefix.is_empty() => {}
            name => prefix.push(name.to_string()),
        }
        i += 1;
    }
    if !prefix.is_empty() {
        paths.push(prefix.clone());
    }
    prefix.truncate(depth_before);
    paths
}

fn matching_brace(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0;
    for (j, token) in tokens.iter().enumerate().skip(open) {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" if depth == 1 => return j,
            "}" => depth -= 1,
            _ => {}
        }
    }
    tokens.len()
}

fn split_top_level(tokens: &[Token]) -> Vec<&[Token]> {
    let (mut groups, mut depth, mut start) = (Vec::new(), 0, 0);
    for (j, token) in tokens.iter().enumerate() {
        match token.text.as_str() {
            "{" => depth += 1,
            "}" => depth -= 1,
            "," if depth == 0 => {
                groups.push(&tokens[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    groups.push(&tokens[start..]);
    groups
        .into_iter()
        .filter(|group| !group.is_empty())
        .collect()
}

/// The other crates `file` names, with the line of each.
fn crates_named(file: &SourceFile) -> Vec<(String, usize)> {
    written_paths(file)
        .into_iter()
        .filter(|path| CRATE_NAMES.contains(&path.segments[0].as_str()))
        .map(|path| (path.segments[0].clone(), path.line))
        .collect()
}

/// The names under `[dependencies]`, `[dev-dependencies]` and `[build-dependencies]`.
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line.ends_with("dependencies]");
        } else if in_dependencies && let Some((key, _)) = line.split_once('=') {
            let key = key.trim();
            names.push(key.split('.').next().unwrap_or(key).to_string());
        }
    }
    names
}

/// The module references between the crate's modules (a module to itself left out).
fn references(files: &[SourceFile]) -> Vec<Reference> {
    let modules: BTreeSet<ModulePath> = files.iter().map(|f| f.module.clone()).collect();
    let mut found = Vec::new();
    for file in files {
        for path in written_paths(file) {
            let Some(to) = resolve(file, &path, &modules) else {
                continue;
            };
            let facade = path.reexport && to.starts_with(&file.module);
            if to != file.module && !facade {
                let seen = format!(
                    "{}:{} `{}`",
                    file.shown,
                    path.line,
                    path.segments.join("::")
                );
                found.push(Reference {
                    from: file.module.clone(),
                    to,
                    seen,
                });
            }
        }
    }
    found
}

/// The module of this crate that `path`, written in `file`, names, if any.
fn resolve(
    file: &SourceFile,
    path: &WrittenPath,
    modules: &BTreeSet<ModulePath>,
) -> Option<ModulePath> {
    let segments = &path.segments;
    let here = [&file.module[..], &path.inside[..]].concat();
    let supers = segments.iter().take_while(|s| *s == "super").count();
    let absolute: Vec<String> = match segments[0].as_str() {
        "crate" if file.is_bin => return None,
        "crate" => segments[1..].to_vec(),
        "shopstream" if file.is_bin => segments[1..].to_vec(),
        "self" => [&here[..], &segments[1..]].concat(),
        "super" => {
            let parent = here.len().checked_sub(supers)?;
            [&here[..parent], &segments[supers..]].concat()
        }
        _ => {
            let child = [&here[..], &segments[..1]].concat();
            if !modules.contains(&child) {
                return None;
            }
            [&here[..], &segments[..]].concat()
        }
    };
    (0..=absolute.len())
        .rev()
        .map(|n| absolute[..n].to_vec())
        .find(|prefix| modules.contains(prefix))
}

/// The cycles among `references`, each shown as `a -> b -> a` then where each step is written.
fn cycles(references: &[Reference]) -> Vec<String> {
    // The graph of each scope: the modules just under a common ancestor, and the ancestor itself.
    let mut scopes: BTreeMap<ModulePath, BTreeMap<ModulePath, BTreeMap<ModulePath, String>>> =
        BTreeMap::new();
    for reference in references {
        let common = reference
            .from
            .iter()
            .zip(&reference.to)
            .take_while(|(a, b)| a == b)
            .count();
        let node = |module: &ModulePath| module[..module.len().min(common + 1)].to_vec();
        let (from, to) = (node(&reference.from), node(&reference.to));
        if from != to {
            let scope = reference.from[..common].to_vec();
            let edges = scopes.entry(scope).or_default().entry(from).or_default();
            edges.entry(to).or_insert_with(|| reference.seen.clone());
        }
    }
    scopes.values().flat_map(cycles_in).collect()
}

/// The cycles of one scope's graph: one per strongly connected group of two or more modules.
fn cycles_in(graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, String>>) -> Vec<String> {
    let mut shown = Vec::new();
    let mut done: BTreeSet<ModulePath> = BTreeSet::new();
    for start in graph.keys() {
        if done.contains(start) {
            continue;
        }
        let group: BTreeSet<ModulePath> = reachable(graph, start)
            .into_iter()
            .filter(|other| reachable(graph, other).contains(start))
            .collect();
        done.extend(group.iter().cloned());
        if group.len() < 2 {
            continue;
        }
        let path = shortest_cycle(graph, start, &group);
        let names: Vec<String> = path.iter().map(name).collect();
        let mut text = names.join(" -> ");
        for step in path.windows(2) {
            let _ = write!(
                text,
                "\n    {} -> {}: {}",
                name(&step[0]),
                name(&step[1]),
                graph[&step[0]][&step[1]]
            );
        }
        if group.len() + 1 > path.len() {
            let all: Vec<String> = group.iter().map(name).collect();
            let _ = write!(text, "\n    (all tangled together: {})", all.join(", "));
        }
        shown.push(text);
    }
    shown
}

fn reachable(
    graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, String>>,
    from: &ModulePath,
) -> BTreeSet<ModulePath> {
    let mut seen = BTreeSet::from([from.clone()]);
    let mut stack = vec![from.clone()];
    while let Some(module) = stack.pop() {
        for next in graph
            .get(&module)
            .into_iter()
            .flat_map(|edges| edges.keys())
        {
            if seen.insert(next.clone()) {
                stack.push(next.clone());
            }
        }
    }
    seen
}

/// The shortest way from `start` back to itself inside `group`, both ends included.
fn shortest_cycle(
    graph: &BTreeMap<ModulePath, BTreeMap<ModulePath, String>>,
    start: &ModulePath,
    group: &BTreeSet<ModulePath>,
) -> Vec<ModulePath> {
    let mut came_from: BTreeMap<ModulePath, ModulePath> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start.clone()]);
    while let Some(module) = queue.pop_front() {
        for next in graph
            .get(&module)
            .into_iter()
            .flat_map(|edges| edges.keys())
        {
            if next == start {
                let mut path = vec![start.clone(), module.clone()];
                while let Some(before) = came_from.get(path.last().unwrap_or(start)) {
                    path.push(before.clone());
                }
                path.reverse();
                return path;
            }
            if group.contains(next) && !came_from.contains_key(next) && next != start {
                came_from.insert(next.clone(), module.clone());
                queue.push_back(next.clone());
            }
        }
    }
    vec![start.clone()]
}

fn name(module: &ModulePath) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}
