//! consumer and metrics-consumer against the real broker.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// The business figures of a metrics-consumer JSON report (without where-it-stands fields).
fn figures(report: &Value) -> Value {
    let mut figures = report.clone();
    let object = figures.as_object_mut().unwrap();
    for key in ["report", "group", "lag"] {
        object.remove(key);
    }
    figures
}

fn final_report(output: &std::process::Output) -> Value {
    let lines = json_lines(output);
    let last = lines.last().expect("at least the final report").clone();
    assert_eq!(last["report"], "final", "{last}");
    last
}

fn metrics(topics: &TopicSet, group: &str, extra: &[&str]) -> Command {
    let mut command = tool("metrics-consumer", topics);
    command.args(["--json", "--group", group]).args(extra);
    command
}

#[test]
fn metrics_consumer_final_report_equals_the_engine_over_the_same_events() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("metrics", 21, (3000, 700, 1500));
    let group = unique("metrics-group");
    let output = run_ok(&mut metrics(
        &topics,
        &group,
        &["--from-beginning", "--timeout", "4s", "--every", "1000"],
    ));
    let lines = json_lines(&output);
    // A periodic report every 1000 messages, then the final one.
    assert_eq!(
        lines.iter().filter(|l| l["report"] == "periodic").count(),
        5
    );
    let report = final_report(&output);
    assert_eq!(report["events"], 5200);
    assert_eq!(figures(&report), expected_report(&topics));
    assert_eq!(report["group"], group.as_str());
    let lag = report["lag"].as_array().unwrap();
    assert_eq!(lag.len(), 9, "three partitions of three topics: {report}");
    assert!(lag.iter().all(|l| l["lag"] == 0), "{report}");
}

/// Several reader threads give the same figures as one, byte for byte (rejected messages and
/// dead letters included), and commit every offset: the group has nothing left to read.
#[test]
fn metrics_consumer_on_several_threads_gives_the_same_figures_byte_for_byte() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("threads", 31, (20_000, 4_000, 8_000));
    write_raw(
        &topics.purchases,
        &[("U001", Some(b"{not json")), ("U002", None)],
    );
    let one = run_ok(&mut metrics(
        &topics,
        &unique("threads-one"),
        &["--from-beginning", "--timeout", "4s", "--threads", "1"],
    ));
    let group = unique("threads-four");
    let dead_letter_topic = format!("{}-dead", topics.purchases);
    let four = run_ok(&mut metrics(
        &topics,
        &group,
        &[
            "--from-beginning",
            "--timeout",
            "4s",
            "--every",
            "5000",
            "--threads",
            "4",
            "--dead-letter-topic",
            &dead_letter_topic,
        ],
    ));
    let (one_report, four_report) = (final_report(&one), final_report(&four));
    assert_eq!(
        serde_json::to_string(&figures(&four_report)).unwrap(),
        serde_json::to_string(&figures(&one_report)).unwrap()
    );
    assert_eq!(four_report["events"], 32_000);
    assert_eq!(four_report["rejected"], 2);
    assert_eq!(figures(&four_report), expected_report(&topics));
    let lag = four_report["lag"].as_array().unwrap();
    assert!(lag.iter().all(|l| l["lag"] == 0), "{four_report}");
    // Periodic reports as the count passes each 5000, their figures never going back.
    let periodic: Vec<u64> = json_lines(&four)
        .iter()
        .filter(|l| l["report"] == "periodic")
        .map(|l| l["events"].as_u64().unwrap() + l["rejected"].as_u64().unwrap())
        .collect();
    assert!(!periodic.is_empty() && periodic.len() <= 6, "{periodic:?}");
    assert!(periodic.windows(2).all(|w| w[0] <= w[1]), "{periodic:?}");
    assert!(periodic.iter().all(|&n| n >= 5000), "{periodic:?}");
    // Each rejected message copied once.
    assert_eq!(message_count(&dead_letter_topic), 2);

    // Every offset was committed: the group reads nothing more.
    let again = run_ok(&mut metrics(
        &topics,
        &group,
        &["--timeout", "3s", "--threads", "4"],
    ));
    assert_eq!(final_report(&again)["events"], 0);
}

