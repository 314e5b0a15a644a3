//! The producers against the real broker.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use shopstream_core::{TopicKind, stories};

use crate::util::*;

#[test]
fn each_producer_writes_exactly_count_valid_events_to_its_own_topic() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("single");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let producers = [
        (
            "product-producer",
            TopicKind::ProductEvents,
            &topics.product_events,
            700,
        ),
        (
            "purchase-producer",
            TopicKind::Purchases,
            &topics.purchases,
            300,
        ),
        (
            "user-producer",
            TopicKind::UserEvents,
            &topics.user_events,
            500,
        ),
    ];
    for (binary, kind, topic, count) in producers {
        let output =
            run_ok(tool(binary, &topics).args(["--count", &count.to_string(), "--rate", "0"]));
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(acknowledged_in_summary(&stdout, topic), count, "{stdout}");
        let events = decode_topic(&read_topic(topic), kind);
        assert_eq!(events.len() as u64, count, "{binary}");
    }
}

#[test]
fn the_launcher_default_run_writes_40_15_30_consistent_events() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("launcher");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    // The counts come from the repository's .env (40, 15, 30); only the pause is shortened.
    let output = run_ok(tool("run-multiple-producers", &topics).args(["--rate", "0"]));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let mut all = Vec::new();
    for (kind, topic, expected) in [
        (TopicKind::ProductEvents, &topics.product_events, 40),
        (TopicKind::Purchases, &topics.purchases, 15),
        (TopicKind::UserEvents, &topics.user_events, 30),
    ] {
        assert_eq!(
            acknowledged_in_summary(&stdout, topic),
            expected,
            "{stdout}"
        );
        let events = decode_topic(&read_topic(topic), kind);
        assert_eq!(events.len() as u64, expected, "{kind}");
        all.extend(events);
    }
    // Across the three topics: purchases follow add_to_carts of the same session and product,
    // removes take back only what was added, activity sits between login and logout.
    let stats = stories::check(&all, true).unwrap_or_else(|v| panic!("{v}"));
    assert!(stats.sessions >= 2, "{stats:?}");
}

#[test]
fn a_larger_launcher_run_keeps_every_cross_topic_invariant() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("launcher-large");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    run_ok(tool("run-multiple-producers", &topics).args([
        "--product-events",
        "6000",
        "--purchases",
        "1500",
        "--user-events",
        "3000",
        "--rate",
        "0",
        "--quiet",
    ]));
    let mut all = decode_topic(
        &read_topic(&topics.product_events),
        TopicKind::ProductEvents,
    );
    all.extend(decode_topic(
        &read_topic(&topics.purchases),
        TopicKind::Purchases,
    ));
    all.extend(decode_topic(
        &read_topic(&topics.user_events),
        TopicKind::UserEvents,
    ));
    assert_eq!(all.len(), 10_500);
    stories::check(&all, true).unwrap_or_else(|v| panic!("{v}"));
}

#[test]
fn the_same_seed_twice_gives_byte_identical_payloads() {
    if skip_without_broker() {
        return;
    }
    let payloads = |topics: &TopicSet| -> BTreeMap<(usize, i32), Vec<Vec<u8>>> {
        let mut by_partition = BTreeMap::new();
        for (index, topic) in topics.names().iter().enumerate() {
            for record in read_topic(topic) {
                by_partition
                    .entry((index, record.partition))
                    .or_insert_with(Vec::new)
                    .push(record.payload);
            }
        }
        by_partition
    };
    let run = |name: &str| {
        let topics = TopicSet::new(name);
        create_topics(&topics);
        run_ok(tool("run-multiple-producers", &topics).args([
            "--seed",
            "42",
            "--rate",
            "0",
            "--product-events",
            "400",
            "--purchases",
            "100",
            "--user-events",
            "200",
        ]));
        let result = payloads(&topics);
        drop(Cleanup(topics));
        result
    };
    let first = run("seed-a");
    let second = run("seed-b");
    assert_eq!(first.values().map(Vec::len).sum::<usize>(), 700);
    assert_eq!(first, second);
}

#[test]
fn sigint_stops_an_unlimited_run_and_every_acknowledged_event_is_in_the_topic() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("sigint");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let mut child = tool("product-producer", &topics)
        .args(["--count", "0", "--rate", "0", "--quiet"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Let it produce for a while: wait until events are arriving.
    let started = Instant::now();
    while message_count(&topics.product_events) < 1000 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no events arrived"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the producer ended by itself"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let interrupted = Instant::now();
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            interrupted.elapsed() < Duration::from_secs(15),
            "still running after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        exit.success(),
        "{exit}: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let acknowledged = acknowledged_in_summary(&stdout, &topics.product_events);
    assert!(acknowledged >= 1000, "{stdout}");
    assert_eq!(message_count(&topics.product_events), acknowledged as i64);
}

#[test]
fn a_missing_topic_or_a_down_broker_is_one_clear_line() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("missing");
    let output = tool("purchase-producer", &topics)
        .args(["--count", "5"])
        .output()
        .unwrap();
    assert_eq!(
        one_error_line(&output),
        missing_topic_error(&topics.purchases)
    );

    let started = Instant::now();
    let output = tool("run-multiple-producers", &topics)
        .args(["-b", "127.0.0.1:1", "--connect-timeout", "2s"])
        .output()
        .unwrap();
    let stderr = one_error_line(&output);
    assert!(
        stderr.starts_with("error: nothing listens at 127.0.0.1:1 (connection refused): "),
        "{stderr}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "at once, not after the timeout"
    );
}

