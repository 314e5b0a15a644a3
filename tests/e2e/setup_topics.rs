//! setup-topics against the real broker.

use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use serde_json::Value;

use crate::util::*;

fn outcomes(json: &Value) -> Vec<(String, String, u64)> {
    json["topics"]
        .as_array()
        .expect("topics array")
        .iter()
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["outcome"].as_str().unwrap().to_string(),
                t["partitions"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn creates_the_three_topics_and_the_compacted_state_topic_with_the_requested_partitions() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("create");
    let _cleanup = Cleanup(topics.clone());
    let output = run_ok(tool("setup-topics", &topics).args(["--partitions", "4", "--json"]));
    let json = stdout_json(&output);
    let mut names = topics.names().to_vec();
    names.push(&topics.state);
    let expected: Vec<(String, String, u64)> = names
        .iter()
        .map(|n| (n.to_string(), "created".to_string(), 4))
        .collect();
    assert_eq!(outcomes(&json), expected);
    assert_eq!(partitions(&names), vec![Some(4); 4]);

    let list = stdout_json(&run_ok(
        tool("setup-topics", &topics).args(["--list", "--json"]),
    ));
    let policies: Vec<&serde_json::Value> = list["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["cleanup_policy"])
        .collect();
    assert_eq!(
        policies,
        [&serde_json::Value::Null; 3]
            .into_iter()
            .chain([&serde_json::json!("compact")])
            .collect::<Vec<_>>(),
        "{list}"
    );
    let human = run_ok(tool("setup-topics", &topics).arg("--list"));
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.lines()
            .any(|l| l.contains(&topics.state) && l.ends_with("cleanup.policy compact")),
        "{text}"
    );
}

#[test]
fn rerun_reports_existing_topics_and_changes_nothing() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("rerun");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", "2"]));
    let output = run_ok(tool("setup-topics", &topics).args(["--partitions", "5", "--json"]));
    for (name, outcome, count) in outcomes(&stdout_json(&output)) {
        assert_eq!((outcome.as_str(), count), ("exists", 2), "{name}");
    }
    assert_eq!(partitions(&topics.names()), vec![Some(2); 3]);

    let human = run_ok(tool("setup-topics", &topics).args(["--partitions", "5"]));
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(text.matches("exists").count(), 4, "{text}");
    assert!(
        text.contains("you asked for 5; --recreate changes it"),
        "{text}"
    );
}

#[test]
fn recreate_deletes_the_events_and_applies_new_partitions() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("recreate");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", "3"]));

    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .unwrap();
    producer
        .send(BaseRecord::to(&topics.purchases).key("U001").payload("{}"))
        .map_err(|(e, _)| e)
        .unwrap();
    producer.flush(Duration::from_secs(10)).unwrap();
    assert_eq!(message_count(&topics.purchases), 1);

    let output =
        run_ok(tool("setup-topics", &topics).args(["--recreate", "--partitions", "2", "--json"]));
    let json = stdout_json(&output);
    assert_eq!(json["deleted"].as_array().unwrap().len(), 4, "{json}");
    assert!(
        outcomes(&json)
            .iter()
            .all(|(_, o, p)| o == "created" && *p == 2),
        "{json}"
    );
    assert_eq!(partitions(&topics.names()), vec![Some(2); 3]);
    assert_eq!(message_count(&topics.purchases), 0);
}

#[test]
fn delete_deletes_the_three_topics_and_the_state_topic() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("delete");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", "1"]));
    let json = stdout_json(&run_ok(
        tool("setup-topics", &topics).args(["--delete", "--json"]),
    ));
    assert_eq!(json["deleted"].as_array().unwrap().len(), 4, "{json}");
    assert_eq!(json["topics"].as_array().unwrap().len(), 0, "{json}");
    let mut names = topics.names().to_vec();
    names.push(&topics.state);
    assert_eq!(partitions(&names), vec![None; 4]);
}

#[test]
fn list_shows_partitions_and_replication_and_missing_topics() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("list");
    let _cleanup = Cleanup(topics.clone());
    let before = stdout_json(&run_ok(
        tool("setup-topics", &topics).args(["--list", "--json"]),
    ));
    assert!(
        before["topics"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["exists"] == false)
    );
    let human = run_ok(tool("setup-topics", &topics).arg("--list"));
    assert_eq!(
        String::from_utf8_lossy(&human.stdout)
            .matches("missing")
            .count(),
        4
    );

    run_ok(tool("setup-topics", &topics).args(["--partitions", "3"]));
    let after = stdout_json(&run_ok(
        tool("setup-topics", &topics).args(["--list", "--json"]),
    ));
    for topic in after["topics"].as_array().unwrap() {
        assert_eq!(topic["exists"], true);
        assert_eq!(topic["partitions"], 3);
        assert_eq!(topic["replication_factor"], 1);
        // One broker: node 1 leads every partition and is its only replica, in sync.
        let layout = topic["layout"].as_array().unwrap();
        assert_eq!(layout.len(), 3, "{topic}");
        for (partition, p) in layout.iter().enumerate() {
            assert_eq!(
                p,
                &serde_json::json!({"partition": partition, "leader": 1, "replicas": [1], "in_sync": [1]})
            );
        }
    }
    assert_eq!(after["brokers"], 1);
    let human = run_ok(tool("setup-topics", &topics).arg("--list"));
    let text = String::from_utf8_lossy(&human.stdout);
    for name in topics.names() {
        let line = text
            .lines()
            .find(|l| l.contains(name))
            .unwrap_or_else(|| panic!("{text}"));
        assert!(
            line.ends_with("3 partitions, replication factor 1, min.insync.replicas 1"),
            "{text}"
        );
    }
    assert!(text.contains("(1 broker):"), "{text}");
    assert_eq!(
        text.matches("partition 2  leader 1  replicas 1  in sync 1\n")
            .count(),
        4,
        "{text}"
    );
}

