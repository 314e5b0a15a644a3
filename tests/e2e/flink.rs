//! Flink SQL (examples/flink-sql) against the truth: over a seeded launcher run, Flink's windows
//! agree with the ground truth field for field; with an allowed lateness shorter than the events'
//! delays, Flink drops late events, and check-truth reports exactly windows that held late events,
//! each short by no more of them than it held.
//!
//! Flink's jars are fetched by scripts/test.sh (`examples/flink-sql/run.sh --fetch`); without them
//! these tests fail, saying so (run.sh --no-fetch).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use shopstream_core::Timestamp;

use crate::util::*;

const WINDOW_MS: i64 = 30_000;

/// A seeded launcher run into fresh topics, with these extra flags, and its ground truth.
fn seeded_run(test: &str, dir: &Path, extra: &[&str]) -> (TopicSet, Cleanup, PathBuf) {
    let topics = TopicSet::new(test);
    let cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let truth = dir.join("truth.jsonl");
    run_ok(
        tool("run-multiple-producers", &topics)
            .args(["--seed", "5", "--rate", "0", "--quiet", "--window", "30s"])
            .args(["--product-events", "3000", "--purchases", "600"])
            .args(["--user-events", "1500", "--truth"])
            .arg(&truth)
            .args(extra),
    );
    (topics, cleanup, truth)
}

/// Runs the Flink job (run.sh) over the topics, with 30 s windows and this allowed lateness; its
/// windows are in the returned topic, deleted when the guard drops.
fn flink_windows(topics: &TopicSet, lateness: &str) -> (String, Cleanup) {
    let output_set = TopicSet::new("flink-windows");
    let output_topic = output_set.product_events.clone();
    let cleanup = Cleanup(output_set);
    let mut command = Command::new(repo_root().join("examples/flink-sql/run.sh"));
    test_env(&mut command, topics);
    let started = std::time::Instant::now();
    run_ok(
        command
            .args(["--no-fetch", "--window", "30s", "--lateness", lateness])
            .args(["--output-topic", &output_topic]),
    );
    eprintln!(
        "the Flink job (lateness {lateness}) took {:.1} s",
        started.elapsed().as_secs_f64()
    );
    (output_topic, cleanup)
}

/// check-truth --json on the windows in `windows_topic`.
fn check(topics: &TopicSet, truth: &Path, windows_topic: &str) -> Output {
    tool("check-truth", topics)
        .arg("--truth")
        .arg(truth)
        .args(["--topic", windows_topic, "--json"])
        .output()
        .unwrap()
}

fn line_count(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

#[test]
fn flink_sql_windows_equal_the_truth_for_an_in_order_run() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (topics, _cleanup, truth) = seeded_run("flink", dir.path(), &[]);
    let (windows, _windows_cleanup) = flink_windows(&topics, "30s");

    let output = check(&topics, &truth, &windows);
    assert!(output.status.success(), "{output:?}");
    let comparison = stdout_json(&output);
    assert_eq!(
        comparison["differing"],
        serde_json::json!([]),
        "{comparison}"
    );
    // The bounded job closes every window at its end: all of them are compared.
    assert_eq!(comparison["matching"], line_count(&truth), "{comparison}");
    for apart in ["open", "not_yet_closed", "outside_truth"] {
        assert_eq!(comparison[apart], serde_json::json!([]), "{comparison}");
    }
}

#[test]
fn flink_sql_with_a_short_lateness_loses_only_late_events_and_check_truth_finds_where() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let late = ["--late-fraction", "0.05", "--max-delay", "20s"];
    let (topics, _cleanup, truth) = seeded_run("flink-late", dir.path(), &late);
    let (windows, _windows_cleanup) = flink_windows(&topics, "2s");

    let output = check(&topics, &truth, &windows);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let comparison = stdout_json(&output);
    let differing = comparison["differing"].as_array().unwrap();
    assert!(!differing.is_empty(), "{comparison}");
    assert_eq!(
        comparison["matching"].as_u64().unwrap() as usize + differing.len(),
        line_count(&truth),
        "every window is compared: {comparison}"
    );
    let droppable = droppable_events(&topics, 2_000);
    for window in differing {
        let start = Timestamp::parse(window["start"].as_str().unwrap())
            .unwrap()
            .millis();
        let lost = events_lost(window);
        let held = droppable.get(&start).copied().unwrap_or(0);
        assert!(
            lost <= held,
            "window {start}: Flink lost {lost} events, but only {held} arrived after an event \
             of their partition at least the lateness past the window's end: {window}"
        );
    }
}

/// How many events Flink has fewer than the truth in a differing window; fails the test when the
/// window differs otherwise (more events, or other figures with the same events).
fn events_lost(window: &Value) -> u64 {
    let differences = window["differences"].as_array().unwrap();
    let events = differences
        .iter()
        .find(|d| d["field"] == "events" || d["field"] == "window")
        .unwrap_or_else(|| panic!("a window differs with the same events: {window}"));
    let number = |v: &Value| -> u64 {
        let text = v.as_str().unwrap();
        text.split(' ').next().unwrap().parse().unwrap_or(0)
    };
    // A window Flink gave no line for ("missing") lost all its events.
    let (truth, flink) = (number(&events["truth"]), number(&events["pipeline"]));
    assert!(
        flink < truth,
        "Flink has more events than the truth: {window}"
    );
    truth - flink
}

/// Per window start, the events Flink may have dropped: those that arrived after an event of
/// their own partition whose time is at least `lateness_ms` past the event's window's last
/// millisecond. Only such an event can find its window fired, since the job's watermark is the
/// oldest of its partitions' (each its latest event time less the lateness) and a window fires
/// when the watermark reaches its last millisecond.
fn droppable_events(topics: &TopicSet, lateness_ms: i64) -> BTreeMap<i64, u64> {
    let mut droppable = BTreeMap::new();
    for topic in topics.names() {
        let mut latest: BTreeMap<i32, i64> = BTreeMap::new();
        for record in read_topic(topic) {
            let event: Value = serde_json::from_slice(&record.payload).unwrap();
            let time = Timestamp::parse(event["timestamp"].as_str().unwrap())
                .unwrap()
                .millis();
            let start = time.div_euclid(WINDOW_MS) * WINDOW_MS;
            let latest = latest.entry(record.partition).or_insert(i64::MIN);
            if *latest != i64::MIN && *latest - lateness_ms >= start + WINDOW_MS - 1 {
                *droppable.entry(start).or_insert(0) += 1;
            }
            *latest = (*latest).max(time);
        }
    }
    droppable
}
