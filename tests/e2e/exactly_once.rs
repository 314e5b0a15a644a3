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

/// Distinct products in [`distinct_products_survive_a_sigkill`].
const DISTINCT_PRODUCTS: u64 = 100_000;

/// Products viewed more than once there, so that the top list is known: product `X{k}` is viewed
/// `1 + (TOP - k)` times.
const TOP: u64 = 10;

/// A view of product `X{id}` as raw JSON, the shape the producers write.
fn view_of(id: u64) -> String {
    format!(
        r#"{{"event_id":"00000000-0000-4000-8000-{id:012x}","event_type":"view","timestamp":"2026-01-01T00:00:00.000Z","user_id":"U{id}","session_id":"S{id}","region":"North","customer_type":"VIP","product_id":"X{id}","product_name":"Item {id}","category":"Electronics","price":19.99,"brand":"Dell"}}"#
    )
}

/// Writes `events` raw (key, value) to `topic`, waiting for room in the producer's queue.
fn write_events(
    producer: &rdkafka::producer::BaseProducer,
    topic: &str,
    events: &[(String, String)],
) {
    use rdkafka::error::KafkaError;
    use rdkafka::producer::{BaseRecord, Producer};
    use rdkafka::types::RDKafkaErrorCode;
    for (key, value) in events {
        let mut record: BaseRecord<'_, str, str> = BaseRecord::to(topic)
            .key(key.as_str())
            .payload(value.as_str());
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => panic!("send: {error}"),
            }
        }
    }
    producer.flush(Duration::from_secs(30)).expect("flush");
}

/// The stream: every product viewed once, the first `TOP` more, in 20 slices (in order).
fn distinct_product_views() -> Vec<Vec<(String, String)>> {
    let mut events: Vec<(String, String)> = (0..DISTINCT_PRODUCTS)
        .map(|id| (format!("X{id}"), view_of(id)))
        .collect();
    for k in 0..TOP {
        for _ in 0..TOP - k {
            events.push((format!("X{k}"), view_of(k)));
        }
    }
    let slice = events.len().div_ceil(20);
    events.chunks(slice).map(<[_]>::to_vec).collect()
}

/// Every record (partition, key, value) of a transactional topic: read until the position passes
/// the high watermark, as the last offsets hold commit markers that are never delivered.
fn read_transactional(topic: &str) -> Vec<(i32, Vec<u8>, Vec<u8>)> {
    use rdkafka::Offset;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message;
    use rdkafka::topic_partition_list::TopicPartitionList;
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("e2e-state-reader"))
        .set("enable.auto.commit", "false")
        .create()
        .expect("reader");
    let timeout = Duration::from_secs(10);
    let metadata = consumer.fetch_metadata(Some(topic), timeout).unwrap();
    let mut assignment = TopicPartitionList::new();
    let mut highs = Vec::new();
    for partition in 0..metadata.topics()[0].partitions().len() as i32 {
        let (_, high) = consumer
            .fetch_watermarks(topic, partition, timeout)
            .unwrap();
        highs.push((partition, high));
        assignment
            .add_partition_offset(topic, partition, Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&assignment).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut records = Vec::new();
    loop {
        while let Some(message) = consumer.poll(Duration::from_millis(100)) {
            let message = message.expect("a record");
            let key = message.key().unwrap_or_default().to_vec();
            let value = message.payload().unwrap_or_default().to_vec();
            records.push((message.partition(), key, value));
        }
        let positions = consumer.position().unwrap();
        let done = highs.iter().all(|&(partition, high)| {
            high == 0
                || matches!(
                    positions.find_partition(topic, partition).map(|e| e.offset()),
                    Some(Offset::Offset(at)) if at >= high
                )
        });
        if done {
            return records;
        }
        assert!(Instant::now() < deadline, "timed out reading {topic}");
    }
}

/// The state topic's records: none near the broker's limit, and all of one input partition on
/// one partition of the state topic. Returns (records, bytes).
fn assert_changelog_shape(topics: &TopicSet) -> (usize, usize) {
    let records = read_transactional(&topics.state);
    let mut homes: std::collections::BTreeMap<
        (String, String, i64),
        std::collections::BTreeSet<i32>,
    > = Default::default();
    let mut bytes = 0;
    for (partition, key, value) in &records {
        let size = key.len() + value.len();
        assert!(size < 100_000, "a state record of {size} bytes");
        bytes += size;
        let key: Value = serde_json::from_slice(key).expect("a JSON key");
        let partition_of = (
            key[0].as_str().unwrap().to_string(),
            key[1].as_str().unwrap().to_string(),
            key[2].as_i64().unwrap(),
        );
        homes.entry(partition_of).or_default().insert(*partition);
    }
    for (input, state_partitions) in &homes {
        assert_eq!(
            state_partitions.len(),
            1,
            "{input:?} on {state_partitions:?}"
        );
    }
    (records.len(), bytes)
}

