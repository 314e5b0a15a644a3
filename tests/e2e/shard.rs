//! Sharded producers (`--shard I/N`) on the three-node cluster (or, without one, the test
//! broker): N launchers given the same counts write the counts together, with disjoint users and
//! whole stories.

use std::collections::{HashMap, HashSet};
use std::process::{Output, Stdio};

use shopstream_core::{Event, TopicKind, decode, stories};

use crate::util::*;

/// The totals every shard is given: not multiples of 3, so the shards' shares differ.
const TOTALS: (u64, u64, u64) = (3001, 601, 1502);

/// Shard `shard` of the seeded run of [`TOTALS`], started (not waited for), events as JSON on
/// stdout and the summary on stderr.
fn spawn_shard(servers: &str, topics: &TopicSet, shard: &str) -> std::process::Child {
    let (product_events, purchases, user_events) = TOTALS;
    tool("run-multiple-producers", topics)
        .env("KAFKA_BOOTSTRAP_SERVERS", servers)
        .args(["--shard", shard, "--rate", "0", "--seed", "7", "--json"])
        .args(["--product-events", &product_events.to_string()])
        .args(["--purchases", &purchases.to_string()])
        .args(["--user-events", &user_events.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the launcher starts")
}

/// The events a launcher printed with --json.
fn printed_events(output: &Output) -> Vec<Event<'static>> {
    output
        .stdout
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            decode(line, None)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(line)))
                .into_owned()
        })
        .collect()
}

#[test]
fn three_shards_write_the_totals_together_with_disjoint_users_and_whole_stories() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("shard");
    // On the replicated three-node cluster when the run has one (scripts/test.sh starts it), as
    // three machines' launchers would write; else on the test broker.
    let cluster = crate::test_cluster::cluster();
    let servers = match &cluster {
        Some(cluster) => {
            cluster.create_topics(&topics, 3);
            cluster.bootstrap()
        }
        None => {
            create_topics(&topics);
            bootstrap()
        }
    };
    let _cleanup = CleanupAt(servers.clone(), topics.clone());
    let shards = ["1/3", "2/3", "3/3"];
    // All three at once, as on three machines.
    let children: Vec<_> = shards
        .iter()
        .map(|s| spawn_shard(&servers, &topics, s))
        .collect();
    let outputs: Vec<Output> = children
        .into_iter()
        .zip(shards)
        .map(|(child, shard)| finished(child, &format!("shard {shard}")))
        .collect();

    let printed = assert_each_summary_counts_its_share(&outputs, &topics, shards);
    assert_topics_hold_the_totals_once_as_printed(&servers, &topics, printed);
    // A seeded shard is reproducible: shard 2/3 again prints the very same bytes.
    let again = finished(spawn_shard(&servers, &topics, "2/3"), "shard 2/3");
    assert_eq!(again.stdout, outputs[1].stdout);
}

/// Each shard's summary names it and counts its share (total / 3, the remainder to the first),
/// and no two shards share a user or a session. Returns every line the shards printed.
fn assert_each_summary_counts_its_share(
    outputs: &[Output],
    topics: &TopicSet,
    shards: [&str; 3],
) -> Vec<Vec<u8>> {
    let shares = [(1001, 201, 501), (1000, 200, 501), (1000, 200, 500)];
    let mut users_by_shard: Vec<HashSet<String>> = Vec::new();
    let mut sessions_by_shard: Vec<HashSet<String>> = Vec::new();
    let mut printed: Vec<Vec<u8>> = Vec::new();
    for ((output, shard), share) in outputs.iter().zip(shards).zip(shares) {
        let summary = String::from_utf8_lossy(&output.stderr);
        assert!(
            summary.starts_with(&format!("shard {shard}: ")),
            "{summary}"
        );
        for (topic, count) in [
            (&topics.product_events, share.0),
            (&topics.purchases, share.1),
            (&topics.user_events, share.2),
        ] {
            assert_eq!(acknowledged_in_summary(&summary, topic), count, "{summary}");
        }
        let events = printed_events(output);
        users_by_shard.push(events.iter().map(|e| e.user_id.to_string()).collect());
        sessions_by_shard.push(events.iter().map(|e| e.session_id.to_string()).collect());
        printed.extend(
            output
                .stdout
                .split(|b| *b == b'\n')
                .filter(|line| !line.is_empty())
                .map(<[u8]>::to_vec),
        );
    }
    for (a, b) in [(0, 1), (0, 2), (1, 2)] {
        let shared: Vec<_> = users_by_shard[a].intersection(&users_by_shard[b]).collect();
        assert!(
            shared.is_empty(),
            "shards {a} and {b} share users {shared:?}"
        );
        let shared: Vec<_> = sessions_by_shard[a]
            .intersection(&sessions_by_shard[b])
            .collect();
        assert!(
            shared.is_empty(),
            "shards {a} and {b} share sessions {shared:?}"
        );
    }
    printed
}

