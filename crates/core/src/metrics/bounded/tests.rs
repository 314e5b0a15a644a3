use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;

use super::*;
use crate::event::{Details, Event, ProductInfo};
use crate::metrics::{StateEntry, TOP, WINDOW_USERS_PREFIX};
use crate::money::Money;
use crate::timestamp::Timestamp;
use crate::vocab::{CustomerType, PaymentMethod, Region, TopicKind};
use crate::windows::{EventTimeWindows, WindowRules};

/// What a test event is: a view, an add to cart or a purchase of some units.
#[derive(Debug, Clone, Copy)]
enum Kind {
    View,
    Add,
    Buy(u32),
}

fn event(user: &str, product: &str, kind: Kind) -> Event<'static> {
    let info = ProductInfo {
        product_id: Cow::Owned(product.to_string()),
        product_name: Cow::Owned(format!("name of {product}")),
        category: "Test".into(),
        price: Money::from_cents(100),
    };
    let details = match kind {
        Kind::View => Details::View {
            product: info,
            brand: "B".into(),
        },
        Kind::Add => Details::AddToCart {
            product: info,
            brand: "B".into(),
            quantity: 1,
        },
        Kind::Buy(quantity) => Details::Purchase {
            order_id: "O".into(),
            product: info,
            quantity,
            total: Money::from_cents(100 * i64::from(quantity)),
            payment_method: PaymentMethod::CreditCard,
        },
    };
    Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(0),
        user_id: Cow::Owned(user.to_string()),
        session_id: "S".into(),
        region: Region::North,
        customer_type: CustomerType::Regular,
        details,
    }
}

/// The true counts of a stream, per product.
fn exact(stream: &[(usize, Kind)]) -> BTreeMap<String, Counts> {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    for (product, kind) in stream {
        let c = counts.entry(format!("P{product}")).or_default();
        match kind {
            Kind::View => c.views += 1,
            Kind::Add => c.add_to_carts += 1,
            Kind::Buy(quantity) => {
                c.purchases += 1;
                c.quantity_purchased += u64::from(*quantity);
            }
        }
    }
    counts
}

fn counted(tally: &ProductTally) -> Counts {
    Counts {
        views: tally.views,
        add_to_carts: tally.add_to_carts,
        purchases: tally.purchases,
        quantity_purchased: tally.quantity_purchased,
    }
}

fn fields(c: &Counts) -> [u64; 4] {
    [c.views, c.add_to_carts, c.purchases, c.quantity_purchased]
}

/// The invariant of bounded.rs: held products within [c, c + miss], others below the floor.
fn assert_bounds(engine: &MetricsEngine, truth: &BTreeMap<String, Counts>) {
    assert!(engine.products.len() <= engine.max_keys());
    let floor = fields(&engine.floor);
    for (id, real) in truth {
        let real = fields(real);
        match engine.products.get(id.as_str()) {
            Some(tally) => {
                let (c, miss) = (fields(&counted(tally)), fields(&tally.miss.get()));
                for k in 0..4 {
                    assert!(c[k] <= real[k] && real[k] <= c[k] + miss[k], "{id}");
                    assert!(miss[k] <= floor[k], "{id}: a miss is at most the floor");
                }
            }
            None => (0..4).for_each(|k| assert!(real[k] <= floor[k], "{id}")),
        }
    }
}

fn kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::View),
        2 => Just(Kind::Add),
        1 => (1..4u32).prop_map(Kind::Buy),
    ]
}

/// Streams skewed towards low product numbers, as shops are.
fn stream() -> impl Strategy<Value = Vec<(usize, Kind)>> {
    proptest::collection::vec(
        (prop_oneof![3 => 0..4usize, 1 => 0..40usize], kind()),
        0..300,
    )
}

