use super::*;
use std::borrow::Cow;

use crate::decode::DecodeError;
use crate::event::{Details, Event, ProductInfo};
use crate::money::{MAX_CENTS, Money};
use crate::timestamp::Timestamp;
use crate::vocab::{CustomerType, PaymentMethod, Region};

fn topics() -> Vec<String> {
    vec!["a".to_string(), "b".to_string()]
}

#[test]
fn saves_and_loads_state_with_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.checkpoint");
    assert!(Checkpoint::load(&path, &topics()).unwrap().is_none());
    let mut checkpoint = Checkpoint::new(topics());
    checkpoint.engine.record_rejected(&DecodeError::Empty);
    checkpoint.advance("a", 0, 41);
    checkpoint.advance("a", 2, 7);
    checkpoint.save(&path).unwrap();
    let loaded = Checkpoint::load(&path, &["b".to_string(), "a".to_string()])
        .unwrap()
        .unwrap();
    assert_eq!(loaded, checkpoint);
    assert_eq!(
        loaded.offsets["a"],
        BTreeMap::from([(0, 42), (2, 8)]),
        "the next offset to read, per partition"
    );
    assert!(!dir.path().join("metrics.checkpoint.tmp").exists());
}

#[test]
fn saves_and_loads_revenue_above_the_message_cap() {
    let purchase = |region: Region| Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(0),
        user_id: "U1".into(),
        session_id: "S1".into(),
        region,
        customer_type: CustomerType::Vip,
        details: Details::Purchase {
            order_id: "O1".into(),
            product: ProductInfo {
                product_id: "P1".into(),
                product_name: "Yacht".into(),
                category: "Boats".into(),
                price: Money::from_cents(MAX_CENTS),
            },
            quantity: 1,
            total: Money::from_cents(MAX_CENTS),
            payment_method: PaymentMethod::BankTransfer,
        },
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    for region in [Region::North, Region::North, Region::North, Region::South] {
        checkpoint.engine.record(&purchase(region));
    }
    let report = checkpoint.engine.report();
    assert_eq!(report.revenue, Money::from_cents(4 * MAX_CENTS));
    assert_eq!(
        report.revenue_by_region["North"],
        Money::from_cents(3 * MAX_CENTS)
    );
    checkpoint.save(&path).unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains(r#""revenue":4000000000000,"#), "{text}");
    let loaded = Checkpoint::load(&path, &topics()).unwrap().unwrap();
    assert_eq!(loaded, checkpoint);
    assert_eq!(loaded.engine.report(), report);
}

#[test]
fn refuses_other_topics_garbage_and_other_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    Checkpoint::new(topics()).save(&path).unwrap();
    assert!(log_path(&path).exists());
    assert!(matches!(
        Checkpoint::load(&path, &["x".to_string()]),
        Err(CheckpointError::OtherTopics { .. })
    ));
    std::fs::write(&path, "{oops").unwrap();
    assert!(matches!(
        Checkpoint::load(&path, &topics()),
        Err(CheckpointError::Invalid { .. })
    ));
    std::fs::write(&path, r#"{"version": 99}"#).unwrap();
    assert!(matches!(
        Checkpoint::load(&path, &topics()),
        Err(CheckpointError::Version { found: 99, .. })
    ));
    // Version 1 (decimal money) is refused, not misread.
    std::fs::write(&path, r#"{"version": 1, "engine": {"revenue": 29.99}}"#).unwrap();
    assert!(matches!(
        Checkpoint::load(&path, &topics()),
        Err(CheckpointError::Version { found: 1, .. })
    ));
    std::fs::write(&path, "ShopStream checkpoint\ncut short").unwrap();
    assert!(matches!(
        Checkpoint::load(&path, &topics()),
        Err(CheckpointError::Invalid { .. })
    ));
    Checkpoint::remove(&path).unwrap();
    Checkpoint::remove(&path).unwrap();
    assert!(!path.exists());
    assert!(!log_path(&path).exists(), "--reset removes the log too");
}

fn view(product_id: String) -> Event<'static> {
    Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(1),
        user_id: "U1".into(),
        session_id: "S1".into(),
        region: Region::North,
        customer_type: CustomerType::Vip,
        details: Details::View {
            product: ProductInfo {
                product_id: Cow::Owned(product_id),
                product_name: "Name".into(),
                category: "C".into(),
                price: Money::from_cents(100),
            },
            brand: "B".into(),
        },
    }
}