/// Two instances with reader threads share a group: partitions move between them as the second
/// joins, yet together they count every event at least once and leave nothing unread.
#[test]
fn instances_with_reader_threads_share_a_group_through_a_rebalance() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("threads-group", 41, (30_000, 6_000, 12_000));
    let group = unique("threads-group");
    let start = |pause: u64| {
        std::thread::sleep(Duration::from_millis(pause));
        metrics(
            &topics,
            &group,
            &["--from-beginning", "--timeout", "8s", "--threads", "2"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
    };
    let first = start(0);
    let second = start(500);
    let reports = [
        final_report(&finished(first, "first instance")),
        final_report(&finished(second, "second instance")),
    ];
    let expected = expected_report(&topics);
    for (event_type, count) in expected["events_by_type"].as_object().unwrap() {
        let counted: u64 = reports
            .iter()
            .map(|r| r["events_by_type"][event_type].as_u64().unwrap_or(0))
            .sum();
        assert!(
            counted >= count.as_u64().unwrap(),
            "{event_type}: {counted} < {count}"
        );
    }
    let again = run_ok(&mut metrics(
        &topics,
        &group,
        &["--timeout", "3s", "--threads", "2"],
    ));
    assert_eq!(final_report(&again)["events"], 0);
}

/// The counts of the window tests' launcher runs: 6,800 events.
const WINDOWS_COUNTS: &[&str] = &[
    "--product-events",
    "4000",
    "--purchases",
    "800",
    "--user-events",
    "2000",
];

/// Fresh topics written by a launcher run at full speed with `flags` and `--truth` in 30 s
/// windows: the topics, their cleanup, and the ground truth's windows by start.
fn launcher_with_truth(test: &str, flags: &[&str]) -> (TopicSet, Cleanup, BTreeMap<String, Value>) {
    let topics = TopicSet::new(test);
    let cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    run_ok(
        tool("run-multiple-producers", &topics)
            .args(["--rate", "0", "--quiet"])
            .args(flags)
            .args(["--truth", path.to_str().unwrap(), "--window", "30s"]),
    );
    let truth = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|line| {
            let window: Value = serde_json::from_str(line).unwrap();
            (window["start"].as_str().unwrap().to_string(), window)
        })
        .collect();
    (topics, cleanup, truth)
}

/// `--window`: figures per window of event time; read in order, every closed window equals the
/// ground truth the launcher wrote, and nothing is too late.
#[test]
fn metrics_consumer_windows_equal_the_launchers_ground_truth() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup, truth) =
        launcher_with_truth("windows", &[&["--seed", "12"], WINDOWS_COUNTS].concat());

    let output = run_ok(&mut metrics(
        &topics,
        &unique("windows"),
        &[
            "--from-beginning",
            "--timeout",
            "4s",
            "--window",
            "30s",
            "--windows",
            "100000",
        ],
    ));
    let report = final_report(&output);
    assert_eq!(
        report["too_late"],
        serde_json::json!({"product-events": 0, "purchases": 0, "user-events": 0})
    );
    assert_windows_equal_the_truth(&report, &truth, "one reader");
    // Every report carries the windows; a human report shows them as a table.
    assert!(
        json_lines(&output)
            .iter()
            .all(|line| line.get("windows").is_some())
    );
    let output = run_ok(tool("metrics-consumer", &topics).args([
        "--from-beginning",
        "--timeout",
        "3s",
        "--group",
        &unique("windows-human"),
        "--window",
        "30s",
        "--windows",
        "3",
        "--every",
        "100000",
    ]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("event time: watermark"), "{stdout}");
    assert!(stdout.contains("cart → purchase"), "{stdout}");
}

