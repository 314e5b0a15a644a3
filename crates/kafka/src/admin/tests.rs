use super::*;

fn shape(replication_factor: i32, min_insync_replicas: i32) -> TopicShape {
    let settings = Settings {
        partitions: 3,
        replication_factor,
        min_insync_replicas,
        ..Settings::default()
    };
    TopicShape::of(&settings)
}

#[test]
fn min_insync_replicas_is_two_with_three_replicas_unless_set() {
    assert_eq!(shape(1, 0).min_insync_replicas, None);
    assert_eq!(shape(2, 0).min_insync_replicas, None);
    assert_eq!(shape(3, 0).min_insync_replicas, Some(2));
    assert_eq!(shape(5, 0).min_insync_replicas, Some(2));
    assert_eq!(shape(3, 3).min_insync_replicas, Some(3));
    assert_eq!(shape(1, 1).min_insync_replicas, Some(1));
}

#[test]
fn a_partition_is_under_replicated_while_a_replica_is_out_of_sync() {
    let layout = |in_sync: Vec<i32>| PartitionLayout {
        partition: 0,
        leader: 1,
        replicas: vec![1, 2, 3],
        in_sync,
    };
    assert!(!layout(vec![1, 2, 3]).under_replicated());
    assert!(layout(vec![1, 3]).under_replicated());
}