#[test]
fn distinct_products_survive_a_sigkill() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-distinct");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", PARTITIONS]));
    let group = unique("eos-distinct");
    let producer: rdkafka::producer::BaseProducer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "20")
        .create()
        .expect("producer");

    let a = member(&topics, &group, "60s").spawn().unwrap();
    let b = member(&topics, &group, "20s").spawn().unwrap();
    let started = Instant::now();
    let slices = distinct_product_views();
    let mut a = Some(a);
    let mut c = None;
    // About half a second a slice: A dies after 8 slices, C joins after 12.
    for (index, slice) in slices.iter().enumerate() {
        write_events(&producer, &topics.product_events, slice);
        if index == 8
            && let Some(mut a) = a.take()
        {
            a.kill().unwrap(); // SIGKILL mid-run: no commit, no goodbye
            a.wait().unwrap();
        }
        if index == 12 {
            c = Some(member(&topics, &group, "20s").spawn().unwrap());
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let b = finished(b, "b");
    let c = finished(c.expect("c started"), "c");
    eprintln!("distinct-products run took {:?}", started.elapsed());

    // The independent count, from what was written.
    let total = DISTINCT_PRODUCTS + TOP * (TOP + 1) / 2;
    let viewed = view(&topics, &group);
    assert_eq!(viewed["events"], total, "{}", viewed["events"]);
    assert_eq!(viewed["events_by_type"]["view"], total);
    assert_eq!(
        viewed["coverage"]["partitions"], 18,
        "{}",
        viewed["coverage"]
    );
    for (k, top) in viewed["top_viewed"].as_array().unwrap().iter().enumerate() {
        assert_eq!(top["product_id"], format!("X{k}"), "{top}");
        assert_eq!(top["count"], 1 + TOP - k as u64, "{top}");
    }
    // And figure for figure, an engine over the topics.
    assert_eq!(figures(&viewed), expected_report(&topics), "--view");
    for (name, output) in [("b", &b), ("c", &c)] {
        let report = final_report(output);
        assert!(
            report["events"].as_u64().unwrap() <= total,
            "{name}: {report}"
        );
    }
    let (records, bytes) = assert_changelog_shape(&topics);
    eprintln!("state topic: {records} records, {bytes} bytes");
}

#[test]
fn a_state_topic_of_the_old_format_is_one_clear_error() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("eos-old-format");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", "1"]));
    let group = unique("eos-old-format");
    // A format-1 record, as an older ShopStream wrote it: the whole engine under a 3-element key.
    let key = serde_json::to_string(&(&group, &topics.product_events, 0)).unwrap();
    let value = format!(
        r#"{{"version":1,"group":"{group}","topic":"{}","partition":0,"next_offset":0,"instance":"old","written_at_ms":0,"engine":{{}}}}"#,
        topics.product_events
    );
    write_raw(&topics.state, &[(&key, Some(value.as_bytes()))]);
    let expected = format!(
        "state topic {} holds records of an older ShopStream (format 1) for group {group}: use a \
         new --group, or delete the state topic",
        topics.state
    );
    let member = tool("metrics-consumer", &topics)
        .args(["--exactly-once", "--group", &group, "--timeout", "2s"])
        .output()
        .unwrap();
    assert!(!member.status.success());
    // Its banner, then the one line.
    let stderr = String::from_utf8_lossy(&member.stderr);
    let line = stderr.trim_end().lines().last().unwrap_or_default();
    assert_eq!(stderr.trim_end().lines().count(), 2, "{stderr}");
    assert!(
        line.starts_with("error: ") && line.contains(&expected),
        "{stderr}"
    );
    let viewer = tool("metrics-consumer", &topics)
        .args(["--view", "--group", &group])
        .output()
        .unwrap();
    let line = one_error_line(&viewer);
    assert!(line.contains(&expected), "{line}");
    // Another group on the same state topic is not concerned.
    let other = run_ok(
        tool("metrics-consumer", &topics)
            .args([
                "--exactly-once",
                "--group",
                &unique("eos-new"),
                "--timeout",
                "2s",
            ])
            .args(["--json", "--every", "1000000000"]),
    );
    assert_eq!(final_report(&other)["events"], 0);
}