/// Disorder on purpose (`--late-fraction 0.05 --max-delay 10s`): with 15 s of allowed lateness
/// every window equals the ground truth; with 2 s, each window differs from it by exactly the
/// events reported too late for it.
#[test]
fn late_events_count_within_the_lateness_and_are_reported_per_window_after_it() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup, truth) = launcher_with_truth(
        "late",
        &[
            "--seed",
            "21",
            "--product-events",
            "6000",
            "--purchases",
            "1200",
            "--user-events",
            "3000",
            "--late-fraction",
            "0.05",
            "--max-delay",
            "10s",
        ],
    );
    assert_some_event_out_of_order(&topics);

    let lenient = late_windows(&topics, "15s", &[]);
    let too_late = total_too_late(&lenient);
    assert_eq!(too_late, 0, "{}", lenient["too_late"]);
    let windows = lenient["windows"].as_array().unwrap();
    assert_eq!(windows.len(), truth.len());
    for window in windows {
        assert_eq!(as_final(window), truth[window["start"].as_str().unwrap()]);
    }

    let dead_letter_topic = format!("{}-dead", topics.product_events);
    let strict = late_windows(&topics, "2s", &["--dead-letter-topic", &dead_letter_topic]);
    let too_late = total_too_late(&strict);
    assert!(too_late > 0, "nothing too late at 2 s");
    assert_too_late_events_are_dead_letters(&topics, &strict, &dead_letter_topic, too_late);
    assert_windows_short_by_their_too_late(&strict, &truth, too_late);
}

/// Arrival order differs from event order on the product events' partition 0.
fn assert_some_event_out_of_order(topics: &TopicSet) {
    let stamps: Vec<i64> = read_topic(&topics.product_events)
        .iter()
        .filter(|r| r.partition == 0)
        .map(|r| {
            let event: Value = serde_json::from_slice(&r.payload).unwrap();
            shopstream_core::Timestamp::parse(event["timestamp"].as_str().unwrap())
                .unwrap()
                .millis()
        })
        .collect();
    assert!(
        stamps.windows(2).any(|w| w[1] < w[0]),
        "no event out of order"
    );
}

/// The final report of 30 s windows read from the beginning with this allowed lateness.
///
/// Small fetches keep the partitions' event clocks close together, as a reader that keeps up
/// with live topics sees them; one large fetch per partition would let a single partition run
/// far ahead while the slowest one holds the watermark back, so that a late event could arrive
/// before its window had closed on a busy machine.
fn late_windows(topics: &TopicSet, lateness: &str, more: &[&str]) -> Value {
    let output = run_ok(
        metrics(
            topics,
            &unique("late"),
            &[
                "--from-beginning",
                "--timeout",
                "4s",
                "--window",
                "30s",
                "--windows",
                "100000",
                "--allowed-lateness",
                lateness,
            ],
        )
        .env("KAFKA_MAX_PARTITION_FETCH_BYTES", "16384")
        .args(more),
    );
    final_report(&output)
}

/// Each too-late event is also copied, untouched, to the dead-letter topic, saying where from.
fn assert_too_late_events_are_dead_letters(
    topics: &TopicSet,
    strict: &Value,
    dead_letter_topic: &str,
    too_late: u64,
) {
    let letters = read_topic(dead_letter_topic);
    assert_eq!(letters.len() as u64, too_late);
    let sources: BTreeMap<(String, i32, i64), Vec<u8>> = topics
        .names()
        .iter()
        .flat_map(|topic| {
            read_topic(topic)
                .into_iter()
                .map(|r| ((topic.to_string(), r.partition, r.offset), r.payload))
        })
        .collect();
    let mut per_topic: BTreeMap<String, u64> = BTreeMap::new();
    for letter in &letters {
        let header = |name: &str| -> String {
            letter
                .headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_default()
        };
        assert_eq!(header("shopstream.reject.kind"), "too_late");
        assert!(
            header("shopstream.reject.reason").starts_with("too late: its event time"),
            "{}",
            header("shopstream.reject.reason")
        );
        let source = (
            header("shopstream.source.topic"),
            header("shopstream.source.partition").parse().unwrap(),
            header("shopstream.source.offset").parse().unwrap(),
        );
        assert_eq!(sources.get(&source), Some(&letter.payload), "{source:?}");
        let kind = source.0.rsplit_once(topics.base()).unwrap().1[1..].to_string();
        *per_topic.entry(kind).or_default() += 1;
    }
    for (kind, count) in strict["too_late"].as_object().unwrap() {
        let copied = per_topic.get(kind).copied().unwrap_or(0);
        assert_eq!(copied, count.as_u64().unwrap(), "{kind}");
    }
}