/// Counts views of products `ids` at offsets from `next_offset` of partition ("a", 0).
fn count(checkpoint: &mut Checkpoint, ids: std::ops::Range<usize>, next_offset: &mut i64) {
    for id in ids {
        checkpoint.engine.record(&view(format!("P{id}")));
        checkpoint.advance("a", 0, *next_offset);
        *next_offset += 1;
    }
}

fn loaded(path: &Path) -> Checkpoint {
    Checkpoint::load(path, &topics()).unwrap().unwrap()
}

/// A copy of the figures and offsets (what a load must give back).
fn figures(checkpoint: &Checkpoint) -> Checkpoint {
    Checkpoint {
        topics: checkpoint.topics.clone(),
        offsets: checkpoint.offsets.clone(),
        engine: checkpoint.engine.clone(),
        ..Checkpoint::new(Vec::new())
    }
}

#[test]
fn a_log_cut_at_any_byte_of_its_last_frame_loads_the_state_before_that_frame() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut checkpoint, 0..20, &mut offset);
    checkpoint.save(&path).unwrap();
    count(&mut checkpoint, 10..30, &mut offset);
    checkpoint.engine.record_rejected(&DecodeError::Empty);
    checkpoint.save(&path).unwrap();
    let before = figures(&checkpoint);
    let before_length = std::fs::metadata(log_path(&path)).unwrap().len();
    count(&mut checkpoint, 25..40, &mut offset);
    checkpoint.save(&path).unwrap();
    let after = figures(&checkpoint);
    let log = std::fs::read(log_path(&path)).unwrap();
    assert!(log.len() as u64 > before_length);
    assert_eq!(loaded(&path), after);
    for cut in before_length as usize..log.len() {
        std::fs::write(log_path(&path), &log[..cut]).unwrap();
        assert_eq!(
            loaded(&path),
            before,
            "log cut at byte {cut} of {}",
            log.len()
        );
    }
    // Damage anywhere in the last frame: the same.
    for at in before_length as usize..log.len() {
        let mut damaged = log.clone();
        damaged[at] ^= 0x01;
        std::fs::write(log_path(&path), &damaged).unwrap();
        assert_eq!(loaded(&path), before, "byte {at} damaged");
    }
}

#[test]
fn after_a_torn_tail_the_next_commits_follow_the_whole_frames() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut checkpoint, 0..5, &mut offset);
    checkpoint.save(&path).unwrap();
    count(&mut checkpoint, 5..10, &mut offset);
    checkpoint.save(&path).unwrap();
    let whole = std::fs::metadata(log_path(&path)).unwrap().len();
    count(&mut checkpoint, 10..15, &mut offset);
    checkpoint.save(&path).unwrap();
    // Killed in the middle of the last append.
    let log = std::fs::read(log_path(&path)).unwrap();
    std::fs::write(log_path(&path), &log[..log.len() - 3]).unwrap();
    let mut resumed = loaded(&path);
    assert_eq!(resumed.offsets["a"][&0], 10);
    let mut offset = 10;
    count(&mut resumed, 10..12, &mut offset);
    resumed.save(&path).unwrap();
    count(&mut resumed, 3..4, &mut offset);
    resumed.save(&path).unwrap();
    assert!(std::fs::metadata(log_path(&path)).unwrap().len() > whole);
    assert_eq!(loaded(&path), figures(&resumed));
    assert_eq!(loaded(&path).offsets["a"][&0], 13);
}

#[test]
fn a_commit_appends_what_changed_not_the_whole_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut checkpoint, 0..100_000, &mut offset);
    checkpoint.save(&path).unwrap();
    let snapshot = std::fs::metadata(&path).unwrap().len();
    assert!(snapshot > 5_000_000, "a snapshot of {snapshot} bytes");
    for _ in 0..3 {
        let log_before = std::fs::metadata(log_path(&path)).unwrap().len();
        count(&mut checkpoint, 77..78, &mut offset);
        checkpoint.save(&path).unwrap();
        let appended = std::fs::metadata(log_path(&path)).unwrap().len() - log_before;
        assert!(appended < 2_000, "one event appended {appended} bytes");
        assert_eq!(std::fs::metadata(&path).unwrap().len(), snapshot);
    }
    assert_eq!(loaded(&path), figures(&checkpoint));
}

