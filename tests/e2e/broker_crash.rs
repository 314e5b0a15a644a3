//! The broker is killed (SIGKILL) in the middle of production and started again: the producer
//! keeps going, every event is acknowledged, and the topic holds each exactly once, in order per key.

use std::collections::{HashMap, HashSet};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use shopstream_core::{TopicKind, decode};

use crate::util::*;

#[test]
fn a_broker_crash_during_production_loses_and_duplicates_nothing() {
    if skip_without_broker() {
        return;
    }
    let broker = LocalBroker::start(false);
    let topics = TopicSet::new("crash");
    let servers = broker.bootstrap();
    run_ok(tool("setup-topics", &topics).env("KAFKA_BOOTSTRAP_SERVERS", &servers));

    let total = 200_000;
    let mut producer = spawn_producer(&topics, &servers, total);
    crash_and_restart_midway(&broker, &topics, &servers, &mut producer);
    assert_every_event_acknowledged(producer, &topics, total);
    assert_each_event_once_in_order_per_key(&topics, &servers, total);
    assert_status_and_reset_see_the_disk(&broker);
}

/// A producer of `total` product events at 20,000/s, left running.
fn spawn_producer(topics: &TopicSet, servers: &str, total: u64) -> Child {
    tool("product-producer", topics)
        .env("KAFKA_BOOTSTRAP_SERVERS", servers)
        .args([
            "--count",
            &total.to_string(),
            "--rate",
            "20000",
            "--seed",
            "77",
            "--quiet",
        ])
        .args(["--flush-timeout", "180s"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Crashes the broker once a good part of the events is in; the producer must keep going.
fn crash_and_restart_midway(
    broker: &LocalBroker,
    topics: &TopicSet,
    servers: &str,
    producer: &mut Child,
) {
    let started = Instant::now();
    while message_count_at(servers, &topics.product_events) < 40_000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "production did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    broker.kill();
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        producer.try_wait().unwrap().is_none(),
        "the producer must keep going, not crash"
    );
    broker.restart();
}

fn assert_every_event_acknowledged(producer: Child, topics: &TopicSet, total: u64) {
    let output = producer.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{}\n{stdout}\n{stderr}",
        output.status
    );
    assert_eq!(
        acknowledged_in_summary(&stdout, &topics.product_events),
        total,
        "{stdout}"
    );
}

/// Every acknowledged event is in the topic exactly once, and in order per key.
fn assert_each_event_once_in_order_per_key(topics: &TopicSet, servers: &str, total: u64) {
    let records = read_topic_at(servers, &topics.product_events);
    assert_eq!(
        records.len() as u64,
        total,
        "every acknowledged event is in the topic exactly once"
    );
    let mut ids = HashSet::new();
    let mut last_time_per_key: HashMap<Vec<u8>, i64> = HashMap::new();
    for record in &records {
        let event = decode(&record.payload, Some(TopicKind::ProductEvents)).unwrap();
        assert!(
            ids.insert(event.event_id),
            "duplicate event {}",
            event.event_id
        );
        // Seeded timestamps strictly increase in the order events were made: per key, the
        // partition must hold them in that order.
        let time = event.timestamp.millis();
        let key = record.key.clone().unwrap();
        if let Some(previous) = last_time_per_key.insert(key, time) {
            assert!(previous < time, "order broken for {}", event.user_id);
        }
    }
}

/// The broker's disk: `status` shows what it uses; `reset` refuses a running broker and deletes
/// a stopped one's state.
fn assert_status_and_reset_see_the_disk(broker: &LocalBroker) {
    let status = broker.script_output("status");
    let text = String::from_utf8_lossy(&status.stdout);
    assert!(
        text.starts_with("running: ") && text.contains("on disk)"),
        "{text}"
    );
    let refused = broker.script_output("reset");
    assert!(!refused.status.success());
    assert!(broker.state_dir().join("data").exists());
    broker.kill();
    let reset = broker.script_output("reset");
    let text = String::from_utf8_lossy(&reset.stdout);
    assert!(reset.status.success(), "{text}");
    assert!(text.starts_with("deleted "), "{text}");
    assert!(!broker.state_dir().exists());
}