/// Each window differs from the ground truth by exactly the events too late for it.
fn assert_windows_short_by_their_too_late(
    strict: &Value,
    truth: &BTreeMap<String, Value>,
    too_late: u64,
) {
    let windows = strict["windows"].as_array().unwrap();
    let per_window: u64 = windows
        .iter()
        .map(|w| w["too_late"].as_u64().unwrap())
        .sum();
    assert_eq!(per_window, too_late);
    for window in windows {
        let start = window["start"].as_str().unwrap();
        let expected = &truth[start];
        let late = window["too_late"].as_u64().unwrap();
        assert_eq!(
            expected["events"].as_u64().unwrap() - window["events"].as_u64().unwrap(),
            late,
            "window {start}"
        );
        if late == 0 {
            assert_eq!(&as_final(window), expected, "window {start}");
        }
    }
}

/// A window as the ground truth has it: final.
fn as_final(window: &Value) -> Value {
    let mut window = window.clone();
    window["closed"] = true.into();
    window
}

/// A report's windows are those of the ground truth, one for one and field for field, and the
/// watermark closed most of them while reading (`mode` names the run in a failure).
fn assert_windows_equal_the_truth(report: &Value, truth: &BTreeMap<String, Value>, mode: &str) {
    let windows = report["windows"].as_array().unwrap();
    assert_eq!(windows.len(), truth.len(), "{mode}");
    let closed = windows.iter().filter(|w| w["closed"] == true).count();
    assert!(
        closed * 10 >= windows.len() * 8,
        "{mode}: {closed} of {} closed",
        windows.len()
    );
    for window in windows {
        let start = window["start"].as_str().unwrap();
        assert_eq!(as_final(window), truth[start], "{mode}: window {start}");
    }
}

/// Events a report counted as too late, all topics together.
fn total_too_late(report: &Value) -> u64 {
    report["too_late"]
        .as_object()
        .unwrap()
        .values()
        .map(|n| n.as_u64().unwrap())
        .sum()
}

/// Windows in every mode: on reader threads, with a checkpoint stopped halfway and resumed, and
/// in an exactly-once group stopped halfway and resumed (and its --view): with late events
/// within the lateness, every window equals the ground truth.
#[test]
fn windows_in_every_mode_equal_the_ground_truth() {
    if skip_without_broker() {
        return;
    }
    let late = [
        "--seed",
        "31",
        "--late-fraction",
        "0.05",
        "--max-delay",
        "10s",
    ];
    let (topics, _cleanup, truth) =
        launcher_with_truth("windows-modes", &[&late[..], WINDOWS_COUNTS].concat());
    windows_on_threads_equal_the_truth(&topics, &truth);
    windows_resumed_from_a_checkpoint_equal_the_truth(&topics, &truth);
    windows_resumed_exactly_once_equal_the_truth(&topics, &truth);
}

/// Windows of 30 s with 15 s of allowed lateness, read from the beginning.
const WINDOWS_FLAGS: [&str; 7] = [
    "--window",
    "30s",
    "--windows",
    "100000",
    "--allowed-lateness",
    "15s",
    "--from-beginning",
];

fn windows_report(topics: &TopicSet, group: &str, flags: &[&str]) -> Value {
    final_report(&run_ok(metrics(topics, group, &WINDOWS_FLAGS).args(flags)))
}

fn assert_nothing_late_and_windows_equal_the_truth(
    report: &Value,
    truth: &BTreeMap<String, Value>,
    mode: &str,
) {
    assert_eq!(total_too_late(report), 0, "{mode}: {}", report["too_late"]);
    assert_windows_equal_the_truth(report, truth, mode);
}

fn windows_on_threads_equal_the_truth(topics: &TopicSet, truth: &BTreeMap<String, Value>) {
    let threads = windows_report(
        topics,
        &unique("windows-threads"),
        &["--timeout", "4s", "--threads", "2"],
    );
    assert_nothing_late_and_windows_equal_the_truth(&threads, truth, "--threads 2");
}