#[test]
fn more_replicas_than_brokers_is_one_clear_error_naming_both() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("too-many-replicas");
    let _cleanup = Cleanup(topics.clone());
    let output = tool("setup-topics", &topics)
        .args(["--replication-factor", "3"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        one_error_line(&output),
        "error: replication factor 3 needs 3 brokers, and the cluster has 1 up \
         (--replication-factor, TOPIC_REPLICATION_FACTOR)"
    );
    let output = tool("setup-topics", &topics)
        .args(["--min-insync-replicas", "2"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert_eq!(
        one_error_line(&output),
        "error: min.insync.replicas 2 is more than the replication factor 1: no write could \
         ever be acknowledged (--min-insync-replicas, TOPIC_MIN_INSYNC_REPLICAS)"
    );
    assert_eq!(
        partitions(&topics.names()),
        vec![None; 3],
        "nothing created"
    );
}

#[test]
fn unreachable_broker_fails_fast_with_one_clear_line() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("unreachable");
    // Refused: at once, with the default 10 s timeout, and with advice.
    let started = Instant::now();
    let output = tool("setup-topics", &topics)
        .args(["--bootstrap-servers", "127.0.0.1:1"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = one_error_line(&output);
    assert_eq!(
        stderr,
        "error: nothing listens at 127.0.0.1:1 (connection refused): start a local broker with \
         scripts/kafka-local.sh start, or check the address (--bootstrap-servers, \
         KAFKA_BOOTSTRAP_SERVERS)"
    );
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(output.stdout.is_empty());

    // A port that takes the connection but never speaks Kafka: the full timeout, then a reason.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap().to_string();
    let started = Instant::now();
    let output = tool("setup-topics", &topics)
        .args(["--bootstrap-servers", &address, "--connect-timeout", "2s"])
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = one_error_line(&output);
    assert!(
        stderr.starts_with(&format!("error: cannot reach Kafka at {address} within 2")),
        "{stderr}"
    );
    assert!(
        elapsed >= Duration::from_secs(2),
        "waited the timeout: {elapsed:?}"
    );
    // Bounded by the timeout, not a hang (generous margin for a loaded CI machine).
    assert!(elapsed < Duration::from_secs(8), "took {elapsed:?}");

    // A malformed address: refused before any connection, naming where it came from.
    let output = tool("setup-topics", &topics)
        .env("KAFKA_BOOTSTRAP_SERVERS", "localhost:9o92")
        .output()
        .unwrap();
    assert_eq!(
        one_error_line(&output),
        "error: invalid configuration: KAFKA_BOOTSTRAP_SERVERS=\"localhost:9o92\" in the \
         environment: 'localhost:9o92' is not host:port (the port '9o92' is not a number from 1 \
         to 65535)"
    );
}

#[test]
fn flag_beats_environment_beats_dotenv_file() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topics = TopicSet::new("precedence");
    let _cleanup = Cleanup(topics.clone());
    // .env alone: its partitions and topic names apply (the test's own env names are removed).
    write_file(
        dir.path(),
        ".env",
        &format!(
            "TOPIC_PARTITIONS=2\nTOPIC_PRODUCT_EVENTS={}\nTOPIC_PURCHASES={}\nTOPIC_USER_EVENTS={}\n",
            topics.product_events, topics.purchases, topics.user_events
        ),
    );
    let from_file = |extra_env: Option<&str>, flag: Option<&str>| {
        let mut command = tool("setup-topics", &topics);
        command
            .current_dir(dir.path())
            .env_remove("TOPIC_PRODUCT_EVENTS")
            .env_remove("TOPIC_PURCHASES")
            .env_remove("TOPIC_USER_EVENTS")
            .arg("--json");
        if let Some(value) = extra_env {
            command.env("TOPIC_PARTITIONS", value);
        }
        if let Some(value) = flag {
            command.args(["--partitions", value]);
        }
        command
    };
    run_ok(&mut from_file(None, None));
    assert_eq!(partitions(&[&topics.product_events]), vec![Some(2)]);

    run_ok(from_file(Some("4"), None).arg("--recreate"));
    assert_eq!(partitions(&[&topics.purchases]), vec![Some(4)]);

    run_ok(from_file(Some("4"), Some("6")).arg("--recreate"));
    assert_eq!(partitions(&[&topics.user_events]), vec![Some(6)]);
}

#[test]
fn bad_configuration_is_one_clear_line() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topics = TopicSet::new("badconfig");
    write_file(dir.path(), ".env", "TOPIC_PARTITON=3\n");
    let output = tool("setup-topics", &topics)
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: invalid configuration: unknown setting TOPIC_PARTITON in {}; did you mean TOPIC_PARTITIONS?",
            dir.path().join(".env").display()
        )
    );
    let output = tool("setup-topics", &topics)
        .args(["--partitions", "zero"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "clap usage errors exit 2");
}
