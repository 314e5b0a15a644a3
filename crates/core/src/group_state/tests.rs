use super::*;
use crate::decode::DecodeError;

fn state(
    group: &str,
    topic: &str,
    partition: i32,
    instance: &str,
    rejected: u64,
) -> PartitionState {
    let mut engine = MetricsEngine::new();
    for _ in 0..rejected {
        engine.record_rejected(&DecodeError::Empty);
    }
    PartitionState {
        version: VERSION,
        group: group.to_string(),
        topic: topic.to_string(),
        partition,
        next_offset: rejected as i64,
        instance: instance.to_string(),
        written_at_ms: 1_000 * rejected as i64,
        engine,
    }
}

fn apply(states: &mut GroupStates, state: &PartitionState) -> bool {
    let mut value = Vec::new();
    state.record().encode_into(&mut value).unwrap();
    let applied = states.apply(&state.key().encode(), Some(&value)).unwrap();
    if applied {
        assert_eq!(states.get(&state.topic, state.partition), Some(state));
    }
    applied
}

#[test]
fn keys_round_trip_whatever_the_names_hold() {
    let key = PartitionKey::new("g/\"1\"", "a,b", 7);
    assert_eq!(PartitionKey::decode(&key.encode()).unwrap(), key);
    assert_eq!(
        PartitionKey::new("g", "t", 0).encode(),
        br#"["g","t",0]"#.to_vec()
    );
    assert!(PartitionKey::decode(b"g/t/0").is_err());
}

#[test]
fn the_latest_record_of_each_partition_of_the_group_counts() {
    let mut states = GroupStates::new("g");
    assert!(apply(&mut states, &state("g", "t", 0, "a", 1)));
    assert!(apply(&mut states, &state("g", "t", 1, "b", 2)));
    assert!(apply(&mut states, &state("g", "t", 0, "c", 3)));
    assert!(!apply(&mut states, &state("other", "t", 2, "d", 50)));
    let (engine, coverage) = states.merged([], None, 6);
    assert_eq!(engine.messages(), 5);
    assert_eq!(
        coverage,
        Coverage {
            partitions: 2,
            partitions_total: 6,
            instances: 2,
            updated_at: Some(Timestamp::from_millis(3_000)),
        }
    );
    // Only the topics read count.
    let mut one_topic = GroupStates::new("g").of_topics(&["u".to_string()]);
    assert!(!apply(&mut one_topic, &state("g", "t", 0, "a", 1)));
    assert!(apply(&mut one_topic, &state("g", "u", 0, "a", 1)));
    // A tombstone forgets the partition.
    assert!(
        states
            .apply(&PartitionKey::new("g", "t", 0).encode(), None)
            .unwrap()
    );
    assert_eq!(states.merged([], None, 6).0.messages(), 2);
}

#[test]
fn live_engines_replace_their_partitions_records() {
    let mut states = GroupStates::new("g");
    apply(&mut states, &state("g", "t", 0, "a", 1));
    apply(&mut states, &state("g", "t", 1, "b", 2));
    let live = state("g", "t", 0, "me", 10).engine;
    let (engine, coverage) = states.merged([("t", 0, &live)], Some("me"), 2);
    assert_eq!(engine.messages(), 12);
    assert_eq!(coverage.partitions, 2);
    assert_eq!(coverage.instances, 2, "me and b; a's record is replaced");
}

#[test]
fn refuses_other_versions_and_mismatched_keys() {
    let mut states = GroupStates::new("g");
    let key = PartitionKey::new("g", "t", 0).encode();
    assert!(matches!(
        states.apply(&key, Some(br#"{"version": 2}"#)),
        Err(StateError::Version { found: 2 })
    ));
    assert!(matches!(
        states.apply(&key, Some(b"{oops")),
        Err(StateError::Value(_))
    ));
    let mut value = Vec::new();
    state("g", "t", 5, "a", 1)
        .record()
        .encode_into(&mut value)
        .unwrap();
    assert!(matches!(
        states.apply(&key, Some(&value)),
        Err(StateError::Value(_))
    ));
}
