//! metrics-consumer --exactly-once: a group of instances on Kafka transactions, under churn
//! (SIGKILL, joins, SIGINT) and with a zombie (SIGSTOP past the session timeout), must end with
//! figures equal, figure for figure, to an uninterrupted count of the same events; --view shows
//! the same; a state topic that is not compacted is one clear error.

use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// Partitions per topic in these tests.
const PARTITIONS: &str = "6";

/// One member of the exactly-once group `group`, reading from the beginning, ending after
/// `idle` without a message; quick to be declared dead by the group (6 s session timeout).
fn member(topics: &TopicSet, group: &str, idle: &str) -> Command {
    let mut command = tool("metrics-consumer", topics);
    command
        .args(["--exactly-once", "--from-beginning", "--json"])
        .args(["--group", group, "--timeout", idle, "--every", "1000000000"])
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("KAFKA_HEARTBEAT_INTERVAL_MS", "500")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Writes a seeded stream of (product events, purchases, user events) at `rate` events/s.
fn produce(topics: &TopicSet, seed: u64, counts: (u64, u64, u64), rate: u64) -> Child {
    tool("run-multiple-producers", topics)
        .args(["--quiet", "--seed", &seed.to_string()])
        .args(["--rate", &rate.to_string()])
        .args(["--product-events", &counts.0.to_string()])
        .args(["--purchases", &counts.1.to_string()])
        .args(["--user-events", &counts.2.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the launcher starts")
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([&format!("-{name}"), &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(status.success(), "kill -{name}");
}

/// The figures of a JSON report: everything but the report kind, group, lag and coverage.
fn figures(report: &Value) -> Value {
    let mut figures = report.clone();
    let object = figures.as_object_mut().expect("a JSON object");
    for key in ["report", "group", "lag", "coverage"] {
        object.remove(key);
    }
    figures
}

fn final_report(output: &Output) -> Value {
    let lines = json_lines(output);
    let last = lines.last().expect("a final report").clone();
    assert_eq!(last["report"], "final", "{last}");
    last
}

fn view(topics: &TopicSet, group: &str) -> Value {
    let output =
        run_ok(tool("metrics-consumer", topics).args(["--view", "--group", group, "--json"]));
    final_report(&output)
}

fn sleep(seconds: u64) {
    std::thread::sleep(Duration::from_secs(seconds));
}

#[test]
fn under_churn_the_group_figures_equal_one_uninterrupted_count() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-churn");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", PARTITIONS]));
    let group = unique("eos-churn");
    let counts = (60_000, 15_000, 25_000);

    let started = Instant::now();
    let a = member(&topics, &group, "60s").spawn().unwrap();
    let b = member(&topics, &group, "60s").spawn().unwrap();
    let c = member(&topics, &group, "12s").spawn().unwrap();
    // 100,000 events over about 12 s, while the group changes under them.
    let producer = produce(&topics, 101, counts, 8_000);
    sleep(4);
    let mut a = a;
    a.kill().unwrap(); // SIGKILL: no commit, no goodbye; the group notices after 6 s
    a.wait().unwrap();
    sleep(2);
    let d = member(&topics, &group, "12s").spawn().unwrap();
    sleep(3);
    signal(&b, "INT"); // leaves cleanly: commits, then hands its partitions over
    let b = finished(b, "b");
    assert_acknowledged(&finished(producer, "producer"), &topics, counts);
    let c = finished(c, "c");
    let d = finished(d, "d");
    eprintln!("churn run took {:?}", started.elapsed());

    let expected = expected_report(&topics);
    assert_eq!(expected["events"], 100_000);
    // The last members to leave saw every partition's final state.
    for (name, output) in [("c", &c), ("d", &d)] {
        let report = final_report(output);
        assert_eq!(figures(&report), expected, "member {name}'s final figures");
        assert_eq!(report["coverage"]["partitions"], 18, "{report}");
        assert_eq!(report["coverage"]["partitions_total"], 18, "{report}");
    }
    // B left mid-stream: its final report is the group's figures at that moment, never more.
    let b = final_report(&b);
    assert!(b["events"].as_u64().unwrap() <= 100_000, "{b}");

    let viewed = view(&topics, &group);
    assert_eq!(figures(&viewed), expected, "--view");
    assert_eq!(viewed["coverage"]["partitions"], 18, "{viewed}");
    let lag: i64 = viewed["lag"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lag"].as_i64().unwrap())
        .sum();
    assert_eq!(lag, 0, "{viewed}");
}

#[test]
fn a_paused_zombie_does_not_count_twice() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-zombie");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", PARTITIONS]));
    let group = unique("eos-zombie");
    let counts = (30_000, 8_000, 12_000);

    let zombie = member(&topics, &group, "15s").spawn().unwrap();
    let other = member(&topics, &group, "15s").spawn().unwrap();
    let producer = produce(&topics, 202, counts, 4_000);
    sleep(4);
    // Paused past the session timeout: the group gives its partitions to the other member; on
    // waking it still holds uncommitted counts and fetched messages, and must be fenced.
    signal(&zombie, "STOP");
    sleep(12);
    signal(&zombie, "CONT");
    assert_acknowledged(&finished(producer, "producer"), &topics, counts);
    let zombie = finished(zombie, "zombie");
    let other = finished(other, "other");

    let expected = expected_report(&topics);
    assert_eq!(expected["events"], 50_000);
    assert_eq!(figures(&view(&topics, &group)), expected, "--view");
    for (name, output) in [("zombie", &zombie), ("other", &other)] {
        let report = final_report(output);
        assert!(
            report["events"].as_u64().unwrap() <= 50_000,
            "{name} counted some events twice: {report}"
        );
    }
    // It was fenced indeed (a failed commit, or partitions lost to the group), and said so.
    let stderr = String::from_utf8_lossy(&zombie.stderr);
    assert!(stderr.contains("fenced"), "{stderr}");
}

#[test]
fn a_state_topic_that_is_not_compacted_is_one_clear_error() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-not-compacted");
    let _cleanup = Cleanup(topics.clone());
    // The state topic made first, as an ordinary topic (cleanup.policy=delete).
    let plain = TopicSet {
        product_events: topics.state.clone(),
        ..TopicSet::new("unused")
    };
    run_ok(tool("setup-topics", &plain).args(["--partitions", "1"]));
    let _plain_cleanup = Cleanup(plain);
    create_topics(&topics);
    let output = tool("metrics-consumer", &topics)
        .args(["--exactly-once", "--timeout", "1s"])
        .output()
        .unwrap();
    let line = one_error_line(&output);
    assert!(
        line.contains(&format!(
            "topic {} is not compacted (cleanup.policy=delete)",
            topics.state
        )),
        "{line}"
    );
}

#[test]
fn view_of_a_missing_state_topic_is_one_clear_error() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-view-missing");
    let output = tool("metrics-consumer", &topics)
        .args(["--view", "--group", "nobody"])
        .output()
        .unwrap();
    let line = one_error_line(&output);
    assert!(
        line.contains(&format!("state topic {} does not exist", topics.state)),
        "{line}"
    );
}
