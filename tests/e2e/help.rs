//! Every tool's --help: one layout (the same as -h), defaults shown, examples that fit in 100
//! columns. No broker needed.

use std::process::Command;

use crate::util::*;

fn help(tool: &str, flag: &str) -> String {
    let output = Command::new(binary(tool))
        .arg(flag)
        .env("COLUMNS", "100")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(output.status.success(), "{tool} {flag}");
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn every_tool_has_one_help_layout_with_defaults_and_unwrapped_examples() {
    for tool in TOOLS {
        let long = help(tool, "--help");
        assert_eq!(long, help(tool, "-h"), "{tool}: --help and -h differ");
        assert!(
            long.contains("[setting: KAFKA_BOOTSTRAP_SERVERS, default: localhost:9092]"),
            "{tool}: {long}"
        );
        assert!(
            !long.contains("[env: "),
            "{tool}: no clap env values: {long}"
        );
        assert!(
            long.lines().all(|l| l.chars().count() <= 100),
            "{tool}: {long}"
        );
        let examples: Vec<&str> = long
            .split("Examples:\n")
            .nth(1)
            .unwrap_or_else(|| panic!("{tool} has examples"))
            .lines()
            .collect();
        for line in examples {
            assert!(
                line.starts_with(&format!("  {tool}")) || line.trim_start().starts_with('#'),
                "{tool}: an example wrapped: {line:?}"
            );
        }
    }
    assert!(help("consumer", "--help").contains("[default: shopstream-consumer]"));
    assert!(help("metrics-consumer", "--help").contains("[default: shopstream-metrics]"));
    assert!(help("product-producer", "--help").contains("PRODUCT_EVENTS_COUNT, default: 40]"));
}

/// What a tool prints for `args`, checked to have succeeded with nothing on stderr.
fn generated(tool: &str, args: &[&str]) -> String {
    let output = Command::new(binary(tool)).args(args).output().unwrap();
    assert!(output.status.success(), "{tool} {args:?}: {output:?}");
    assert!(output.stderr.is_empty(), "{tool} {args:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// A few real flags of each tool: the common ones and one of its own.
fn flags(tool: &str) -> [&'static str; 3] {
    let own = match tool {
        "setup-topics" => "--replication-factor",
        "product-producer" | "purchase-producer" | "user-producer" => "--count",
        "run-multiple-producers" => "--product-events",
        "consumer" => "--from-beginning",
        "metrics-consumer" => "--exactly-once",
        "check-truth" => "--truth",
        other => panic!("no flags listed for {other}"),
    };
    ["--bootstrap-servers", "--connect-timeout", own]
}

#[test]
fn every_tool_prints_its_completions_for_bash_zsh_and_fish() {
    for tool in TOOLS {
        for shell in ["bash", "zsh", "fish"] {
            let script = generated(tool, &["--completions", shell]);
            assert!(!script.trim().is_empty(), "{tool} {shell}");
            assert!(script.contains(tool), "{tool} {shell}: {script}");
            for flag in flags(tool) {
                // fish names a long flag without its dashes (`-l bootstrap-servers`).
                let name = flag.trim_start_matches('-');
                assert!(
                    script.contains(flag) || script.contains(&format!("-l {name}")),
                    "{tool} {shell}: no {flag}: {script}"
                );
            }
        }
    }
    let bash = generated("consumer", &["--completions", "bash"]);
    assert!(bash.contains("complete -F _consumer"), "{bash}");
    let fish = generated("metrics-consumer", &["--completions", "fish"]);
    assert!(fish.contains("complete -c metrics-consumer"), "{fish}");
}

#[test]
fn every_tool_prints_its_man_page() {
    for tool in TOOLS {
        let page = generated(tool, &["--man"]);
        // clap_mangen starts with two lines defining the apostrophe, then the title.
        let title = page
            .lines()
            .find(|line| !line.starts_with(".ie ") && !line.starts_with(".el "))
            .unwrap_or_default();
        assert!(
            title.starts_with(&format!(".TH {tool} 1 ")),
            "{tool}: {page}"
        );
        // Roff escapes a dash as `\-`.
        let roff = |text: &str| text.replace('-', "\\-");
        assert!(
            page.contains(&format!(".SH NAME\n{} \\- ", roff(tool))),
            "{tool}: {page}"
        );
        for section in [".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"] {
            assert!(page.contains(section), "{tool}: no {section}");
        }
        for flag in flags(tool) {
            assert!(page.contains(&roff(flag)), "{tool}: no {flag}: {page}");
        }
    }
}

#[test]
fn generating_alongside_other_flags_or_for_an_unknown_shell_is_an_error() {
    for args in [&["--man", "-v"][..], &["--completions", "tcsh"]] {
        let output = Command::new(binary("consumer"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(output.stdout.is_empty(), "{args:?}: {output:?}");
    }
}

#[test]
fn a_reader_that_closed_the_pipe_ends_generation_quietly() {
    // The reader is gone before the tool writes: the write fails with a broken pipe.
    let output = Command::new("bash")
        .arg("-c")
        .arg(r#"{ sleep 0.3; "$0" --man; } | true; echo "${PIPESTATUS[0]}""#)
        .arg(binary("metrics-consumer"))
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "0\n", "{output:?}");
    assert!(output.stderr.is_empty(), "{output:?}");
}

#[test]
fn the_install_script_writes_every_file_into_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let bin = binary("consumer");
    let output = Command::new(repo_root().join("scripts/completions.sh"))
        .arg("--dir")
        .arg(dir.path())
        .arg("--bin")
        .arg(bin.parent().unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    for tool in TOOLS {
        for (file, expected) in [
            (format!("bash/{tool}"), "complete -F"),
            (format!("zsh/_{tool}"), "#compdef"),
            (format!("fish/{tool}.fish"), "complete -c"),
            (format!("man/man1/{tool}.1"), ".TH"),
        ] {
            let text = std::fs::read_to_string(dir.path().join(&file)).unwrap();
            assert!(text.contains(tool), "{file}");
            assert!(text.contains(expected), "{file}: {text}");
        }
    }
}
