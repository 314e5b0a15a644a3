//! Generated shops (`--users N --products N`): a seeded launcher run writes whole stories about
//! the generated population and catalog, the same bytes again on a rerun, and shards of one run
//! simulate disjoint users of the same population.

use std::collections::HashSet;
use std::process::{Output, Stdio};

use shopstream_core::{Event, TopicKind, population, stories};

use crate::util::*;

// A shop well beyond the shipped files: the simulator holds it in users plus products.
const USERS: u64 = 100_000;
const PRODUCTS: u64 = 10_000;
const SEED: u64 = 25;
const COUNTS: [(&str, u64); 3] = [
    ("--product-events", 2_000),
    ("--purchases", 300),
    ("--user-events", 1_000),
];

fn launcher(topics: &TopicSet, extra: &[&str]) -> std::process::Command {
    let mut command = tool("run-multiple-producers", topics);
    command
        .args(["--rate", "0", "--seed", &SEED.to_string()])
        .args([
            "--users",
            &USERS.to_string(),
            "--products",
            &PRODUCTS.to_string(),
        ])
        .args(extra);
    for (flag, count) in COUNTS {
        command.args([flag, &count.to_string()]);
    }
    command
}

/// The index of a generated id (`U00000042` -> 41), checked against the size.
fn index_of(id: &str, prefix: char, size: u64) -> u64 {
    let number: u64 = id
        .strip_prefix(prefix)
        .and_then(|digits| digits.parse().ok())
        .unwrap_or_else(|| panic!("{id} is not a generated id"));
    assert!((1..=size).contains(&number), "{id} beyond {size}");
    number - 1
}

/// Every event's user and product are the generated ones, as the events describe them.
fn assert_from_the_population(events: &[Event<'_>]) {
    for event in events {
        let user = population::user(SEED, index_of(&event.user_id, 'U', USERS));
        assert_eq!(event.region, user.region, "{}", event.user_id);
        assert_eq!(event.customer_type, user.customer_type, "{}", event.user_id);
        if let Some(info) = event.details.product() {
            let product = population::product(SEED, index_of(&info.product_id, 'P', PRODUCTS));
            assert_eq!(info.product_name, product.name.as_str());
            assert_eq!(info.category, product.category.as_str());
            assert_eq!(info.price, product.price);
        }
    }
}

/// The three topics' records, in partition and offset order, and their events.
fn read_run(topics: &TopicSet) -> (Vec<Vec<u8>>, Vec<Event<'static>>) {
    let mut payloads = Vec::new();
    let mut events = Vec::new();
    for (kind, topic) in [
        (TopicKind::ProductEvents, &topics.product_events),
        (TopicKind::Purchases, &topics.purchases),
        (TopicKind::UserEvents, &topics.user_events),
    ] {
        let records = read_topic(topic);
        events.extend(decode_topic(&records, kind));
        payloads.extend(records.into_iter().map(|r| r.payload));
    }
    (payloads, events)
}

#[test]
fn a_generated_shop_tells_whole_stories_the_same_on_a_rerun() {
    if skip_without_broker() {
        return;
    }
    let first = TopicSet::new("population");
    let _first_cleanup = Cleanup(first.clone());
    create_topics(&first);
    run_ok(&mut launcher(&first, &["--quiet"]));
    let (payloads, events) = read_run(&first);
    let total: u64 = COUNTS.iter().map(|c| c.1).sum();
    assert_eq!(events.len() as u64, total);
    stories::check(&events, true).unwrap_or_else(|v| panic!("{v}"));
    assert_from_the_population(&events);
    let users: HashSet<&str> = events.iter().map(|e| &*e.user_id).collect();
    assert!(users.len() > 100, "{} users", users.len());

    let again = TopicSet::new("population-again");
    let _again_cleanup = Cleanup(again.clone());
    create_topics(&again);
    run_ok(&mut launcher(&again, &["--quiet"]));
    let (again_payloads, _) = read_run(&again);
    assert!(again_payloads == payloads, "a rerun wrote other bytes");
}

#[test]
fn shards_of_a_generated_shop_simulate_disjoint_users_of_the_same_population() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("population-shards");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let spawn = |shard: &str| {
        launcher(&topics, &["--shard", shard, "--json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the launcher starts")
    };
    let children = [spawn("1/2"), spawn("2/2")];
    let outputs: Vec<Output> = children
        .into_iter()
        .zip(["1/2", "2/2"])
        .map(|(child, shard)| finished(child, &format!("shard {shard}")))
        .collect();
    let mut users_by_shard = Vec::new();
    for output in &outputs {
        let events: Vec<Event<'static>> = output
            .stdout
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
            .map(|line| shopstream_core::decode(line, None).unwrap().into_owned())
            .collect();
        stories::check(&events, true).unwrap_or_else(|v| panic!("{v}"));
        assert_from_the_population(&events);
        let users: HashSet<String> = events.iter().map(|e| e.user_id.to_string()).collect();
        users_by_shard.push(users);
    }
    let shared: Vec<_> = users_by_shard[0].intersection(&users_by_shard[1]).collect();
    assert!(shared.is_empty(), "the shards share users {shared:?}");
    let summary = String::from_utf8_lossy(&outputs[0].stderr);
    assert!(
        summary.contains(&format!("of the {USERS} users")),
        "{summary}"
    );
}

// The shop: a million users and a hundred thousand products, made on demand.
const BIG_USERS: u64 = 1_000_000;
const BIG_PRODUCTS: u64 = 100_000;
/// Free-running history written as fast as the broker takes it: two simulated days (about 8,000
/// sessions). The run then stops at its first live event (`--duration 0s`), so only the
/// history is compared.
const HISTORY_DAYS: i64 = 2;

/// A free-running seeded launcher over the big shop, printing its events (--json).
fn free_running(topics: &TopicSet, extra: &[&str]) -> std::process::Command {
    let mut command = tool("run-multiple-producers", topics);
    command
        .args(["--seed", &SEED.to_string(), "--json"])
        .args(["--users", &BIG_USERS.to_string()])
        .args(["--products", &BIG_PRODUCTS.to_string()])
        .args([
            "--product-events",
            "0",
            "--purchases",
            "0",
            "--user-events",
            "0",
        ])
        .args([
            "--backfill",
            &format!("{HISTORY_DAYS}d"),
            "--duration",
            "0s",
        ])
        .args(["--time-scale", "1000"])
        .args(extra);
    command
}

/// The history's lines (events before the live part) of a finished run, and their events.
fn history(output: &Output) -> (Vec<Vec<u8>>, Vec<Event<'static>>) {
    let live_from = shopstream_core::simulator::SEEDED_EPOCH + HISTORY_DAYS * 86_400_000;
    output
        .stdout
        .split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            let event = shopstream_core::decode(line, None).unwrap().into_owned();
            (line.to_vec(), event)
        })
        .filter(|(_, event)| event.timestamp.millis() < live_from)
        .unzip()
}