/// Together the topics hold exactly the totals, each event once, telling whole stories, and
/// what the shards printed is what the topics hold.
fn assert_topics_hold_the_totals_once_as_printed(
    servers: &str,
    topics: &TopicSet,
    mut printed: Vec<Vec<u8>>,
) {
    let mut all = Vec::new();
    let mut stored: Vec<Vec<u8>> = Vec::new();
    for (kind, topic, expected) in [
        (TopicKind::ProductEvents, &topics.product_events, TOTALS.0),
        (TopicKind::Purchases, &topics.purchases, TOTALS.1),
        (TopicKind::UserEvents, &topics.user_events, TOTALS.2),
    ] {
        let records = read_topic_at(servers, topic);
        let events = decode_topic(&records, kind);
        assert_eq!(events.len() as u64, expected, "{kind}");
        all.extend(events);
        stored.extend(records.into_iter().map(|r| r.payload));
    }
    let mut ids = HashSet::new();
    for event in &all {
        assert!(
            ids.insert(event.event_id),
            "event_id {} twice",
            event.event_id
        );
    }
    stories::check(&all, true).unwrap_or_else(|v| panic!("{v}"));
    // What the shards printed is what the topics hold.
    stored.sort();
    printed.sort();
    assert_eq!(printed, stored);
}

#[test]
fn a_bad_shard_is_one_clear_line() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("badshard");
    for (binary, shard) in [
        ("run-multiple-producers", "0/3"),
        ("run-multiple-producers", "4/3"),
        ("run-multiple-producers", "x"),
        ("product-producer", "1/0"),
        ("purchase-producer", "2"),
        ("user-producer", "-1/3"),
    ] {
        let output = tool(binary, &topics)
            .args(["--shard", shard, "--rate", "0"])
            .output()
            .unwrap();
        assert_eq!(
            one_error_line(&output),
            format!("error: --shard: expected I/N with 1 <= I <= N, e.g. 2/3, not '{shard}'"),
            "{binary}"
        );
    }

    // A shard that none of the users falls in: U001 is in shard 2 of 3.
    let dir = tempfile::tempdir().unwrap();
    let users = std::fs::read_to_string(repo_root().join("data/users.json")).unwrap();
    let users: Vec<serde_json::Value> = serde_json::from_str(&users).unwrap();
    let lonely = serde_json::to_string(&users[..1]).unwrap();
    let users_file = write_file(dir.path(), "one-user.json", &lonely);
    let output = tool("run-multiple-producers", &topics)
        .env("USERS_FILE", &users_file)
        .args(["--shard", "1/3"])
        .output()
        .unwrap();
    assert_eq!(
        one_error_line(&output),
        format!(
            "error: {}: shard 1/3 gets none of the 1 users (users are split by a hash of their \
             user_id): run fewer shards",
            users_file.display()
        )
    );
    assert_eq!(users[0]["user_id"], "U001");
}

#[test]
fn shards_with_nothing_to_write_succeed_and_write_nothing() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("shard-small");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    // 2 purchases in 3 shards: the third has none to write.
    let mut acknowledged = HashMap::new();
    for shard in ["1/3", "2/3", "3/3"] {
        let output = run_ok(
            tool("purchase-producer", &topics)
                .args(["--count", "2", "--rate", "0", "--shard", shard]),
        );
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        acknowledged.insert(shard, acknowledged_in_summary(&stdout, &topics.purchases));
    }
    assert_eq!(
        acknowledged,
        HashMap::from([("1/3", 1), ("2/3", 1), ("3/3", 0)])
    );
    assert_eq!(message_count(&topics.purchases), 2);
}
