//! check-truth against real pipelines: metrics-consumer's windows over a seeded launcher run
//! agree with its ground truth, and a reader whose allowed lateness is shorter than the delays
//! is caught, exactly at the windows that lost late events; windows read from a topic too.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::util::*;

/// A seeded launcher run with disorder (or none) into fresh topics, and its ground truth.
fn run_with_truth(
    test: &str,
    dir: &Path,
    late: &[&str],
) -> (TopicSet, Cleanup, std::path::PathBuf) {
    let topics = TopicSet::new(test);
    let cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let truth = dir.join("truth.jsonl");
    run_ok(
        tool("run-multiple-producers", &topics)
            .args(["--seed", "5", "--rate", "0", "--quiet", "--window", "30s"])
            .args([
                "--product-events",
                "3000",
                "--purchases",
                "600",
                "--user-events",
                "1500",
            ])
            .arg("--truth")
            .arg(&truth)
            .args(late),
    );
    (topics, cleanup, truth)
}

/// metrics-consumer's --json output over everything, 30 s windows, this allowed lateness.
fn reader_output(topics: &TopicSet, dir: &Path, lateness: &str) -> std::path::PathBuf {
    let output = run_ok(
        tool("metrics-consumer", topics)
            .args(["--from-beginning", "--timeout", "4s", "--json", "--group"])
            .arg(unique("truth"))
            .args([
                "--window",
                "30s",
                "--windows",
                "100000",
                "--allowed-lateness",
                lateness,
            ])
            // Small fetches keep the partitions' event clocks together, as a live reader's are.
            .env("KAFKA_MAX_PARTITION_FETCH_BYTES", "16384"),
    );
    let path = dir.join(format!("reader-{lateness}.jsonl"));
    std::fs::write(&path, &output.stdout).unwrap();
    path
}

fn check(topics: &TopicSet, args: &[&std::ffi::OsStr]) -> Output {
    tool("check-truth", topics)
        .args(args)
        .arg("--json")
        .output()
        .unwrap()
}

#[test]
fn metrics_consumer_agrees_with_the_truth_and_a_too_strict_one_is_caught_where_it_lost_events() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let late = ["--late-fraction", "0.05", "--max-delay", "20s"];
    let (topics, _cleanup, truth) = run_with_truth("truth", dir.path(), &late);
    let truth_windows = std::fs::read_to_string(&truth).unwrap().lines().count();

    let lenient = reader_output(&topics, dir.path(), "30s");
    let output = check(
        &topics,
        &[
            "--truth".as_ref(),
            truth.as_ref(),
            "--file".as_ref(),
            lenient.as_ref(),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let agreed = stdout_json(&output);
    let compared = agreed["matching"].as_u64().unwrap() as usize;
    let open = agreed["open"].as_array().unwrap().len();
    assert_eq!(compared + open, truth_windows, "{agreed}");
    assert!(compared > truth_windows / 2, "{agreed}");

    let strict = reader_output(&topics, dir.path(), "2s");
    let output = check(
        &topics,
        &[
            "--truth".as_ref(),
            truth.as_ref(),
            "--file".as_ref(),
            strict.as_ref(),
        ],
    );
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let caught: BTreeSet<String> = stdout_json(&output)["differing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["start"].as_str().unwrap().to_string())
        .collect();
    assert!(!caught.is_empty());
    assert_eq!(caught, windows_with_too_late(&strict));
}

/// The windows in which the reader's final report counted too-late events.
fn windows_with_too_late(output: &Path) -> BTreeSet<String> {
    let text = std::fs::read_to_string(output).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    last["windows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["too_late"].as_u64().unwrap() > 0)
        .map(|w| w["start"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn windows_are_read_from_a_topic_and_a_later_line_for_a_window_replaces_an_earlier_one() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (topics, _cleanup, truth) = run_with_truth("truth-topic", dir.path(), &[]);
    let text = std::fs::read_to_string(&truth).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // A pipeline's first, wrong firing of the first window, then the right lines, as an
    // engine that updates its results writes them.
    let wrong_first = lines[0].replacen("\"events\":", "\"events\":1", 1);
    let mut messages: Vec<(&str, Option<&[u8]>)> = vec![("w", Some(wrong_first.as_bytes()))];
    messages.extend(lines.iter().map(|l| ("w", Some(l.as_bytes()))));
    // A topic of a fresh set holds the pipeline's windows (one key: one partition, in order).
    let pipeline = TopicSet::new("truth-windows");
    let _pipeline_cleanup = Cleanup(pipeline.clone());
    create_topics(&pipeline);
    let windows_topic = pipeline.product_events.clone();
    write_raw(&windows_topic, &messages);
    let output = check(
        &topics,
        &[
            "--truth".as_ref(),
            truth.as_ref(),
            "--topic".as_ref(),
            windows_topic.as_ref(),
        ],
    );
    assert!(output.status.success(), "{output:?}");
    assert_eq!(stdout_json(&output)["matching"], lines.len());

    // One wrong line last: the window differs, and the human table says how.
    write_raw(&windows_topic, &[("w", Some(wrong_first.as_bytes()))]);
    let output = tool("check-truth", &topics)
        .arg("--truth")
        .arg(&truth)
        .args(["--topic", &windows_topic])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let table = String::from_utf8_lossy(&output.stdout);
    assert!(
        table.contains(&format!("{} windows match, 1 differ", lines.len() - 1)),
        "{table}"
    );
    assert!(
        table
            .lines()
            .any(|l| l.split_whitespace().nth(1) == Some("events")),
        "{table}"
    );
}

#[test]
fn bad_input_and_flags_fail_with_one_line() {
    let topics = TopicSet::new("truth-bad");
    let dir = tempfile::tempdir().unwrap();
    let truth = write_file(
        dir.path(),
        "truth.jsonl",
        "{\"start\": \"2026-01-01T00:00:00Z\"}\n",
    );
    let bad = write_file(
        dir.path(),
        "bad.jsonl",
        "{\"start\": \"2026-01-01T00:00:00Z\"}\nnot json\n",
    );
    let run = |args: &[&std::ffi::OsStr]| tool("check-truth", &topics).args(args).output().unwrap();

    let output = run(&[
        "--truth".as_ref(),
        truth.as_ref(),
        "--file".as_ref(),
        bad.as_ref(),
    ]);
    let line = one_error_line(&output);
    assert!(line.contains("bad.jsonl line 2: "), "{line}");

    let output = run(&[
        "--truth".as_ref(),
        truth.as_ref(),
        "--file".as_ref(),
        truth.as_ref(),
        "--ignore".as_ref(),
        "users".as_ref(),
    ]);
    assert!(one_error_line(&output).contains("unknown field \"users\""));

    let missing = dir.path().join("missing.jsonl");
    let output = run(&[
        "--truth".as_ref(),
        missing.as_ref(),
        "--file".as_ref(),
        truth.as_ref(),
    ]);
    assert!(one_error_line(&output).contains("cannot read"));

    let output = run(&["--truth".as_ref(), truth.as_ref()]);
    assert_eq!(
        output.status.code(),
        Some(2),
        "clap: --file or --topic is required"
    );
}
