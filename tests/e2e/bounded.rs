//! metrics-consumer under a hostile stream of distinct ids: memory stays bounded in every mode,
//! the report says what is approximate and by how much, and the exact figures stay exact.

use std::collections::BTreeMap;
use std::process::{Child, Stdio};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};

use crate::util::*;

/// Distinct products (and users) viewed once each.
const DISTINCT: usize = 200_000;
/// Views of the one product that dominates.
const HOT_VIEWS: usize = 20_000;
/// Purchases of it, 10.00 each.
const HOT_PURCHASES: usize = 1_000;
const MAX_KEYS: &str = "1000";
/// Event times spread over this many minutes, from 2026-01-01T00:00:00Z.
const MINUTES: usize = 3;

fn timestamp(i: usize) -> String {
    let ms = (i * 7919) % (MINUTES * 60_000);
    format!(
        "2026-01-01T00:{:02}:{:02}.{:03}Z",
        ms / 60_000,
        ms / 1000 % 60,
        ms % 1000
    )
}

fn view(i: usize, user: &str, product: &str) -> String {
    format!(
        "{{\"event_id\":\"00000000-0000-4000-8000-{i:012x}\",\"event_type\":\"view\",\
         \"timestamp\":\"{}\",\"user_id\":\"{user}\",\"session_id\":\"S{i}\",\"region\":\"North\",\
         \"customer_type\":\"Regular\",\"product_id\":\"{product}\",\"product_name\":\"Item {product}\",\
         \"category\":\"Toys\",\"price\":10.00,\"brand\":\"B\"}}",
        timestamp(i)
    )
}

fn purchase(i: usize, user: &str) -> String {
    format!(
        "{{\"event_id\":\"00000000-0000-4000-9000-{i:012x}\",\"event_type\":\"purchase\",\
         \"timestamp\":\"{}\",\"user_id\":\"{user}\",\"session_id\":\"S{i}\",\"region\":\"North\",\
         \"customer_type\":\"Regular\",\"order_id\":\"O{i}\",\"product_id\":\"HOT\",\
         \"product_name\":\"Item HOT\",\"category\":\"Toys\",\"price\":10.00,\"quantity\":1,\
         \"total\":10.00,\"payment_method\":\"credit_card\"}}",
        timestamp(i)
    )
}

/// Writes (topic, key, value) messages, waiting while the producer's queue is full.
fn write_all(messages: impl Iterator<Item = (String, String, String)>) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("linger.ms", "20")
        .create()
        .expect("producer");
    for (topic, key, value) in messages {
        let mut record = BaseRecord::to(&topic).key(&key).payload(&value);
        loop {
            match producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    producer.poll(Duration::from_millis(50));
                }
                Err((error, _)) => panic!("send: {error}"),
            }
        }
    }
    producer.flush(Duration::from_secs(60)).expect("flush");
}

/// The hostile stream; returns the distinct users of each minute's window.
fn write_hostile_stream(topics: &TopicSet) -> BTreeMap<usize, usize> {
    let mut users: BTreeMap<usize, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut messages = Vec::with_capacity(DISTINCT + HOT_VIEWS + HOT_PURCHASES);
    for i in 0..DISTINCT + HOT_VIEWS + HOT_PURCHASES {
        let user = format!("U{}", i % DISTINCT);
        let minute = (i * 7919) % (MINUTES * 60_000) / 60_000;
        users.entry(minute).or_default().insert(user.clone());
        let (topic, value) = if i < DISTINCT {
            (&topics.product_events, view(i, &user, &format!("P{i}")))
        } else if i < DISTINCT + HOT_VIEWS {
            (&topics.product_events, view(i, &user, "HOT"))
        } else {
            (&topics.purchases, purchase(i, &user))
        };
        messages.push((topic.clone(), user, value));
    }
    write_all(messages.into_iter());
    users.into_iter().map(|(m, set)| (m, set.len())).collect()
}

/// Waits for a child, reading its peak resident memory (VmHWM, kB) until it exits.
fn peak_rss_kb(child: &mut Child) -> u64 {
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().expect("wait").is_none() {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmHWM:"))
        {
            let kb: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            peak = peak.max(kb);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    peak
}

/// metrics-consumer over the whole stream with `extra` flags: its final report and peak RSS.
fn consume(topics: &TopicSet, extra: &[&str]) -> (serde_json::Value, u64) {
    let group = unique("bounded");
    let mut child = tool("metrics-consumer", topics)
        .args(["--from-beginning", "--group", &group, "--json"])
        .args([
            "--timeout",
            "10s",
            "--every",
            "10000000",
            "--max-keys",
            MAX_KEYS,
        ])
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("metrics-consumer starts");
    let peak = peak_rss_kb(&mut child);
    let output = finished(child, "metrics-consumer");
    let last = json_lines(&output).pop().expect("a final report");
    (last, peak)
}

#[test]
fn a_hostile_stream_of_distinct_ids_keeps_memory_bounded_and_says_what_is_approximate() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("bounded");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let users_per_minute = write_hostile_stream(&topics);
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("m.checkpoint");
    let checkpoint = checkpoint.to_str().unwrap();
    let modes: [&[&str]; 4] = [
        &[],
        &["--threads", "2"],
        &["--window", "1m", "--allowed-lateness", "10m"],
        &["--checkpoint", checkpoint],
    ];
    for mode in modes {
        let (report, peak_kb) = consume(&topics, mode);
        eprintln!("metrics-consumer {mode:?}: peak RSS {} MB", peak_kb / 1024);
        // Generous (about 35-50 MB measured, debug build, librdkafka's buffers included); the
        // tallies held stay at the bound (below), so an endless stream stays there too.
        assert!(peak_kb < 128 * 1024, "{mode:?}: peak RSS {peak_kb} kB");
        let total = (DISTINCT + HOT_VIEWS + HOT_PURCHASES) as u64;
        assert_eq!(report["events"], total, "{mode:?}: counts stay exact");
        assert_eq!(report["revenue"], serde_json::json!(10_000.0), "{mode:?}");
        assert_eq!(report["orders"], HOT_PURCHASES as u64, "{mode:?}");
        let approximate = &report["approximate"];
        assert_eq!(approximate["max_products"], 1000, "{mode:?}: {report}");
        assert!(
            approximate["products_held"].as_u64().unwrap() <= 1000,
            "{mode:?}"
        );
        assert!(
            approximate["products_dropped"].as_u64().unwrap() >= (DISTINCT - 1000) as u64,
            "{mode:?}: {approximate}"
        );
        let top = &report["top_viewed"][0];
        assert_eq!(top["product_id"], "HOT", "{mode:?}: {report}");
        let (count, miss) = (
            top["count"].as_u64().unwrap(),
            approximate["top_viewed_max_miss"].as_u64().unwrap(),
        );
        let hot = HOT_VIEWS as u64;
        assert!(
            count <= hot && hot <= count + miss,
            "{mode:?}: {count} + {miss}"
        );
        assert_eq!(report["top_purchased"][0]["product_id"], "HOT", "{mode:?}");

        if mode.contains(&"--window") {
            let windows = report["windows"].as_array().expect("windows");
            assert_eq!(windows.len(), MINUTES, "{report}");
            for (window, truth) in windows.iter().zip(users_per_minute.values()) {
                assert_eq!(window["active_users_approximate"], true, "{window}");
                let estimate = window["active_users"].as_f64().unwrap();
                let truth = *truth as f64;
                assert!(
                    (estimate - truth).abs() < truth * 0.03,
                    "{estimate} vs {truth}"
                );
            }
        }
    }
}