#[test]
fn json_output_is_the_events_sent() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("jsonout");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let output = run_ok(
        tool("user-producer", &topics)
            .args(["--count", "50", "--rate", "0", "--json", "--seed", "9"]),
    );
    let printed: Vec<&[u8]> = output
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(printed.len(), 50);
    let mut stored: Vec<Vec<u8>> = read_topic(&topics.user_events)
        .into_iter()
        .map(|r| r.payload)
        .collect();
    let mut printed: Vec<Vec<u8>> = printed.into_iter().map(<[u8]>::to_vec).collect();
    stored.sort();
    printed.sort();
    assert_eq!(printed, stored);
}

#[test]
fn a_closed_stdout_ends_the_producers_quietly() {
    if skip_without_broker() {
        return;
    }
    use std::io::{BufRead, BufReader};
    let topics = TopicSet::new("producer-pipe");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    for (binary, args) in [
        ("product-producer", &["--count", "0"][..]),
        ("run-multiple-producers", FREE_RUNNING),
    ] {
        // Unlimited and as fast as possible: only the closed pipe ends it.
        let mut child = tool(binary, &topics)
            .args(["--json", "--rate", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the producer starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let first = BufReader::new(stdout).lines().next();
        assert!(matches!(first, Some(Ok(_))), "{binary}: one line");
        let output = child.wait_with_output().expect("the producer ends");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{binary}: {:?} {stderr}",
            output.status
        );
        assert_eq!(stderr, "", "{binary}: nothing on stderr");
    }
}

/// `--truth FILE`: one JSON line per event-time window of the acknowledged events, equal to the
/// windows of what the topics hold; the same seed writes the same file, byte for byte.
#[test]
fn the_ground_truth_file_holds_the_windows_of_every_event_written() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (topics, truth) = write_truth(dir.path(), "first");
    let _cleanup = Cleanup(topics.clone());
    assert_eq!(truth, windows_of_what_the_topics_hold(&topics));
    assert_windows_in_order_holding_every_event(&truth, &topics);
    // The same seed, the same truth.
    let (again_topics, again) = write_truth(dir.path(), "again");
    let _again_cleanup = Cleanup(again_topics);
    assert_eq!(again, truth);
}

/// A seeded launcher run writing `--truth` to `dir/<run>.jsonl`: its topics and the file's text.
fn write_truth(dir: &Path, run: &str) -> (TopicSet, String) {
    let topics = TopicSet::new(&format!("truth-{run}"));
    create_topics(&topics);
    let path = dir.join(format!("{run}.jsonl"));
    run_ok(tool("run-multiple-producers", &topics).args([
        "--rate",
        "0",
        "--quiet",
        "--seed",
        "5",
        "--product-events",
        "3000",
        "--purchases",
        "600",
        "--user-events",
        "1500",
        "--truth",
        path.to_str().unwrap(),
        "--window",
        "30s",
    ]));
    let text = std::fs::read_to_string(&path).unwrap();
    (topics, text)
}

/// The windows of every event the topics hold, read back, as the truth file's lines.
fn windows_of_what_the_topics_hold(topics: &TopicSet) -> String {
    let mut stored = shopstream_core::windows::WindowSeries::new(Duration::from_secs(30));
    for (kind, topic) in [
        (TopicKind::ProductEvents, &topics.product_events),
        (TopicKind::Purchases, &topics.purchases),
        (TopicKind::UserEvents, &topics.user_events),
    ] {
        for record in read_topic(topic) {
            let event = shopstream_core::decode(&record.payload, Some(kind)).unwrap();
            stored.record(&event);
        }
    }
    stored
        .figures()
        .iter()
        .map(|w| serde_json::to_string(w).unwrap() + "\n")
        .collect()
}