proptest! {
    #[test]
    fn counts_stay_within_their_stated_error_and_merges_too(
        stream in stream(),
        bound in 1..12usize,
        cuts in proptest::collection::vec(0..300usize, 0..3),
    ) {
        let truth = exact(&stream);
        let mut whole = MetricsEngine::with_max_keys(bound);
        for (product, kind) in &stream {
            whole.record(&event("U", &format!("P{product}"), *kind));
        }
        assert_bounds(&whole, &truth);

        // Any split, each part bounded, merged into a bounded engine.
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(stream.len())).collect();
        cuts.sort_unstable();
        let mut merged = MetricsEngine::with_max_keys(bound);
        let mut from = 0;
        for to in cuts.into_iter().chain([stream.len()]) {
            let mut part = MetricsEngine::with_max_keys(bound);
            for (product, kind) in &stream[from..to] {
                part.record(&event("U", &format!("P{product}"), *kind));
            }
            merged.merge(&part);
            from = to;
        }
        assert_bounds(&merged, &truth);

        for engine in [&whole, &merged] {
            let report = engine.report();
            prop_assert_eq!(report.events, stream.len() as u64, "counts stay exact");
            let Some(approximate) = &report.approximate else {
                // Exact: as many products as the bound at most, and every top count exact.
                prop_assert!(truth.len() <= bound);
                for listed in &report.top_viewed {
                    prop_assert_eq!(listed.count, truth[&listed.product_id].views);
                }
                continue;
            };
            prop_assert!(truth.len() > bound);
            for (list, miss, real) in [
                (&report.top_viewed, approximate.top_viewed_max_miss, 0),
                (&report.top_added_to_cart, approximate.top_added_to_cart_max_miss, 1),
                (&report.top_purchased, approximate.top_purchased_max_miss, 3),
            ] {
                for listed in list {
                    let real = fields(&truth[&listed.product_id])[real];
                    prop_assert!(listed.count <= real && real <= listed.count + miss);
                }
            }
        }
    }
}

#[test]
fn a_dominant_product_tops_the_list_whatever_the_noise() {
    let mut engine = MetricsEngine::with_max_keys(100);
    for i in 0..20_000u32 {
        engine.record(&event("U", &format!("noise-{i}"), Kind::View));
        if i % 4 == 0 {
            engine.record(&event("U", "HOT", Kind::View));
        }
    }
    let report = engine.report();
    assert_eq!(report.top_viewed[0].product_id, "HOT");
    assert_eq!(
        report.top_viewed[0].count, 5000,
        "held from the start: exact"
    );
    let approximate = report
        .approximate
        .expect("20,000 products over a bound of 100");
    assert_eq!(approximate.max_products, 100);
    assert!(approximate.products_dropped >= 19_900);
    // Misra-Gries style: the floor rises with the drops (a product admitted at the floor is
    // dropped at the floor plus its own count), but stays far below the leader's lead.
    assert!(approximate.top_viewed_max_miss < 1000, "{approximate:?}");
    assert_eq!(report.events, 25_000);
}

#[test]
fn the_top_lists_are_the_best_in_order_without_sorting_everything() {
    let mut engine = MetricsEngine::new();
    for (product, views) in [("A", 3), ("B", 5), ("C", 5), ("D", 1), ("E", 2), ("F", 4)] {
        for _ in 0..views {
            engine.record(&event("U", product, Kind::View));
        }
    }
    let ranked: Vec<(&str, u64)> = engine
        .ranked(TOP, |t| t.views)
        .into_iter()
        .map(|(id, t)| (id, t.views))
        .collect();
    assert_eq!(ranked, [("B", 5), ("C", 5), ("F", 4), ("A", 3), ("E", 2)]);
    assert!(engine.ranked(TOP, |t| t.add_to_carts).is_empty());
}

fn replayed(entries: &[StateEntry]) -> MetricsEngine {
    let mut engine = MetricsEngine::with_max_keys(10);
    for entry in entries {
        engine
            .apply_entry(&entry.key, entry.value.as_deref())
            .unwrap();
    }
    // As a reader resumes them: the windows it keeps.
    if let Some(windows) = engine.windows_mut() {
        windows.set_keep(rules().keep);
    }
    engine
}

#[test]
fn dropped_products_are_removed_entries() {
    let mut engine = MetricsEngine::with_max_keys(10);
    let first = engine.take_changes().unwrap();
    for i in 0..10 {
        engine.record(&event("U", &format!("P{i}"), Kind::View));
        engine.record(&event("U", &format!("P{i}"), Kind::View));
    }
    let second = engine.take_changes().unwrap();
    engine.record(&event("U", "NEW", Kind::View));
    let third = engine.take_changes().unwrap();
    let removed: Vec<&str> = third
        .iter()
        .filter(|e| e.value.is_none() && e.key.starts_with("product/"))
        .map(|e| e.key.as_str())
        .collect();
    assert_eq!(removed.len(), 1, "a tenth of 10: {removed:?}");
    assert!(removed[0].starts_with("product/P"));
    assert!(
        third
            .iter()
            .any(|e| e.key == "product/NEW" && e.value.is_some())
    );
    let rebuilt = replayed(&[first, second, third].concat());
    assert_eq!(rebuilt, engine);
    assert_eq!(rebuilt.report(), engine.report());
    assert!(rebuilt.report().approximate.is_some());
}

