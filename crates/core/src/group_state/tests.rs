use std::borrow::Cow;

use super::*;
use crate::decode::DecodeError;
use crate::event::{Details, Event, ProductInfo};
use crate::metrics::StateEntry;
use crate::money::Money;
use crate::vocab::{CustomerType, Region};

/// A view of product `id`.
fn view(id: &str) -> Event<'static> {
    Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(0),
        user_id: "U1".into(),
        session_id: "S-U1".into(),
        region: Region::North,
        customer_type: CustomerType::Regular,
        details: Details::View {
            product: ProductInfo {
                product_id: id.to_string().into(),
                product_name: format!("name of {id}").into(),
                category: "Test".into(),
                price: Money::from_cents(100),
            },
            brand: Cow::Borrowed("B"),
        },
    }
}

/// An engine that counted `rejected` rejected messages.
fn rejected(rejected: u64) -> MetricsEngine {
    let mut engine = MetricsEngine::new();
    for _ in 0..rejected {
        engine.record_rejected(&DecodeError::Empty);
    }
    engine
}

/// A record of the state topic: its partition, key and value.
type Record = (i32, Vec<u8>, Option<Vec<u8>>);

/// The records of one commit of `entries` and a position.
fn commit(key: &PartitionKey, entries: &[StateEntry], position: &Position) -> Vec<Record> {
    let state_partition = key.state_partition(3);
    let mut records = Vec::new();
    for entry in entries {
        let value = entry.value.as_ref().map(|json| {
            let mut value = Vec::new();
            encode_entry_into(json, &mut value);
            value
        });
        records.push((state_partition, key.entry_key(&entry.key), value));
    }
    let mut value = Vec::new();
    position.encode_into(&mut value).unwrap();
    records.push((state_partition, key.encode(), Some(value)));
    records
}

fn apply_all(states: &mut GroupStates, records: &[Record]) -> usize {
    records
        .iter()
        .filter(|(sp, key, value)| states.apply(*sp, key, value.as_deref()).unwrap())
        .count()
}

/// A whole engine committed at once for `group`/`topic`/`partition`.
fn write_engine(
    states: &mut GroupStates,
    (group, topic, partition): (&str, &str, i32),
    instance: &str,
    engine: &MetricsEngine,
) -> bool {
    let key = PartitionKey::new(group, topic, partition);
    let position = Position::new(engine.messages() as i64, instance, 1_000 * partition as i64);
    let records = commit(&key, &engine.entries().unwrap(), &position);
    apply_all(states, &records) > 0
}