/// Per session: sessions, those with an add_to_cart, those with a purchase, and mobile logins;
/// only sessions that ended (logged out) count.
fn funnel(events: &[Event<'_>]) -> (f64, f64, f64, f64) {
    use shopstream_core::event::Details;
    use shopstream_core::vocab::Device;
    let mut sessions: std::collections::HashMap<&str, (bool, bool, bool, bool)> =
        std::collections::HashMap::new();
    for event in events {
        let session = sessions.entry(&event.session_id).or_default();
        match &event.details {
            Details::Login { device } => session.0 = *device == Device::Mobile,
            Details::AddToCart { .. } => session.1 = true,
            Details::Purchase { .. } => session.2 = true,
            Details::Logout => session.3 = true,
            _ => {}
        }
    }
    let ended: Vec<_> = sessions.values().filter(|s| s.3).collect();
    let count = ended.len() as f64;
    let share = |f: fn(&&(bool, bool, bool, bool)) -> bool| {
        ended.iter().filter(|s| f(s)).count() as f64 / count
    };
    let carting = share(|s| s.1);
    let buying = share(|s| s.2);
    (count, carting, buying, share(|s| s.0))
}

/// The test: a seeded free-running run with a million users and a hundred thousand
/// products tells whole stories about the generated shop, its funnel within the calibrated bands
/// (docs/behaviour.md), the same bytes on a rerun; its shards simulate disjoint users.
#[test]
fn a_million_users_shop_runs_free_with_the_calibrated_funnel() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("population-big");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let (lines, events) = history(&run_ok(&mut free_running(&topics, &[])));
    stories::check(&events, true).unwrap_or_else(|v| panic!("{v}"));
    for event in &events {
        index_of(&event.user_id, 'U', BIG_USERS);
        if let Some(info) = event.details.product() {
            let product = population::product(SEED, index_of(&info.product_id, 'P', BIG_PRODUCTS));
            assert_eq!(info.product_name, product.name.as_str());
        }
    }
    let (sessions, carting, buying, mobile) = funnel(&events);
    assert!(sessions > 5_000.0, "{sessions} sessions");
    let behaviour = shopstream_core::behaviour::Behaviour::shipped().unwrap();
    let bands = behaviour.benchmarks;
    assert!(bands.add_to_cart_sessions.contains(carting), "{carting}");
    assert!(bands.session_conversion.contains(buying), "{buying}");
    assert!(
        bands.cart_abandonment.contains(1.0 - buying / carting),
        "{buying} of {carting}"
    );
    assert!(bands.mobile_sessions.contains(mobile), "{mobile}");
    let users: HashSet<&str> = events.iter().map(|e| &*e.user_id).collect();
    assert!(users.len() as f64 > 0.9 * sessions, "{} users", users.len());

    let (again, _) = history(&run_ok(&mut free_running(&topics, &[])));
    assert!(again == lines, "a rerun wrote other bytes");

    let mut users_by_shard = Vec::new();
    for shard in ["1/2", "2/2"] {
        let (_, events) = history(&run_ok(&mut free_running(&topics, &["--shard", shard])));
        stories::check(&events, true).unwrap_or_else(|v| panic!("{v}"));
        let users: HashSet<String> = events.iter().map(|e| e.user_id.to_string()).collect();
        assert!(!users.is_empty());
        users_by_shard.push(users);
    }
    let shared: Vec<_> = users_by_shard[0].intersection(&users_by_shard[1]).collect();
    assert!(shared.is_empty(), "the shards share users {shared:?}");
}