/// Stopped halfway and resumed from a checkpoint; saved windows go on only at their own width.
fn windows_resumed_from_a_checkpoint_equal_the_truth(
    topics: &TopicSet,
    truth: &BTreeMap<String, Value>,
) {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("windows.checkpoint");
    let checkpoint = checkpoint.to_str().unwrap();
    let group = unique("windows-checkpoint");
    let half = windows_report(
        topics,
        &group,
        &["--max-messages", "3000", "--checkpoint", checkpoint],
    );
    assert_eq!(half["events"], 3000);
    let resumed = windows_report(
        topics,
        &group,
        &["--timeout", "4s", "--checkpoint", checkpoint],
    );
    assert_eq!(resumed["events"], 6800);
    assert_nothing_late_and_windows_equal_the_truth(&resumed, truth, "--checkpoint");
    let output = tool("metrics-consumer", topics)
        .args([
            "--group",
            &group,
            "--checkpoint",
            checkpoint,
            "--window",
            "1m",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot go on with --window 60s; pass --reset to start over")
            && stderr.contains("the saved windows are 30s wide, not 60s"),
        "{stderr}"
    );
}

/// Stopped halfway and resumed in an exactly-once group, whose --view shows the same windows.
fn windows_resumed_exactly_once_equal_the_truth(
    topics: &TopicSet,
    truth: &BTreeMap<String, Value>,
) {
    let group = unique("windows-exactly-once");
    let half = windows_report(
        topics,
        &group,
        &["--exactly-once", "--max-messages", "3000"],
    );
    assert!(half["events"].as_u64().unwrap() >= 3000, "{half}");
    let resumed = windows_report(topics, &group, &["--exactly-once", "--timeout", "4s"]);
    assert_eq!(resumed["events"], 6800);
    assert_nothing_late_and_windows_equal_the_truth(&resumed, truth, "--exactly-once");
    let view = final_report(&run_ok(tool("metrics-consumer", topics).args([
        "--view",
        "--group",
        &group,
        "--json",
        "--windows",
        "100000",
    ])));
    assert_eq!(view["windows"], resumed["windows"]);
}

/// More than one reader thread only where the group keeps the offsets: one clear line otherwise.
#[test]
fn several_threads_with_a_checkpoint_is_one_clear_error() {
    let output = tool("metrics-consumer", &TopicSet::new("threads-checkpoint"))
        .args([
            "--threads",
            "2",
            "--checkpoint",
            "/nonexistent/threads.checkpoint",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim(),
        "error: --threads 2 does not go with --checkpoint: its figures and offsets are kept \
         together on one thread (several threads read with the group's offsets only)"
    );
}

#[test]
fn consumer_json_returns_exactly_the_events_written_with_their_places() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("consumer");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    run_ok(tool("run-multiple-producers", &topics).args(["--rate", "0", "--quiet", "--seed", "4"]));
    let output = run_ok(tool("consumer", &topics).args([
        "--json",
        "--from-beginning",
        "--max-messages",
        "85",
        "--group",
        &unique("consumer-group"),
    ]));
    let mut printed: Vec<(String, i64, i64, Value, Value)> = json_lines(&output)
        .into_iter()
        .map(|l| {
            (
                l["topic"].as_str().unwrap().to_string(),
                l["partition"].as_i64().unwrap(),
                l["offset"].as_i64().unwrap(),
                l["key"].clone(),
                l["event"].clone(),
            )
        })
        .collect();
    let mut stored = Vec::new();
    for topic in topics.names() {
        for record in read_topic(topic) {
            let key = Value::String(String::from_utf8(record.key.unwrap()).unwrap());
            let event: Value = serde_json::from_slice(&record.payload).unwrap();
            stored.push((
                topic.to_string(),
                i64::from(record.partition),
                record.offset,
                key,
                event,
            ));
        }
    }
    assert_eq!(stored.len(), 85);
    printed.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    stored.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    assert_eq!(printed, stored);
}

#[test]
fn malformed_messages_are_rejected_with_a_reason_and_change_no_figure() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("malformed", 8, (200, 50, 100));
    let before = expected_report(&topics);

    write_malformed_messages(&topics);
    metrics_reject_each_and_keep_every_figure(&topics, &before);
    consumer_reports_each_rejection_and_goes_on(&topics);
}

