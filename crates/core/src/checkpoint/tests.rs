use super::*;
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
    let text = std::fs::read_to_string(&path).unwrap();
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
    Checkpoint::remove(&path).unwrap();
    Checkpoint::remove(&path).unwrap();
    assert!(!path.exists());
}