#[test]
fn keys_round_trip_whatever_the_names_hold() {
    let key = PartitionKey::new("g/\"1\"", "a,b", 7);
    let encoded = key.encode();
    let decoded = StateKey::decode(&encoded).unwrap();
    assert_eq!(
        (
            decoded.group.as_ref(),
            decoded.topic.as_ref(),
            decoded.partition
        ),
        ("g/\"1\"", "a,b", 7)
    );
    assert_eq!(decoded.entry, None);
    let entry = key.entry_key("product/P\"1");
    let decoded = StateKey::decode(&entry).unwrap();
    assert_eq!(decoded.entry.as_deref(), Some("product/P\"1"));
    assert_eq!(
        PartitionKey::new("g", "t", 0).encode(),
        br#"["g","t",0]"#.to_vec()
    );
    assert_eq!(
        PartitionKey::new("g", "t", 0).entry_key("totals"),
        br#"["g","t",0,"totals"]"#.to_vec()
    );
    // Plain names are borrowed from the key's bytes, not copied.
    let plain = br#"["g","t",0,"product/P1"]"#;
    assert!(matches!(
        StateKey::decode(plain).unwrap().entry,
        Some(Cow::Borrowed("product/P1"))
    ));
    for bad in [
        &b"g/t/0"[..],
        br#"["g","t"]"#,
        br#"["g","t",0,"e",1]"#,
        br#"["g","t","0"]"#,
    ] {
        assert!(
            matches!(StateKey::decode(bad), Err(StateError::Key(_))),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn values_round_trip_and_other_versions_are_refused() {
    let mut value = Vec::new();
    encode_entry_into(br#"{"count":1}"#, &mut value);
    assert_eq!(value, br#"{"version":2,"entry":{"count":1}}"#.to_vec());
    assert_eq!(decode_entry(&value).unwrap(), br#"{"count":1}"#);
    let position = Position::new(42, "me", 7);
    position.encode_into(&mut value).unwrap();
    assert_eq!(
        value,
        br#"{"version":2,"next_offset":42,"instance":"me","written_at_ms":7}"#.to_vec()
    );
    assert_eq!(Position::decode(&value).unwrap(), position);

    let old = br#"{"version":1,"group":"g","topic":"t","partition":0,"next_offset":1}"#;
    assert!(matches!(Position::decode(old), Err(StateError::OldFormat)));
    assert!(matches!(decode_entry(old), Err(StateError::OldFormat)));
    assert!(matches!(
        Position::decode(br#"{"version": 3}"#),
        Err(StateError::Version { found: 3 })
    ));
    assert!(matches!(
        decode_entry(br#"{"version": 3, "entry": 1}"#),
        Err(StateError::Version { found: 3 })
    ));
    assert!(matches!(
        Position::decode(b"{oops"),
        Err(StateError::Value(_))
    ));
}

#[test]
fn a_partitions_records_all_go_to_one_stable_state_partition() {
    let key = PartitionKey::new("shop", "shopstream-product-events", 4);
    // Pinned (computed independently): the state partition is part of the format.
    assert_eq!(key.state_partition(6), 1);
    assert_eq!(PartitionKey::new("g", "t", 0).state_partition(1), 0);
    let spread: BTreeSet<i32> = (0..60)
        .map(|p| PartitionKey::new("g", "t", p).state_partition(6))
        .collect();
    assert_eq!(spread, (0..6).collect(), "input partitions spread over all");
    let fnv = PartitionKey::new("g", "t", 0).state_partition(i32::MAX);
    assert_eq!(
        fnv,
        (0xbb7b_93a4_u32 % i32::MAX as u32) as i32,
        "FNV-1a of [\"g\",\"t\",0]"
    );
}

#[test]
fn a_changelog_with_repeated_keys_and_tombstones_replays_into_the_engine() {
    let key = PartitionKey::new("g", "t", 0);
    let mut engine = MetricsEngine::new();
    let mut log = Vec::new();
    for (step, products) in [["P1", "P2"], ["P2", "P3"], ["P1", "P1"]]
        .iter()
        .enumerate()
    {
        for id in products {
            engine.record(&view(id));
        }
        let position = Position::new(2 * (step as i64 + 1), "a", step as i64);
        log.extend(commit(&key, &engine.take_changes().unwrap(), &position));
    }
    // P3 goes: its tombstone, then the new totals, then the position.
    engine.apply_entry("product/P3", None).unwrap();
    let removed = [StateEntry {
        key: "product/P3".to_string(),
        value: None,
    }];
    log.extend(commit(&key, &removed, &Position::new(7, "b", 9)));

    let mut states = GroupStates::new("g");
    assert_eq!(apply_all(&mut states, &log), log.len());
    let state = states.get("t", 0).unwrap();
    assert_eq!(state.engine.report(), engine.report());
    assert_eq!(state.committed(), Some(&Position::new(7, "b", 9)));

    // Compacted (only the latest record of each key left, in log order), the same engine.
    let mut latest: BTreeMap<&[u8], usize> = BTreeMap::new();
    for (index, (_, key, _)) in log.iter().enumerate() {
        latest.insert(key, index);
    }
    let mut kept: Vec<usize> = latest.into_values().collect();
    kept.sort_unstable();
    let compacted: Vec<_> = kept.into_iter().map(|i| log[i].clone()).collect();
    assert!(compacted.len() < log.len());
    let mut states = GroupStates::new("g");
    apply_all(&mut states, &compacted);
    assert_eq!(states.get("t", 0).unwrap().engine.report(), engine.report());
}

#[test]
fn an_engine_part_way_through_a_commit_is_not_settled() {
    let key = PartitionKey::new("g", "t", 0);
    let mut states = GroupStates::new("g");
    let records = commit(
        &key,
        &rejected(2).entries().unwrap(),
        &Position::new(2, "a", 1),
    );
    let (entries, position) = records.split_at(records.len() - 1);
    apply_all(&mut states, entries);
    assert_eq!(states.get("t", 0).unwrap().committed(), None);
    assert_eq!(states.states().count(), 0, "no position yet");
    apply_all(&mut states, position);
    assert_eq!(
        states
            .get("t", 0)
            .unwrap()
            .committed()
            .map(|p| p.next_offset),
        Some(2)
    );
}

#[test]
fn the_latest_state_of_each_partition_of_the_group_counts() {
    let mut states = GroupStates::new("g");
    assert!(write_engine(&mut states, ("g", "t", 0), "a", &rejected(1)));
    assert!(write_engine(&mut states, ("g", "t", 1), "b", &rejected(2)));
    assert!(write_engine(&mut states, ("g", "t", 0), "c", &rejected(3)));
    assert!(!write_engine(
        &mut states,
        ("other", "t", 2),
        "d",
        &rejected(50)
    ));
    let (engine, coverage) = states.merged([], None, 6);
    assert_eq!(engine.messages(), 5);
    assert_eq!(
        coverage,
        Coverage {
            partitions: 2,
            partitions_total: 6,
            instances: 2,
            updated_at: Some(Timestamp::from_millis(1_000)),
        }
    );
    // Only the topics read count.
    let mut one_topic = GroupStates::new("g").of_topics(&["u".to_string()]);
    assert!(!write_engine(
        &mut one_topic,
        ("g", "t", 0),
        "a",
        &rejected(1)
    ));
    assert!(write_engine(
        &mut one_topic,
        ("g", "u", 0),
        "a",
        &rejected(1)
    ));
    // A position tombstone forgets the partition.
    let forget = PartitionKey::new("g", "t", 0).encode();
    assert!(
        states
            .apply(
                PartitionKey::new("g", "t", 0).state_partition(3),
                &forget,
                None
            )
            .unwrap()
    );
    assert_eq!(states.merged([], None, 6).0.messages(), 2);
}

#[test]
fn live_engines_replace_their_partitions_records() {
    let mut states = GroupStates::new("g");
    write_engine(&mut states, ("g", "t", 0), "a", &rejected(1));
    write_engine(&mut states, ("g", "t", 1), "b", &rejected(2));
    let live = rejected(10);
    let (engine, coverage) = states.merged([("t", 0, &live)], Some("me"), 2);
    assert_eq!(engine.messages(), 12);
    assert_eq!(coverage.partitions, 2);
    assert_eq!(coverage.instances, 2, "me and b; a's record is replaced");
}

#[test]
fn refuses_the_old_format_other_versions_and_scattered_records() {
    let mut states = GroupStates::new("g");
    let key = PartitionKey::new("g", "t", 0).encode();
    let old = br#"{"version":1,"group":"g","topic":"t","partition":0,"next_offset":1,"engine":{}}"#;
    assert!(matches!(
        states.apply(0, &key, Some(old)),
        Err(StateError::OldFormat)
    ));
    // Another group's old records are not this group's business.
    let other = PartitionKey::new("other", "t", 0).encode();
    assert!(!states.apply(0, &other, Some(old)).unwrap());
    assert!(matches!(
        states.apply(0, &key, Some(br#"{"version": 3}"#)),
        Err(StateError::Version { found: 3 })
    ));
    let entry = PartitionKey::new("g", "t", 0).entry_key("nonsense");
    let mut value = Vec::new();
    encode_entry_into(b"{}", &mut value);
    assert!(matches!(
        states.apply(0, &entry, Some(&value)),
        Err(StateError::Entry(_))
    ));
    let totals = PartitionKey::new("g", "t", 1).entry_key("totals");
    assert!(states.apply(1, &totals, None).unwrap());
    assert!(matches!(
        states.apply(2, &totals, None),
        Err(StateError::Scattered {
            first: 1,
            then: 2,
            ..
        })
    ));
    assert!(matches!(
        states.apply(0, b"not json", None),
        Err(StateError::Key(_))
    ));
}
