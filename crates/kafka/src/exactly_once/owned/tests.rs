use super::*;

fn owned(next_offset: i64) -> Owned {
    Owned::new(MetricsEngine::new(), next_offset)
}

#[test]
fn partitions_are_kept_by_topic_then_number() {
    let mut partitions = OwnedPartitions::default();
    partitions.insert("b", 0, owned(1));
    partitions.insert("a", 3, owned(2));
    partitions.insert("a", 1, owned(3));
    assert_eq!(
        partitions.list(),
        [
            ("a".to_string(), 1),
            ("a".to_string(), 3),
            ("b".to_string(), 0)
        ]
    );
    assert_eq!(partitions.get_mut("a", 3).map(|o| o.next_offset), Some(2));
    assert!(partitions.get_mut("a", 2).is_none());
    assert!(partitions.get_mut("c", 0).is_none());
    assert!(partitions.get_mut("a", -1).is_none());
}

#[test]
fn a_taken_partition_is_no_longer_owned() {
    let mut partitions = OwnedPartitions::default();
    partitions.insert("a", 0, owned(7));
    assert_eq!(partitions.take("a", 0).map(|o| o.next_offset), Some(7));
    assert!(partitions.take("a", 0).is_none());
    assert!(partitions.list().is_empty());
}

#[test]
fn a_commit_leaves_nothing_dirty() {
    let mut partitions = OwnedPartitions::default();
    partitions.insert("a", 0, owned(1));
    partitions.insert("a", 1, owned(1));
    partitions.mark_committed();
    assert!(partitions.iter().all(|(_, _, owned)| !owned.dirty));
    partitions.clear();
    assert_eq!(partitions.iter().count(), 0);
}
