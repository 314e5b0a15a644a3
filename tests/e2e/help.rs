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