/// Each line a 30 s window, in order, and together every event, order and cent.
fn assert_windows_in_order_holding_every_event(truth: &str, topics: &TopicSet) {
    let windows: Vec<serde_json::Value> = truth
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(windows.len() > 10, "{} windows", windows.len());
    let sum = |field: &str| -> f64 { windows.iter().map(|w| w[field].as_f64().unwrap()).sum() };
    assert_eq!(sum("events"), 5100.0);
    assert_eq!(sum("orders"), 600.0);
    let report = expected_report(topics);
    let revenue = report["revenue"].as_f64().unwrap();
    assert!(
        (sum("revenue") - revenue).abs() < 0.005,
        "{} against {revenue}",
        sum("revenue")
    );
    for pair in windows.windows(2) {
        assert!(
            pair[0]["end"].as_str() <= pair[1]["start"].as_str(),
            "{pair:?}"
        );
    }
    let millis = |text: &serde_json::Value| {
        shopstream_core::Timestamp::parse(text.as_str().unwrap())
            .unwrap()
            .millis()
    };
    assert_eq!(
        millis(&windows[0]["end"]) - millis(&windows[0]["start"]),
        30_000
    );
}

/// The launcher without counts: free-running, until stopped.
const FREE_RUNNING: &[&str] = &[
    "--product-events",
    "0",
    "--purchases",
    "0",
    "--user-events",
    "0",
];

/// Milliseconds since the Unix epoch, now.
fn wall_ms() -> i64 {
    shopstream_core::Timestamp::now().millis()
}

/// `--backfill 1d` then a live minute: a day of history along the daily curve, written as fast as
/// the broker takes it, then events sent as they happen, their timestamps the wall clock's, with
/// neither a gap nor an overlap between the two.
#[test]
fn a_backfilled_day_then_a_live_minute() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("backfill");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let (lines, started, ended) = run_backfill_then_live(&topics);
    let last_of_history = assert_history_fills_the_day_before(&lines, started);
    assert_live_events_out_when_they_happen(&lines, started, ended, last_of_history);
    assert_sessions_go_forward(&lines);
}

/// A line a backfilled or live run printed, with the wall clock it came at (milliseconds).
type TimedLine = (serde_json::Value, i64);

/// `--backfill 1d --duration 1m --json`: the lines, and the wall clock at the start and the end.
fn run_backfill_then_live(topics: &TopicSet) -> (Vec<TimedLine>, i64, i64) {
    let started = wall_ms();
    let mut child = tool("run-multiple-producers", topics)
        .args(FREE_RUNNING)
        .args(["--backfill", "1d", "--duration", "1m", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Each line with the wall clock it came at.
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let lines: Vec<TimedLine> = std::io::BufRead::lines(stdout)
        .map(|line| (serde_json::from_str(&line.unwrap()).unwrap(), wall_ms()))
        .collect();
    let output = child.wait_with_output().unwrap();
    let ended = wall_ms();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        ended - started >= 60_000,
        "the live minute took {} ms",
        ended - started
    );
    (lines, started, ended)
}

fn stamp(event: &serde_json::Value) -> i64 {
    shopstream_core::Timestamp::parse(event["timestamp"].as_str().unwrap())
        .unwrap()
        .millis()
}

/// The history: the day before the run, every hour of it with traffic. Returns its last time.
fn assert_history_fills_the_day_before(lines: &[TimedLine], started: i64) -> i64 {
    let day_start = started - 86_400_000;
    let history: Vec<i64> = lines
        .iter()
        .map(|(event, _)| stamp(event))
        .filter(|&at| at < started)
        .collect();
    assert!(
        history.len() > 10_000,
        "{} events of history",
        history.len()
    );
    assert!(history.iter().all(|&at| at >= day_start - 1_000));
    let hours: std::collections::BTreeSet<i64> = history
        .iter()
        .map(|at| (at - day_start) / 3_600_000)
        .collect();
    assert_eq!(hours.len(), 24, "hours with traffic: {hours:?}");
    *history.iter().max().unwrap()
}

/// Then live: each event out when it happens, right after the history.
fn assert_live_events_out_when_they_happen(
    lines: &[TimedLine],
    started: i64,
    ended: i64,
    last_of_history: i64,
) {
    let live: Vec<(i64, i64)> = lines
        .iter()
        .map(|(event, came)| (stamp(event), *came))
        .filter(|&(at, _)| at >= started)
        .collect();
    assert!(live.len() >= 10, "{} live events", live.len());
    for &(at, came) in &live {
        assert!((came - at).abs() < 3_000, "an event of {at} came at {came}");
        assert!(at <= ended);
    }
    let gap = live[0].0 - last_of_history;
    assert!(
        (0..300_000).contains(&gap),
        "{gap} ms between history and live"
    );
}

/// Within a session, time goes forward.
fn assert_sessions_go_forward(lines: &[TimedLine]) {
    let mut last: BTreeMap<String, i64> = BTreeMap::new();
    for (event, _) in lines {
        let session = event["session_id"].as_str().unwrap().to_string();
        let at = stamp(event);
        if let Some(before) = last.insert(session.clone(), at) {
            assert!(at > before, "session {session}: {at} after {before}");
        }
    }
}