/// Six malformed messages, two on each topic, each with a different reason.
fn write_malformed_messages(topics: &TopicSet) {
    let wrong_type = br#"{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"view","timestamp":"2026-01-01T00:00:00.000Z","user_id":"U001","session_id":"S1","region":"North","customer_type":"VIP","product_id":"P001","product_name":"Laptop","category":"Electronics","price":"cheap","brand":"Dell"}"#;
    let unknown_type = br#"{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"refund","timestamp":"2026-01-01T00:00:00.000Z","user_id":"U001","session_id":"S1","region":"North","customer_type":"VIP"}"#;
    let missing_field = br#"{"event_id":"0f8fad5b-d9cb-469f-a165-70867728950e","event_type":"purchase","timestamp":"2026-01-01T00:00:00.000Z","user_id":"U001","session_id":"S1","region":"North","customer_type":"VIP","order_id":"O1","product_id":"P001","product_name":"Laptop","category":"Electronics","price":10.0,"quantity":1,"payment_method":"paypal"}"#;
    write_raw(
        &topics.product_events,
        &[("U001", Some(b"{not json")), ("U001", Some(wrong_type))],
    );
    write_raw(
        &topics.purchases,
        &[("U001", Some(missing_field)), ("U001", Some(b"\xff\xfe{}"))],
    );
    write_raw(
        &topics.user_events,
        &[("U001", Some(unknown_type)), ("U001", None)],
    );
}

fn metrics_reject_each_and_keep_every_figure(topics: &TopicSet, before: &Value) {
    let output = run_ok(&mut metrics(
        topics,
        &unique("malformed-metrics"),
        &["--from-beginning", "--timeout", "4s"],
    ));
    let report = final_report(&output);
    assert_eq!(report["rejected"], 6);
    assert_eq!(
        report["rejected_by_reason"],
        serde_json::json!({"empty": 1, "invalid_json": 1, "invalid_utf8": 1, "missing_field": 1, "unknown_event_type": 1, "wrong_type": 1})
    );
    // Every business figure is what the valid events alone give.
    let mut after = figures(&report);
    after["rejected"] = before["rejected"].clone();
    after["rejected_by_reason"] = before["rejected_by_reason"].clone();
    assert_eq!(&after, before);
}

/// The consumer goes on after each rejection, listing it in JSON and in human output.
fn consumer_reports_each_rejection_and_goes_on(topics: &TopicSet) {
    let output = run_ok(tool("consumer", topics).args([
        "--json",
        "--from-beginning",
        "--timeout",
        "4s",
        "--group",
        &unique("malformed-consumer"),
    ]));
    let lines = json_lines(&output);
    assert_eq!(
        lines.len(),
        356,
        "the consumer goes on after each rejection"
    );
    let rejected: Vec<&Value> = lines
        .iter()
        .filter(|l| l.get("rejected").is_some())
        .collect();
    assert_eq!(rejected.len(), 6);
    for line in rejected {
        assert!(
            line["partition"].is_i64() && line["offset"].is_i64(),
            "{line}"
        );
        assert!(
            !line["rejected"]["reason"].as_str().unwrap().is_empty(),
            "{line}"
        );
    }
    // And in human output: one "rejected" line each, with topic, partition@offset and reason.
    let human = run_ok(tool("consumer", topics).args([
        "--from-beginning",
        "--timeout",
        "4s",
        "--group",
        &unique("malformed-human"),
    ]));
    let text = String::from_utf8_lossy(&human.stdout);
    let rejected_lines: Vec<&str> = text.lines().filter(|l| l.starts_with("rejected")).collect();
    assert_eq!(rejected_lines.len(), 6, "{text}");
    assert!(
        rejected_lines
            .iter()
            .any(|l| l.contains(&topics.purchases) && l.contains("missing field `total`")),
        "{text}"
    );
}