fn rules() -> WindowRules {
    WindowRules {
        width: Duration::from_secs(60),
        keep: 2,
        allowed_lateness: Duration::ZERO,
        idle_after: Duration::from_secs(5),
        unknown_idle_after: Duration::from_secs(5),
    }
}

fn windowed(max_keys: usize) -> MetricsEngine {
    let mut engine = MetricsEngine::with_max_keys(max_keys);
    engine.set_windows(Some(EventTimeWindows::new(rules())));
    engine
}

fn record_at(engine: &mut MetricsEngine, user: &str, minute: i64) {
    let mut view = event(user, "P", Kind::View);
    view.timestamp = Timestamp::from_millis(minute * 60_000);
    engine.record_at(TopicKind::ProductEvents, "pe", 0, &view, 0);
}

fn user_keys(entries: &[StateEntry]) -> Vec<(&str, bool)> {
    entries
        .iter()
        .filter(|e| e.key.starts_with(WINDOW_USERS_PREFIX))
        .map(|e| (e.key.as_str(), e.value.is_some()))
        .collect()
}

#[test]
fn window_users_are_entries_by_bucket_small_whatever_the_users() {
    let mut engine = windowed(1_000_000);
    let first = engine.take_changes().unwrap();
    for i in 0..50_000 {
        record_at(&mut engine, &format!("user-{i}"), 0);
    }
    let second = engine.take_changes().unwrap();
    let largest = second
        .iter()
        .filter_map(|e| e.value.as_ref())
        .map(Vec::len)
        .max();
    assert!(largest.unwrap() < 256 * 1024, "{largest:?}");
    assert!(
        user_keys(&second).len() > 1000,
        "the users spread over the buckets"
    );

    // A new user rewrites its bucket only.
    record_at(&mut engine, "one more", 0);
    let third = engine.take_changes().unwrap();
    assert_eq!(user_keys(&third).len(), 1, "{:?}", user_keys(&third));

    let log = [first, second, third].concat();
    let rebuilt = replayed(&log);
    assert_eq!(
        rebuilt.windows().map(|w| w.figures()),
        engine.windows().map(|w| w.figures())
    );
    assert_eq!(rebuilt.windows().unwrap().figures()[0].active_users, 50_001);
}

#[test]
fn window_users_go_when_their_window_goes_or_turns_into_an_estimate() {
    let mut engine = windowed(100);
    let mut log = engine.take_changes().unwrap();
    for i in 0..50 {
        record_at(&mut engine, &format!("user-{i}"), 0);
    }
    log.extend(engine.take_changes().unwrap());
    // Past the bound: the buckets are removed, the estimate written.
    for i in 0..150 {
        record_at(&mut engine, &format!("user-{i}"), 0);
    }
    let estimated = engine.take_changes().unwrap();
    let keys = user_keys(&estimated);
    assert!(
        keys.iter().any(|(k, v)| k.ends_with("/estimate") && *v),
        "{keys:?}"
    );
    assert!(keys.iter().filter(|(_, v)| !v).count() >= 40, "{keys:?}");
    log.extend(estimated);
    let figures = &engine.windows().unwrap().figures()[0];
    assert!(figures.active_users_approximate);
    assert!((figures.active_users as f64 - 150.0).abs() < 150.0 * 0.03);

    // Windows that are no longer kept (2 at most) lose their users' entries.
    for minute in 1..5 {
        record_at(&mut engine, "late comer", minute);
    }
    let moved_on = engine.take_changes().unwrap();
    let keys = user_keys(&moved_on);
    assert!(
        keys.contains(&("window-users/0/estimate", false)),
        "{keys:?}"
    );
    log.extend(moved_on);
    let rebuilt = replayed(&log);
    assert_eq!(
        rebuilt.windows().map(|w| w.figures()),
        engine.windows().map(|w| w.figures())
    );
    assert!(rebuilt.restoring_users.is_empty());

    // A compacted log (each key's latest entry, in the order of those) rebuilds it too.
    let mut latest: BTreeMap<&str, usize> = BTreeMap::new();
    for (at, entry) in log.iter().enumerate() {
        latest.insert(&entry.key, at);
    }
    let mut compacted: Vec<(usize, StateEntry)> = latest
        .into_values()
        .map(|at| (at, log[at].clone()))
        .collect();
    compacted.sort_by_key(|(at, _)| *at);
    let compacted: Vec<StateEntry> = compacted
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.value.is_some())
        .collect();
    let rebuilt = replayed(&compacted);
    assert_eq!(
        rebuilt.windows().map(|w| w.figures()),
        engine.windows().map(|w| w.figures())
    );
}