#[test]
fn the_log_is_compacted_once_it_outgrows_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    checkpoint.compact_above = 0;
    let mut offset = 0;
    count(&mut checkpoint, 0..50, &mut offset);
    checkpoint.save(&path).unwrap();
    let generation = |checkpoint: &Checkpoint| checkpoint.disk.as_ref().unwrap().lineage;
    let first = generation(&checkpoint);
    let mut compactions = 0;
    for round in 0..40 {
        let before = generation(&checkpoint);
        count(&mut checkpoint, round..round + 3, &mut offset);
        checkpoint.save(&path).unwrap();
        let log = std::fs::metadata(log_path(&path)).unwrap().len();
        let snapshot = std::fs::metadata(&path).unwrap().len();
        assert!(log <= snapshot, "log {log} bytes, snapshot {snapshot}");
        if generation(&checkpoint) != before {
            compactions += 1;
        }
        assert_eq!(loaded(&path), figures(&checkpoint));
    }
    assert!(compactions > 2, "{compactions} compactions");
    assert_eq!(generation(&checkpoint).checkpoint, first.checkpoint);
    assert_eq!(
        generation(&checkpoint).generation,
        first.generation + compactions
    );
    assert!(!dir.path().join("c.tmp").exists());
    assert!(!dir.path().join("c.log.tmp").exists());
}

#[test]
fn a_compaction_killed_at_any_point_leaves_a_whole_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut checkpoint = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut checkpoint, 0..30, &mut offset);
    checkpoint.save(&path).unwrap();
    count(&mut checkpoint, 20..40, &mut offset);
    checkpoint.save(&path).unwrap();
    let state = figures(&checkpoint);
    let (old_snapshot, old_log) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(log_path(&path)).unwrap(),
    );
    checkpoint.compact(&path).unwrap();
    let (new_snapshot, new_log) = (
        std::fs::read(&path).unwrap(),
        std::fs::read(log_path(&path)).unwrap(),
    );
    let tmp = dir.path().join("c.tmp");
    let log_tmp = dir.path().join("c.log.tmp");
    // Killed while writing the new snapshot: the old pair, a partial temporary file beside it.
    let states = [
        (&old_snapshot, &old_log, Some((&tmp, &new_snapshot[..100]))),
        // Between the renames: the new snapshot with the old log (of the generation before).
        (&new_snapshot, &old_log, Some((&log_tmp, &new_log[..10]))),
        (&new_snapshot, &old_log, None),
        // After both.
        (&new_snapshot, &new_log, None),
    ];
    for (snapshot, log, temporary) in states {
        std::fs::write(&path, snapshot).unwrap();
        std::fs::write(log_path(&path), log).unwrap();
        if let Some((file, bytes)) = temporary {
            std::fs::write(file, bytes).unwrap();
        }
        let mut resumed = loaded(&path);
        assert_eq!(resumed, state);
        // And it goes on from there.
        let mut offset = offset;
        count(&mut resumed, 0..2, &mut offset);
        resumed.save(&path).unwrap();
        assert_eq!(loaded(&path), figures(&resumed));
    }
}

#[test]
fn a_log_without_its_snapshot_is_not_taken_for_a_new_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut old = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut old, 0..10, &mut offset);
    old.save(&path).unwrap();
    count(&mut old, 10..20, &mut offset);
    old.save(&path).unwrap();
    let old_log = std::fs::read(log_path(&path)).unwrap();
    std::fs::remove_file(&path).unwrap();
    let mut new = Checkpoint::new(topics());
    let mut offset = 0;
    count(&mut new, 0..1, &mut offset);
    new.save(&path).unwrap();
    // The old log back, as if the new log's rename had not happened.
    std::fs::write(log_path(&path), &old_log).unwrap();
    assert_eq!(loaded(&path), figures(&new));
}

#[test]
fn a_version_2_checkpoint_is_read_and_replaced_by_the_first_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c");
    let mut engine = MetricsEngine::new();
    engine.record(&view("P1".to_string()));
    engine.record_rejected(&DecodeError::Empty);
    let old = serde_json::json!({
        "version": 2,
        "topics": ["b", "a"],
        "offsets": {"a": {"0": 2}},
        "engine": engine,
    });
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
    let mut checkpoint = loaded(&path);
    assert_eq!(checkpoint.engine, engine);
    assert_eq!(checkpoint.offsets["a"][&0], 2);
    let mut offset = 2;
    count(&mut checkpoint, 1..3, &mut offset);
    checkpoint.save(&path).unwrap();
    assert!(
        std::fs::read(&path)
            .unwrap()
            .starts_with(b"ShopStream checkpoint\n")
    );
    assert_eq!(loaded(&path), figures(&checkpoint));
}
