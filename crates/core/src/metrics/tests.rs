use std::borrow::Cow;

use super::*;
use crate::event::ProductInfo;
use crate::timestamp::Timestamp;
use crate::vocab::{Device, PaymentMethod};

struct Shopper {
    id: &'static str,
    region: Region,
    customer_type: CustomerType,
}

const U1: Shopper = Shopper {
    id: "U1",
    region: Region::North,
    customer_type: CustomerType::Regular,
};
const U2: Shopper = Shopper {
    id: "U2",
    region: Region::South,
    customer_type: CustomerType::Vip,
};
const U3: Shopper = Shopper {
    id: "U3",
    region: Region::East,
    customer_type: CustomerType::Premium,
};

fn product(id: &'static str) -> ProductInfo<'static> {
    let (name, cents) = match id {
        "P001" => ("Alpha", 1000),
        "P002" => ("Beta", 250),
        "P003" => ("Gamma", 9999),
        "P004" => ("Delta", 100),
        "P005" => ("Epsilon", 100),
        "P006" => ("Zeta", 100),
        _ => ("Eta", 100),
    };
    ProductInfo {
        product_id: id.into(),
        product_name: name.into(),
        category: "Test".into(),
        price: Money::from_cents(cents),
    }
}

fn event(who: &Shopper, details: Details<'static>) -> Event<'static> {
    Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(0),
        user_id: who.id.into(),
        session_id: format!("S-{}", who.id).into(),
        region: who.region,
        customer_type: who.customer_type,
        details,
    }
}

fn view(who: &Shopper, id: &'static str) -> Event<'static> {
    event(
        who,
        Details::View {
            product: product(id),
            brand: Cow::Borrowed("B"),
        },
    )
}

fn add(who: &Shopper, id: &'static str, quantity: u32) -> Event<'static> {
    event(
        who,
        Details::AddToCart {
            product: product(id),
            brand: Cow::Borrowed("B"),
            quantity,
        },
    )
}

fn purchase(who: &Shopper, id: &'static str, quantity: u32) -> Event<'static> {
    let product = product(id);
    let total = product.price.checked_mul(quantity).unwrap();
    event(
        who,
        Details::Purchase {
            order_id: "O".into(),
            product,
            quantity,
            total,
            payment_method: PaymentMethod::CreditCard,
        },
    )
}

fn login(who: &Shopper) -> Event<'static> {
    event(
        who,
        Details::Login {
            device: Device::Web,
        },
    )
}

/// 21 events and 2 rejections whose every figure is worked out by hand below.
fn golden_events() -> Vec<Event<'static>> {
    vec![
        login(&U1),
        view(&U1, "P001"),
        view(&U1, "P001"),
        view(&U1, "P002"),
        add(&U1, "P001", 2),
        purchase(&U1, "P001", 2), // 20.00
        login(&U2),
        view(&U2, "P003"),
        view(&U2, "P002"),
        add(&U2, "P003", 1),
        add(&U2, "P002", 3),
        event(
            &U2,
            Details::RemoveFromCart {
                product: product("P002"),
                brand: Cow::Borrowed("B"),
                quantity: 1,
            },
        ),
        purchase(&U2, "P003", 1), // 99.99
        purchase(&U2, "P002", 2), // 5.00
        login(&U3),
        event(
            &U3,
            Details::Search {
                query: "delta".into(),
                results_count: 1,
            },
        ),
        view(&U3, "P004"),
        view(&U3, "P005"),
        view(&U3, "P006"),
        view(&U3, "P007"),
        event(&U3, Details::Logout),
    ]
}

fn top(list: &[TopProduct]) -> Vec<(&str, u64)> {
    list.iter()
        .map(|t| (t.product_id.as_str(), t.count))
        .collect()
}

/// The engine after the golden events and two rejections, figures computed by hand below.
fn golden_engine() -> MetricsEngine {
    let mut engine = MetricsEngine::new();
    for event in golden_events() {
        engine.record(&event);
    }
    engine.record_rejected(&DecodeError::Empty);
    engine.record_rejected(&DecodeError::MissingField("total"));
    engine
}

#[test]
fn golden_report_counts_match_hand_computed_figures() {
    let engine = golden_engine();
    let report = engine.report();

    assert_eq!(report.events, 21);
    assert_eq!(engine.messages(), 23);
    let by_type: Vec<(&str, u64)> = report
        .events_by_type
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(
        by_type,
        [
            ("add_to_cart", 3),
            ("login", 3),
            ("logout", 1),
            ("profile_update", 0),
            ("purchase", 3),
            ("remove_from_cart", 1),
            ("search", 1),
            ("view", 9)
        ]
    );
    let by_region: Vec<(&str, u64)> = report
        .events_by_region
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(
        by_region,
        [("East", 7), ("North", 6), ("South", 8), ("West", 0)]
    );
    let by_customer: Vec<(&str, u64)> = report
        .events_by_customer_type
        .iter()
        .map(|(k, v)| (*k, *v))
        .collect();
    assert_eq!(by_customer, [("Premium", 7), ("Regular", 6), ("VIP", 8)]);
}

#[test]
fn golden_report_top_products_match_hand_computed_figures() {
    let report = golden_engine().report();
    // Views: P001 2, P002 2, then five products with 1: ties go by product_id.
    assert_eq!(
        top(&report.top_viewed),
        [
            ("P001", 2),
            ("P002", 2),
            ("P003", 1),
            ("P004", 1),
            ("P005", 1)
        ]
    );
    let conversions: Vec<Option<f64>> = report
        .top_viewed
        .iter()
        .map(|t| t.view_to_purchase)
        .collect();
    assert_eq!(
        conversions,
        [Some(0.5), Some(0.5), Some(1.0), Some(0.0), Some(0.0)]
    );
    assert_eq!(report.top_viewed[0].product_name, "Alpha");
    assert_eq!(
        top(&report.top_added_to_cart),
        [("P001", 1), ("P002", 1), ("P003", 1)]
    );
    assert!(
        report
            .top_added_to_cart
            .iter()
            .all(|t| t.view_to_purchase.is_none())
    );
    // By quantity purchased: P001 2, P002 2 (tie: id order), P003 1.
    assert_eq!(
        top(&report.top_purchased),
        [("P001", 2), ("P002", 2), ("P003", 1)]
    );
}

#[test]
fn golden_report_revenue_and_rejections_match_hand_computed_figures() {
    let report = golden_engine().report();
    assert_eq!(report.view_to_purchase, 0.3333); // 3 purchases / 9 views
    assert_eq!(report.cart_to_purchase, 1.0); // 3 purchases / 3 add_to_carts
    assert_eq!(report.revenue, Money::from_cents(12_499));
    let revenue: Vec<(&str, i64)> = report
        .revenue_by_region
        .iter()
        .map(|(k, v)| (*k, v.cents()))
        .collect();
    assert_eq!(
        revenue,
        [
            ("East", 0),
            ("North", 2_000),
            ("South", 10_499),
            ("West", 0)
        ]
    );
    assert_eq!(report.orders, 3);
    assert_eq!(report.average_order_value, Money::from_cents(4_166)); // 124.99 / 3 = 41.663
    assert_eq!(report.rejected, 2);
    let reasons: Vec<(&str, u64)> = report
        .rejected_by_reason
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(reasons, [("empty", 1), ("missing_field", 1)]);
}

#[test]
fn empty_input_gives_zeros_not_errors() {
    let report = MetricsEngine::new().report();
    assert_eq!(report.events, 0);
    assert!(report.events_by_type.values().all(|&n| n == 0));
    assert_eq!(report.events_by_type.len(), 8);
    assert_eq!(report.events_by_region.len(), 4);
    assert_eq!(report.events_by_customer_type.len(), 3);
    assert!(report.top_viewed.is_empty() && report.top_purchased.is_empty());
    assert_eq!(
        (report.view_to_purchase, report.cart_to_purchase),
        (0.0, 0.0)
    );
    assert_eq!(
        (report.revenue, report.average_order_value),
        (Money::ZERO, Money::ZERO)
    );
    assert_eq!(report.orders, 0);
}

#[test]
fn rejections_change_no_business_figure() {
    let mut clean = MetricsEngine::new();
    let mut noisy = MetricsEngine::new();
    for event in golden_events() {
        clean.record(&event);
        noisy.record(&event);
        noisy.record_rejected(&DecodeError::InvalidJson("x".into()));
    }
    let (clean, noisy) = (clean.report(), noisy.report());
    assert_eq!(noisy.rejected, 21);
    assert_eq!(
        Report {
            rejected: 0,
            rejected_by_reason: BTreeMap::new(),
            approximate: None,
            ..noisy
        },
        clean
    );
}

#[test]
fn report_json_has_every_figure() {
    let mut engine = MetricsEngine::new();
    for event in golden_events() {
        engine.record(&event);
    }
    let json = serde_json::to_value(engine.report()).unwrap();
    for key in [
        "events",
        "events_by_type",
        "events_by_region",
        "events_by_customer_type",
        "top_viewed",
        "top_added_to_cart",
        "top_purchased",
        "view_to_purchase",
        "cart_to_purchase",
        "revenue",
        "revenue_by_region",
        "orders",
        "average_order_value",
        "rejected",
        "rejected_by_reason",
    ] {
        assert!(json.get(key).is_some(), "{key}");
    }
    assert_eq!(json["revenue"], serde_json::json!(124.99));
    assert_eq!(
        json["top_viewed"][0]["view_to_purchase"],
        serde_json::json!(0.5)
    );
}

#[test]
fn engine_state_round_trips_through_json_exactly() {
    let mut engine = MetricsEngine::new();
    for event in golden_events() {
        engine.record(&event);
    }
    engine.record_rejected(&DecodeError::Empty);
    let json = serde_json::to_string(&engine).unwrap();
    let restored: MetricsEngine = serde_json::from_str(&json).unwrap();
    assert_eq!(restored, engine);
    assert_eq!(restored.report(), engine.report());
}

/// What the merge property tests feed the engine: an event or a rejection.
#[derive(Debug, Clone)]
enum Input {
    Event(Event<'static>),
    Rejected(DecodeError),
}

fn record_all<'a>(engine: &mut MetricsEngine, inputs: impl IntoIterator<Item = &'a Input>) {
    for input in inputs {
        match input {
            Input::Event(event) => engine.record(event),
            Input::Rejected(reason) => engine.record_rejected(reason),
        }
    }
}

mod merge {
    use proptest::prelude::*;

    use super::*;

    const SHOPPERS: [&Shopper; 3] = [&U1, &U2, &U3];
    const PRODUCTS: [&str; 7] = ["P001", "P002", "P003", "P004", "P005", "P006", "P007"];

    /// One input: any event type, product, quantity and event time (few distinct times, so that
    /// ties happen), a product renamed now and then, or a rejection of some kind.
    fn input() -> impl Strategy<Value = Input> {
        (
            0..9u8,
            0..3usize,
            0..7usize,
            1..5u32,
            0..6i64,
            any::<bool>(),
        )
            .prop_map(|(kind, who, product_index, quantity, time, renamed)| {
                let who = SHOPPERS[who];
                let id = PRODUCTS[product_index];
                let mut event = match kind {
                    0 | 1 => view(who, id),
                    2 => add(who, id, quantity),
                    3 => purchase(who, id, quantity),
                    4 => remove(who, id, quantity),
                    5 => login(who),
                    6 => return Input::Rejected(DecodeError::Empty),
                    7 => return Input::Rejected(DecodeError::NotAnObject),
                    _ => return Input::Rejected(DecodeError::MissingField("user_id")),
                };
                event.timestamp = Timestamp::from_millis(time * 1000);
                if renamed {
                    rename(&mut event, &format!("renamed at {time}"));
                }
                Input::Event(event)
            })
    }

    fn remove(who: &Shopper, id: &'static str, quantity: u32) -> Event<'static> {
        event(
            who,
            Details::RemoveFromCart {
                product: product(id),
                brand: Cow::Borrowed("B"),
                quantity,
            },
        )
    }

    fn rename(event: &mut Event<'static>, name: &str) {
        match &mut event.details {
            Details::View { product, .. }
            | Details::AddToCart { product, .. }
            | Details::RemoveFromCart { product, .. }
            | Details::Purchase { product, .. } => product.product_name = name.to_string().into(),
            _ => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// However a stream is split (each input to any of up to five parts, order kept within a
        /// part, as partitions keep it) and whatever order the parts merge in, the merge is the
        /// engine of the whole stream.
        #[test]
        fn any_split_merges_into_the_whole(
            inputs in prop::collection::vec(input(), 0..200),
            parts in 1..6usize,
            seed in any::<u64>(),
        ) {
            let mut whole = MetricsEngine::new();
            record_all(&mut whole, &inputs);

            let mut split: Vec<MetricsEngine> = (0..parts).map(|_| MetricsEngine::new()).collect();
            let mut pick = seed;
            for input in &inputs {
                // A cheap deterministic scatter of inputs over the parts.
                pick = pick.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                record_all(&mut split[(pick >> 33) as usize % parts], [input]);
            }
            // Merge in an order the seed chooses: merging is commutative and associative.
            split.rotate_left((seed % parts as u64) as usize);
            let mut merged = MetricsEngine::new();
            for part in &split {
                merged.merge(part);
            }
            prop_assert_eq!(&merged, &whole);
            prop_assert_eq!(merged.report(), whole.report());

            // Merging pairwise, in the other direction, gives the same.
            let mut folded = MetricsEngine::new();
            for part in split.iter().rev() {
                let mut pair = part.clone();
                pair.merge(&folded);
                folded = pair;
            }
            prop_assert_eq!(&folded, &whole);
        }
    }

    #[test]
    fn the_latest_name_wins_whatever_the_order() {
        let mut early = view(&U1, "P001");
        early.timestamp = Timestamp::from_millis(1000);
        let mut late = view(&U2, "P001");
        late.timestamp = Timestamp::from_millis(2000);
        rename(&mut late, "Alpha II");
        let mut forward = MetricsEngine::new();
        forward.record(&early);
        forward.record(&late);
        let mut backward = MetricsEngine::new();
        backward.record(&late);
        backward.record(&early);
        assert_eq!(forward, backward);
        assert_eq!(forward.report().top_viewed[0].product_name, "Alpha II");
    }
}

fn minute_windows() -> WindowRules {
    WindowRules {
        width: std::time::Duration::from_secs(60),
        keep: 10,
        allowed_lateness: std::time::Duration::ZERO,
        idle_after: std::time::Duration::from_secs(5),
        unknown_idle_after: std::time::Duration::from_secs(5),
    }
}

#[test]
fn windows_start_fresh_and_say_whether_figures_came_before_them() {
    let mut empty = MetricsEngine::new();
    let resumed = empty.resume_windows(minute_windows(), 0, [("product-events", 0)]);
    assert_eq!(resumed, Ok(WindowsResumed::Started));
    assert!(empty.windows().is_some());

    let mut counted = golden_engine();
    let resumed = counted.resume_windows(minute_windows(), 0, []);
    assert_eq!(resumed, Ok(WindowsResumed::StartedAfterCounts));
}

#[test]
fn saved_windows_go_on_at_their_width_only() {
    let mut engine = MetricsEngine::new();
    engine
        .resume_windows(minute_windows(), 0, [("product-events", 0)])
        .unwrap();
    let saved = engine.windows().unwrap().width();
    assert_eq!(
        engine.resume_windows(minute_windows(), 1_000, []),
        Ok(WindowsResumed::Saved)
    );
    assert_eq!(engine.windows().unwrap().width(), saved);

    let wider = WindowRules {
        width: std::time::Duration::from_secs(300),
        ..minute_windows()
    };
    assert!(engine.resume_windows(wider, 2_000, []).is_err());
    assert_eq!(
        engine.windows().unwrap().width(),
        saved,
        "a refused resume leaves the saved windows as they were"
    );
}

/// Replays entries, in order, into a fresh engine.
fn replayed(entries: &[StateEntry]) -> MetricsEngine {
    let mut engine = MetricsEngine::new();
    for entry in entries {
        engine
            .apply_entry(&entry.key, entry.value.as_deref())
            .unwrap();
    }
    engine
}

#[test]
fn entries_rebuild_the_engine_exactly() {
    let mut engine = golden_engine();
    engine
        .resume_windows(minute_windows(), 0, [("product-events", 0)])
        .unwrap();
    let entries = engine.entries().unwrap();
    let keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(
        keys.len(),
        2 + 7,
        "totals, windows and 7 products: {keys:?}"
    );
    assert!(keys.contains(&"product/P001") && keys.contains(&TOTALS_KEY));
    let rebuilt = replayed(&entries);
    assert_eq!(rebuilt.report(), engine.report());
    assert_eq!(rebuilt.products, engine.products);
    assert_eq!(
        rebuilt.windows().map(|w| w.figures()),
        engine.windows().map(|w| w.figures())
    );
}

#[test]
fn changes_are_only_what_changed_since_they_were_last_taken() {
    let mut engine = golden_engine();
    let first = engine.take_changes().unwrap();
    assert_eq!(
        first,
        engine.entries().unwrap(),
        "the first call takes everything"
    );
    assert_eq!(
        engine.take_changes().unwrap(),
        vec![],
        "nothing changed since"
    );

    engine.record(&view(&U1, "P002"));
    engine.record(&login(&U2));
    let second = engine.take_changes().unwrap();
    let keys: Vec<&str> = second.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, [TOTALS_KEY, "product/P002", WINDOWS_KEY]);

    engine.record_rejected(&DecodeError::Empty);
    let third = engine.take_changes().unwrap();
    let keys: Vec<&str> = third.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, [TOTALS_KEY, WINDOWS_KEY]);

    // The first entries then every change since, in order, rebuild the engine.
    let log: Vec<StateEntry> = [first, second, third].concat();
    let rebuilt = replayed(&log);
    assert_eq!(rebuilt, engine);
}

#[test]
fn a_removed_entry_is_gone_and_an_unknown_key_is_refused() {
    let mut engine = golden_engine();
    engine.apply_entry("product/P001", None).unwrap();
    assert!(!engine.products.contains_key("P001"));
    engine.apply_entry(TOTALS_KEY, None).unwrap();
    assert_eq!(engine.report().events, 0);
    let error = engine.apply_entry("offsets", Some(b"{}")).unwrap_err();
    assert!(matches!(error, EntryError::UnknownKey(_)), "{error}");
    let error = engine.apply_entry(TOTALS_KEY, Some(b"[")).unwrap_err();
    assert!(
        error.to_string().contains("state entry \"totals\""),
        "{error}"
    );
}

#[test]
fn a_merge_marks_what_it_brought() {
    let mut engine = MetricsEngine::new();
    engine.track_changes();
    engine.merge(&golden_engine());
    let keys: Vec<String> = engine
        .take_changes()
        .unwrap()
        .into_iter()
        .map(|e| e.key)
        .collect();
    assert_eq!(keys.len(), 2 + 7, "{keys:?}");
}