#[test]
fn a_restarted_metrics_consumer_resumes_in_its_group_and_counts_every_event() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("restart", 1, (12000, 3000, 5000));
    let total = 20_000;
    let group = unique("restart-group");

    // First run: stopped by --max-messages.
    let first = final_report(&run_ok(&mut metrics(
        &topics,
        &group,
        &["--from-beginning", "--max-messages", "5000"],
    )));
    assert_eq!(first["events"], 5000);

    // Second run: stopped by SIGINT in the middle.
    let mut child = metrics(&topics, &group, &["--from-beginning", "--every", "500"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(stdout);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut reader, &mut line).unwrap();
    assert!(line.contains(r#""periodic""#), "{line}");
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut reader, &mut rest).unwrap();
    assert!(child.wait().unwrap().success());
    let second: Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(second["report"], "final");
    let second_events = second["events"].as_u64().unwrap();

    // Third run, the same command as before: the rest. (--from-beginning only applies to
    // partitions the group has no committed offset for, e.g. those the first runs never reached.)
    let third = final_report(&run_ok(&mut metrics(
        &topics,
        &group,
        &["--from-beginning", "--timeout", "4s"],
    )));
    let third_events = third["events"].as_u64().unwrap();

    let counted = 5000 + second_events + third_events;
    assert!(
        counted >= total,
        "every event at least once: {counted} < {total}"
    );
    // Resumed, not restarted: re-reads are bounded by what was processed but not yet committed.
    assert!(
        counted <= total + 2_000,
        "{counted} counted for {total} events"
    );
    assert_eq!(
        third["lag"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["lag"].as_i64().unwrap())
            .sum::<i64>(),
        0
    );
}

#[test]
fn a_missing_topic_is_said_at_once() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("nosuch");
    let started = Instant::now();
    let output = tool("consumer", &topics)
        .args(["--timeout", "30s"])
        .output()
        .unwrap();
    assert_eq!(
        one_error_line(&output),
        missing_topic_error(&topics.product_events)
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn dead_letters_are_rejected_messages_copied_untouched_with_their_source_and_reason() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("deadletters");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    run_ok(tool("user-producer", &topics).args(["--count", "20", "--rate", "0", "--quiet"]));
    let bad: [(&str, Option<&[u8]>); 3] = [
        ("U001", Some(b"{not json")),
        ("U002", Some(b"\xff\xfe")),
        ("U003", None),
    ];
    write_raw(&topics.user_events, &bad);

    for (binary, suffix) in [
        ("consumer", "dlq-consumer"),
        ("metrics-consumer", "dlq-metrics"),
    ] {
        let dead_letter_topic = format!("{}-{suffix}", topics.user_events);
        run_ok(tool(binary, &topics).args([
            "--json",
            "--from-beginning",
            "--timeout",
            "4s",
            "--group",
            &unique(suffix),
            "--dead-letter-topic",
            &dead_letter_topic,
        ]));
        let letters = read_topic(&dead_letter_topic);
        assert_eq!(letters.len(), 3, "{binary}");
        let source = read_topic(&topics.user_events);
        for letter in &letters {
            let header = |name: &str| {
                letter
                    .headers
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .unwrap_or_else(|| panic!("{name} missing"))
            };
            assert_eq!(header("shopstream.source.topic"), topics.user_events);
            let partition: i32 = header("shopstream.source.partition").parse().unwrap();
            let offset: i64 = header("shopstream.source.offset").parse().unwrap();
            let original = source
                .iter()
                .find(|r| r.partition == partition && r.offset == offset)
                .unwrap();
            assert_eq!(
                (&letter.key, &letter.payload),
                (&original.key, &original.payload),
                "untouched"
            );
            assert!(
                ["invalid_json", "invalid_utf8", "empty"]
                    .contains(&header("shopstream.reject.kind").as_str())
            );
            assert!(!header("shopstream.reject.reason").is_empty());
        }
        let _ = Cleanup(TopicSet {
            product_events: dead_letter_topic.clone(),
            purchases: dead_letter_topic.clone(),
            user_events: dead_letter_topic.clone(),
            state: dead_letter_topic,
        });
    }
}

#[test]
fn killed_again_and_again_with_a_checkpoint_the_final_figures_are_exact() {
    if skip_without_broker() {
        return;
    }
    use std::io::BufRead;

    let (topics, _cleanup) = topics_with_events("checkpoint", 12, (36000, 9000, 15000));
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("metrics.checkpoint");
    let checkpoint = checkpoint.to_str().unwrap();
    let group = unique("checkpoint-group");

    let mut kills = 0;
    for cycle in 0..4u64 {
        let mut child = metrics(
            &topics,
            &group,
            &[
                "--from-beginning",
                "--every",
                "2000",
                "--checkpoint",
                checkpoint,
            ],
        )
        .args(["--checkpoint-every", "3000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let mut periodic = 0;
        while periodic < 2 {
            match lines.next() {
                Some(Ok(line)) if line.contains(r#""periodic""#) => periodic += 1,
                Some(_) => {}
                None => break,
            }
        }
        // Somewhere between two checkpoints, without warning: SIGKILL.
        std::thread::sleep(Duration::from_millis(37 * cycle));
        child.kill().unwrap();
        child.wait().unwrap();
        kills += 1;
    }
    assert_eq!(kills, 4);

    let output = run_ok(&mut metrics(
        &topics,
        &group,
        &[
            "--from-beginning",
            "--timeout",
            "4s",
            "--checkpoint",
            checkpoint,
        ],
    ));
    let report = final_report(&output);
    assert_eq!(report["events"], 60_000, "every event exactly once");
    assert_eq!(figures(&report), expected_report(&topics));
}

/// `tool --json | head -3`: the reader closing the pipe ends both consumers quietly, exit 0.
#[test]
fn a_closed_stdout_ends_the_consumers_quietly() {
    if skip_without_broker() {
        return;
    }
    use std::io::{BufRead, BufReader};
    let (topics, _cleanup) = topics_with_events("closed-pipe", 5, (300, 60, 150));
    for (binary, extra) in [
        ("consumer", &[][..]),
        ("metrics-consumer", &["--every", "1"][..]),
    ] {
        let mut child = tool(binary, &topics)
            .args(["--json", "--from-beginning", "--timeout", "20s"])
            .args(["--group", &unique("closed-pipe")])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the consumer starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let lines: Vec<String> = BufReader::new(stdout)
            .lines()
            .take(3)
            .collect::<Result<_, _>>()
            .expect("three lines");
        assert_eq!(lines.len(), 3);
        // The reader is gone (dropped with the BufReader): the next write fails with EPIPE.
        let output = child.wait_with_output().expect("the consumer ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{binary}: {:?} {stderr}",
            output.status
        );
        assert!(!stderr.contains("error"), "{binary}: {stderr}");
        assert!(!stderr.contains("panicked"), "{binary}: {stderr}");
    }
}

#[test]
fn on_a_terminal_reports_come_at_most_about_once_a_second() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("paced", 9, (2000, 400, 600));
    let metrics = |group: &str| {
        let mut command = tool("metrics-consumer", &topics);
        command.args([
            "--from-beginning",
            "--group",
            group,
            "--every",
            "20",
            "--timeout",
            "2s",
        ]);
        command
    };
    // Into a pipe: one report per 20 messages, exactly as before (150), then the final one.
    let piped = run_ok(&mut metrics(&unique("paced-pipe")));
    let text = String::from_utf8_lossy(&piped.stdout);
    assert_eq!(text.matches("Report: ").count(), 150);
    assert_eq!(text.matches("Final report: 3000 events").count(), 1);

    // On a terminal (a pseudo-terminal made by script(1)): 3000 events read in well under a few
    // seconds give a handful of reports, not 150; the final one always comes.
    let inner = metrics(&unique("paced-tty"));
    let words: Vec<String> = std::iter::once(inner.get_program())
        .chain(inner.get_args())
        .map(|w| format!("'{}'", w.to_string_lossy()))
        .collect();
    let mut terminal = Command::new("script");
    terminal
        .args(["-qfec", &words.join(" "), "/dev/null"])
        .current_dir(repo_root());
    for (key, value) in inner.get_envs() {
        match value {
            Some(value) => terminal.env(key, value),
            None => terminal.env_remove(key),
        };
    }
    let started = std::time::Instant::now();
    let output = run_ok(&mut terminal);
    let seconds = started.elapsed().as_secs() as usize;
    let text = String::from_utf8_lossy(&output.stdout);
    // ("Final report: " has a small r: only periodic reports start with "Report: ".)
    let periodic = text.matches("Report: ").count();
    assert!(
        (1..=seconds + 1).contains(&periodic),
        "{periodic} periodic reports in {seconds} s:\n{text}"
    );
    assert!(text.contains("Final report: 3000 events"), "{text}");
}
