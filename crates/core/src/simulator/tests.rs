use std::collections::{HashMap, HashSet};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::tastes::queries;
use super::{Quota, Quotas, Simulator, SimulatorError};
use crate::behaviour::Behaviour;
use crate::catalog::Catalog;
use crate::decode::decode;
use crate::event::{Details, Event};
use crate::stories;
use crate::timestamp::Timestamp;
use crate::vocab::{EventType, PerTopic, TopicKind};

fn catalog() -> Catalog {
    crate::catalog::shipped()
}

fn all(product_events: u64, purchases: u64, user_events: u64) -> Quotas {
    Quotas {
        product_events: Quota::from_count(product_events),
        purchases: Quota::from_count(purchases),
        user_events: Quota::from_count(user_events),
    }
}

/// Runs the simulator to its quotas (or `limit` events) and returns owned events.
fn run(catalog: &Catalog, seed: Option<u64>, quotas: Quotas, limit: usize) -> Vec<Event<'static>> {
    let mut simulator = Simulator::new(catalog, seed, quotas).unwrap();
    let mut events = Vec::new();
    while events.len() < limit {
        match simulator.next_event() {
            Some(event) => events.push(event.into_owned()),
            None => break,
        }
    }
    events
}

fn count_by_topic(events: &[Event<'_>]) -> PerTopic<u64> {
    let mut counts = PerTopic::default();
    for event in events {
        counts[event.topic()] += 1;
    }
    counts
}

#[test]
fn the_same_seed_gives_the_same_events_ids_included() {
    let catalog = catalog();
    let json = |seed| -> Vec<String> {
        run(&catalog, Some(seed), all(400, 150, 300), usize::MAX)
            .iter()
            .map(Event::to_json)
            .collect()
    };
    let first = json(42);
    assert_eq!(first.len(), 850);
    assert_eq!(first, json(42));
    assert_ne!(first, json(43));
}

#[test]
fn no_seed_gives_fresh_randomness_and_wall_clock_time() {
    let catalog = catalog();
    let a = run(&catalog, None, all(50, 0, 0), 50);
    let b = run(&catalog, None, all(50, 0, 0), 50);
    assert_ne!(a[0].event_id, b[0].event_id);
    let now = Timestamp::now().millis();
    assert!((now - a[0].timestamp.millis()).abs() < 60_000);
}

#[test]
fn every_invariant_holds_over_a_long_unlimited_run() {
    let catalog = catalog();
    let events = run(&catalog, Some(7), all(0, 0, 0), 120_000);
    assert_eq!(events.len(), 120_000);
    let stats = stories::check(&events, true).unwrap();
    assert!(stats.sessions > 1000, "{stats:?}");
    let dynamics = Behaviour::shipped().unwrap().catalog;

    let mut ids = HashSet::new();
    let mut last_time = Timestamp::from_millis(0);
    let mut buf = Vec::new();
    for event in &events {
        assert!(
            ids.insert(event.event_id),
            "duplicate event_id {}",
            event.event_id
        );
        assert!(
            event.timestamp > last_time,
            "seeded time strictly increases"
        );
        last_time = event.timestamp;
        // The user's own region and customer type travel with the event.
        let user = catalog.user(&event.user_id).unwrap();
        assert_eq!(
            (event.region, event.customer_type),
            (user.region, user.customer_type)
        );
        // Product fields are the catalog's; free-running prices change now and then, within
        // the behaviour model's bounds around the list price.
        if let Some(product) = event.details.product() {
            let entry = catalog.product(&product.product_id).unwrap();
            assert_eq!(&*product.product_name, entry.name.as_str());
            let (list, price) = (entry.price.cents() as f64, product.price.cents() as f64);
            assert!(
                price >= (list * (1.0 - dynamics.max_price_cut)).floor()
                    && price <= (list * (1.0 + dynamics.max_price_rise)).ceil(),
                "{price} cents for a list price of {list}"
            );
        }
        // It decodes back to itself (so it is valid per the event format in the README), on its own topic.
        buf.clear();
        event.encode_into(&mut buf);
        assert_eq!(&decode(&buf, Some(event.topic())).unwrap(), event);
    }
    // Every topic has traffic; purchases are the few percent of sessions that convert.
    let counts = count_by_topic(&events);
    assert!(
        counts[TopicKind::ProductEvents] > 5_000
            && counts[TopicKind::UserEvents] > 5_000
            && counts[TopicKind::Purchases] > 100,
        "every topic has traffic: {counts:?}"
    );
}

#[test]
fn the_stream_looks_like_a_shop() {
    let catalog = catalog();
    let events = run(&catalog, Some(11), all(0, 0, 0), 100_000);
    let mut by_type: HashMap<EventType, usize> = HashMap::new();
    let mut views: HashMap<&str, usize> = HashMap::new();
    let mut interested_views = 0;
    // What share of views would be in the user's interests if products were picked uniformly.
    let mut uniform_interest_share = 0.0;
    let mut devices = HashSet::new();
    let mut payments = HashSet::new();
    let mut quantities = HashSet::new();
    for event in &events {
        *by_type.entry(event.event_type()).or_default() += 1;
        match &event.details {
            Details::View { product, .. } => {
                *views.entry(&product.product_id).or_default() += 1;
                let user = catalog.user(&event.user_id).unwrap();
                if user.interests.iter().any(|i| *i == product.category) {
                    interested_views += 1;
                }
                let in_interests = catalog
                    .products
                    .iter()
                    .filter(|p| user.interests.contains(&p.category))
                    .count();
                uniform_interest_share += in_interests as f64 / catalog.products.len() as f64;
            }
            Details::Login { device } => {
                devices.insert(*device);
            }
            Details::Purchase {
                payment_method,
                quantity,
                ..
            } => {
                payments.insert(*payment_method);
                quantities.insert(*quantity);
            }
            _ => {}
        }
    }
    for event_type in <EventType as strum::VariantArray>::VARIANTS {
        assert!(
            by_type.get(event_type).copied().unwrap_or(0) > 100,
            "{event_type}: {by_type:?}"
        );
    }
    // Skewed: the five most viewed products draw far more than 5/38 of the views.
    let total_views: usize = views.values().sum();
    let mut counts: Vec<usize> = views.values().copied().collect();
    counts.sort_unstable_by(|a, b| b.cmp(a));
    let top5: usize = counts.iter().take(5).sum();
    assert!(
        top5 * 100 / total_views > 35,
        "top 5 draw {top5} of {total_views}"
    );
    // Leaning to interests: clearly more views in the user's interests than uniform choice gives.
    assert!(
        interested_views as f64 > 1.5 * uniform_interest_share,
        "{interested_views} of {total_views} views in interests; uniform would give {uniform_interest_share:.0}"
    );
    assert_eq!(devices.len(), 3);
    assert_eq!(payments.len(), 5);
    assert!(quantities.len() >= 4, "{quantities:?}");
    // Carts are sometimes abandoned and sometimes bought: purchases < add_to_carts.
    assert!(by_type[&EventType::Purchase] < by_type[&EventType::AddToCart]);
}

#[test]
fn quotas_are_met_exactly_and_stories_stay_whole() {
    let catalog = catalog();
    let mut quota_rng = ChaCha8Rng::seed_from_u64(99);
    let mut cases = vec![
        (40, 15, 30),
        (1, 1, 1),
        (1, 0, 0),
        (0, 0, 1),
        (5, 5, 1),
        (200, 3, 2),
        (3, 3, 200),
    ];
    for _ in 0..300 {
        let product_events = quota_rng.random_range(1..300);
        let purchases = quota_rng.random_range(1..=product_events);
        let user_events = quota_rng.random_range(1..300);
        cases.push((product_events, purchases, user_events));
    }
    for (seed, (p, b, u)) in cases.into_iter().enumerate() {
        // 0 here means "topic off", to test partial quota sets too.
        let quota = |n: u64| {
            if n == 0 {
                Quota::Off
            } else {
                Quota::Exactly(n)
            }
        };
        let quotas = Quotas {
            product_events: quota(p),
            purchases: quota(b),
            user_events: quota(u),
        };
        let events = run(&catalog, Some(seed as u64), quotas, usize::MAX);
        let expected = PerTopic::from_fn(|topic| match topic {
            TopicKind::ProductEvents => p,
            TopicKind::Purchases => b,
            TopicKind::UserEvents => u,
        });
        assert_eq!(
            count_by_topic(&events),
            expected,
            "seed {seed}, quotas {quotas:?}"
        );
        if p > 0 && u > 0 {
            stories::check(&events, true).unwrap_or_else(|v| panic!("seed {seed} {quotas:?}: {v}"));
        }
    }
}

#[test]
fn a_single_topic_gets_only_its_events() {
    let catalog = catalog();
    for topic in <TopicKind as strum::VariantArray>::VARIANTS {
        let events = run(&catalog, Some(3), Quotas::only(*topic, 2_000), usize::MAX);
        assert_eq!(events.len(), 2_000);
        assert!(events.iter().all(|e| e.topic() == *topic), "{topic}");
    }
}

#[test]
fn impossible_quotas_are_refused() {
    let catalog = catalog();
    assert!(matches!(
        Simulator::new(&catalog, None, all(3, 4, 10)),
        Err(SimulatorError::PurchasesExceedProductEvents {
            purchases: 4,
            product_events: 3
        })
    ));
    let nothing = Quotas {
        product_events: Quota::Off,
        purchases: Quota::Off,
        user_events: Quota::Off,
    };
    assert!(matches!(
        Simulator::new(&catalog, None, nothing),
        Err(SimulatorError::NothingToEmit)
    ));
    let empty = Catalog {
        products: Vec::new(),
        users: catalog.users.clone(),
    };
    assert!(matches!(
        Simulator::new(&empty, None, all(1, 1, 1)),
        Err(SimulatorError::EmptyCatalog)
    ));
}

#[test]
fn search_results_count_matching_products() {
    let catalog = catalog();
    let queries = queries(&catalog.products);
    let electronics = queries.iter().find(|q| q.text == "electronics").unwrap();
    let expected = catalog
        .products
        .iter()
        .filter(|p| p.category == "Electronics")
        .count();
    assert_eq!(electronics.results as usize, expected);
    assert!(queries.iter().all(|q| q.results >= 1));
}

#[test]
fn stories_checker_catches_broken_stories() {
    let catalog = catalog();
    let events = run(&catalog, Some(5), all(200, 50, 100), usize::MAX);
    stories::check(&events, true).unwrap();
    // Take out the add_to_carts that the first purchase bought from: the checker must notice,
    // in that session.
    let purchase = events
        .iter()
        .position(|e| e.event_type() == EventType::Purchase)
        .unwrap();
    let (session, product) = match &events[purchase].details {
        Details::Purchase { product, .. } => (&events[purchase].session_id, &product.product_id),
        other => panic!("not a purchase: {other:?}"),
    };
    let broken: Vec<_> = events
        .iter()
        .enumerate()
        .filter(|(at, e)| {
            let carts_it = match &e.details {
                Details::AddToCart { product: p, .. } => p.product_id == *product,
                _ => false,
            };
            !(*at < purchase && e.session_id == *session && carts_it)
        })
        .map(|(_, e)| e.clone())
        .collect();
    assert!(broken.len() < events.len());
    let violation = stories::check(&broken, true).unwrap_err();
    assert_eq!(violation.session_id, **session);
    // A session's events without its login fail when logins are expected.
    let without_logins: Vec<_> = events
        .iter()
        .filter(|e| e.event_type() != EventType::Login)
        .cloned()
        .collect();
    assert!(stories::check(&without_logins, true).is_err());
    assert!(stories::check(&without_logins, false).is_ok());
}

/// FNV-1a 64 over every event's JSON exactly as the producers encode it (`encode_into`), one
/// newline after each: a digest that is stable across platforms and Rust versions.
fn digest(catalog: &Catalog, seed: u64, quotas: Quotas, limit: usize) -> (usize, u64) {
    let mut simulator = Simulator::new(catalog, Some(seed), quotas).unwrap();
    let mut buf = Vec::with_capacity(1024);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut count = 0;
    while count < limit {
        let Some(event) = simulator.next_event() else {
            break;
        };
        buf.clear();
        event.encode_into(&mut buf);
        buf.push(b'\n');
        for &byte in &buf {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
        count += 1;
    }
    (count, hash)
}

/// Pins the events of seeded runs: a refactor must give the same events, ids and timestamps
/// included, for the same seed and quotas. Pinned again when product choice became a mixture of
/// shared popularity tables (the same chances per user and product, tastes::products' tests, drawn
/// differently); before, the four were 0x9f4e_dc2f_b1ff_206b, 0xd09b_0173_3b9c_a668,
/// 0xbbbf_e5af_5be3_8f46 and 0x74a3_8756_0282_0a2d.
#[test]
fn seeded_runs_keep_their_digest() {
    let catalog = catalog();
    // The demo's quotas.
    assert_eq!(
        digest(&catalog, 42, all(40, 15, 30), usize::MAX),
        (85, 0xd9ab_8c2a_717c_45c3)
    );
    // Free-running, stopped after a few thousand events (also pinned again when free-running
    // runs came to follow the behaviour model; it was (5_000, 0x82b9_c177_b845_8b4c) before).
    assert_eq!(
        digest(&catalog, 7, all(0, 0, 0), 5_000),
        (5_000, 0xef29_c524_895b_42e6)
    );
    // Large quotas, where purchases are tight against product events.
    assert_eq!(
        digest(&catalog, 2024, all(12_000, 9_000, 8_000), usize::MAX),
        (29_000, 0x3e09_25ee_34ce_020a)
    );
    // One topic alone (the others simulated but not emitted).
    assert_eq!(
        digest(
            &catalog,
            3,
            Quotas::only(TopicKind::Purchases, 1_000),
            usize::MAX
        ),
        (1_000, 0xd204_7a38_ef61_6b9b)
    );
}

// Free-running runs (the behaviour model) have their own file beside the steered runs' tests.
mod free_running;
