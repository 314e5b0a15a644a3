use super::*;

fn users(ids: impl IntoIterator<Item = u64>, limit: Option<usize>) -> ActiveUsers {
    let mut users = ActiveUsers::default();
    for id in ids {
        users.insert(user_hash(&format!("U{id}")), limit);
    }
    users
}

#[test]
fn the_hash_is_fixed_forever() {
    // Saved sets rely on it: a change would count every saved user again.
    assert_eq!(user_hash(""), user_hash(""));
    assert_ne!(user_hash("U1"), user_hash("U2"));
    assert_eq!(
        user_hash("U1"),
        0x8bf7_f169_dc32_69d0,
        "{:#x}",
        user_hash("U1")
    );
}

#[test]
fn exact_up_to_the_limit_then_an_estimate_within_its_error() {
    let exact = users(0..1000, Some(1000));
    assert!(!exact.is_estimate());
    assert_eq!(exact.count(), 1000);
    let repeated = users((0..1000).chain(0..1000), Some(1000));
    assert_eq!(repeated.count(), 1000, "a user counts once");

    let estimated = users(0..100_000, Some(1000));
    assert!(estimated.is_estimate());
    let error = (estimated.count() as f64 - 100_000.0).abs() / 100_000.0;
    assert!(error < 3.0 * ESTIMATE_ERROR, "{}", estimated.count());

    let truth = users(0..100_000, None);
    assert!(!truth.is_estimate(), "no limit: always exact");
    assert_eq!(truth.count(), 100_000);
}

#[test]
fn estimates_merge_like_the_union() {
    let mut left = users(0..60_000, Some(100));
    let right = users(40_000..100_000, Some(100));
    left.merge(&right, Some(100));
    let error = (left.count() as f64 - 100_000.0).abs() / 100_000.0;
    assert!(error < 3.0 * ESTIMATE_ERROR, "{}", left.count());

    let mut exact = users(0..10, Some(100));
    exact.merge(&users(5..20, Some(100)), Some(100));
    assert_eq!(exact.count(), 20);
}

#[test]
fn small_estimates_are_close_too() {
    let mut registers = vec![0u8; REGISTERS];
    for id in 0..50u64 {
        add_to_registers(&mut registers, user_hash(&format!("U{id}")));
    }
    assert_eq!(estimate(&registers), 50);
}

#[test]
fn saved_sets_and_estimates_read_back_and_old_id_lists_too() {
    for saved in [users(0..100, None), users(0..5000, Some(10))] {
        let json = serde_json::to_string(&saved).unwrap();
        let back: ActiveUsers = serde_json::from_str(&json).unwrap();
        assert_eq!(back, saved);
    }
    let old: ActiveUsers = serde_json::from_str(r#"["U1","U2","U1"]"#).unwrap();
    assert_eq!(old, users([1, 2], None));
}

#[test]
fn buckets_cover_the_set_and_restore_it() {
    let saved = users(0..5000, None);
    let buckets = saved.buckets(|_| true);
    assert_eq!(buckets.iter().map(Vec::len).sum::<usize>(), 5000);
    let mut restored = ActiveUsers::default();
    for (index, hashes) in buckets.into_iter().enumerate() {
        restored.set_bucket(index, Some(hashes));
    }
    assert_eq!(restored, saved);
    assert!(saved.take_dirty_is_marked_for_every_filled_bucket());
}

impl ActiveUsers {
    fn take_dirty_is_marked_for_every_filled_bucket(&self) -> bool {
        let filled = self.filled_buckets();
        (0..BUCKETS).all(|b| !filled[b] || self.dirty.contains(b))
    }
}

#[test]
fn a_bucket_over_its_cap_makes_an_estimate() {
    // Hashes all in one bucket (as a crafted stream could make them): the window becomes an
    // estimate before that bucket's entry holds more than the cap.
    let mut users = ActiveUsers::default();
    for low in 0..=BUCKET_CAP as u64 {
        assert!(!users.is_estimate(), "{low}");
        users.insert((7 << BUCKET_SHIFT) | low, Some(usize::MAX));
    }
    assert!(users.is_estimate());
}
