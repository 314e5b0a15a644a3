//! Free-running runs: the behaviour model's funnel, the arrival curve, catalog dynamics,
//! campaigns and seeded determinism.

use std::collections::HashMap;

use enum_map::EnumMap;

use crate::behaviour::Behaviour;
use crate::campaign::Campaign;
use crate::catalog::Catalog;
use crate::event::{Details, Event};
use crate::population::Shop;
use crate::simulator::arrivals::{DAY_MS, HOUR_MS};
use crate::simulator::{Mode, Quota, Quotas, SEEDED_EPOCH, Simulator, SimulatorOptions};
use crate::stories;
use crate::timestamp::Timestamp;
use crate::vocab::{Device, EventType, Region};

fn catalog() -> Catalog {
    crate::catalog::shipped()
}

fn unlimited() -> Quotas {
    Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Unlimited,
        user_events: Quota::Unlimited,
    }
}

/// The funnel of a stream, counted per session; each session's story is checked when it ends.
#[derive(Default, Debug)]
struct Funnel {
    events: u64,
    views: u64,
    add_to_carts: u64,
    purchases: u64,
    removes: u64,
    sessions: u64,
    carting_sessions: u64,
    buying_sessions: u64,
    mobile_sessions: u64,
}

#[derive(Default)]
struct OpenSession {
    carted: bool,
    bought: bool,
    events: Vec<Event<'static>>,
}

impl Funnel {
    fn session_conversion(&self) -> f64 {
        self.buying_sessions as f64 / self.sessions as f64
    }
    fn add_to_cart_sessions(&self) -> f64 {
        self.carting_sessions as f64 / self.sessions as f64
    }
    fn cart_abandonment(&self) -> f64 {
        1.0 - self.buying_sessions as f64 / self.carting_sessions as f64
    }
    fn cart_to_purchase(&self) -> f64 {
        self.purchases as f64 / self.add_to_carts as f64
    }
    fn views_per_add_to_cart(&self) -> f64 {
        self.views as f64 / self.add_to_carts as f64
    }
    fn mobile_sessions(&self) -> f64 {
        self.mobile_sessions as f64 / self.sessions as f64
    }
}

/// Runs `count` free-running events through the funnel and the story checker (per session, as
/// each ends, so that a million events need not be held at once).
fn funnel(simulator: &mut Simulator<'_>, count: u64) -> Funnel {
    let mut funnel = Funnel::default();
    let mut open: HashMap<String, OpenSession> = HashMap::new();
    let mut last = Timestamp::from_millis(0);
    for _ in 0..count {
        let event = simulator.next_event().expect("free-running").into_owned();
        assert!(event.timestamp > last, "time strictly increases");
        last = event.timestamp;
        funnel.events += 1;
        let session = open.entry(event.session_id.to_string()).or_default();
        match &event.details {
            Details::Login { device } => {
                funnel.sessions += 1;
                funnel.mobile_sessions += u64::from(*device == Device::Mobile);
            }
            Details::View { .. } => funnel.views += 1,
            Details::AddToCart { .. } => {
                funnel.add_to_carts += 1;
                session.carted = true;
            }
            Details::Purchase { .. } => {
                funnel.purchases += 1;
                session.bought = true;
            }
            Details::RemoveFromCart { .. } => funnel.removes += 1,
            _ => {}
        }
        let ended = event.event_type() == EventType::Logout;
        session.events.push(event);
        if ended {
            let session_id = session.events[0].session_id.to_string();
            let session = open.remove(&session_id).expect("open");
            funnel.carting_sessions += u64::from(session.carted);
            funnel.buying_sessions += u64::from(session.bought);
            stories::check(&session.events, true).unwrap_or_else(|v| panic!("{v}"));
        }
    }
    // Sessions still open at the end: their stories so far, not counted in the funnel.
    for session in open.values() {
        stories::check(&session.events, true).unwrap_or_else(|v| panic!("{v}"));
    }
    funnel
}

#[test]
fn a_million_free_running_events_make_the_configured_funnel() {
    let catalog = catalog();
    let mut simulator = Simulator::new(&catalog, Some(2026), unlimited()).unwrap();
    let funnel = funnel(&mut simulator, 1_000_000);
    assert_within_the_benchmarks(&funnel);
    // A busy shop: many sessions, and the run spans weeks of simulated time.
    assert!(funnel.sessions > 50_000, "{funnel:?}");
    let days = (simulator.clock().millis() - SEEDED_EPOCH) as f64 / DAY_MS as f64;
    let per_day = funnel.sessions as f64 / days;
    assert!(
        (3_000.0..5_000.0).contains(&per_day),
        "{per_day} sessions a day"
    );
}

/// A generated shop of a million users and a hundred thousand products (made on demand) keeps
/// the calibration: the same funnel.
#[test]
fn a_generated_shop_makes_the_configured_funnel() {
    let sizes = crate::population::Sizes {
        users: 1_000_000,
        products: 100_000,
    };
    let nowhere = std::path::Path::new("/nowhere");
    let shop = Shop::load_or_generate(nowhere, nowhere, 3, sizes).unwrap();
    let mut simulator = Simulator::new(&shop, Some(2026), unlimited()).unwrap();
    let funnel = funnel(&mut simulator, 400_000);
    assert_within_the_benchmarks(&funnel);
    assert!(funnel.sessions > 20_000, "{funnel:?}");
}

/// The funnel's figures fall within the shipped model's benchmark bands.
fn assert_within_the_benchmarks(funnel: &Funnel) {
    let behaviour = Behaviour::shipped().unwrap();
    let figures = [
        (
            "session conversion",
            funnel.session_conversion(),
            behaviour.benchmarks.session_conversion,
        ),
        (
            "cart abandonment",
            funnel.cart_abandonment(),
            behaviour.benchmarks.cart_abandonment,
        ),
        (
            "add-to-cart sessions",
            funnel.add_to_cart_sessions(),
            behaviour.benchmarks.add_to_cart_sessions,
        ),
        (
            "cart to purchase",
            funnel.cart_to_purchase(),
            behaviour.benchmarks.cart_to_purchase,
        ),
        (
            "views per add_to_cart",
            funnel.views_per_add_to_cart(),
            behaviour.benchmarks.views_per_add_to_cart,
        ),
        (
            "mobile sessions",
            funnel.mobile_sessions(),
            behaviour.benchmarks.mobile_sessions,
        ),
    ];
    eprintln!("{funnel:?}");
    for (name, value, band) in figures {
        eprintln!(
            "{name}: {value:.4} (target {} +- {})",
            band.target, band.tolerance
        );
    }
    for (name, value, band) in figures {
        assert!(
            band.contains(value),
            "{name}: {value:.4}, target {band:?}; {funnel:?}"
        );
    }
    // Far more views than carts, more carts than purchases.
    assert!(funnel.views > 20 * funnel.add_to_carts, "{funnel:?}");
    assert!(funnel.add_to_carts > 2 * funnel.purchases, "{funnel:?}");
}

/// Over a simulated week, session starts (logins) per local hour of each region follow the
/// configured hourly curve, and every hour of every day has traffic.
#[test]
fn session_starts_follow_the_daily_curve_in_each_region_s_time_zone() {
    let catalog = catalog();
    let behaviour = Behaviour::shipped().unwrap();
    let mut simulator = Simulator::new(&catalog, Some(17), unlimited()).unwrap();
    let week_end = SEEDED_EPOCH + 7 * DAY_MS;
    let mut per_local_hour: EnumMap<Region, [f64; 24]> = EnumMap::default();
    let mut per_utc_hour = vec![0u32; 7 * 24];
    loop {
        let event = simulator.next_event().unwrap();
        let at = event.timestamp.millis();
        if at >= week_end {
            break;
        }
        if event.event_type() == EventType::Login {
            let offset = behaviour.traffic.utc_offset_hours[event.region] as i64 * HOUR_MS;
            let local_hour = ((at + offset).rem_euclid(DAY_MS) / HOUR_MS) as usize;
            per_local_hour[event.region][local_hour] += 1.0;
            per_utc_hour[((at - SEEDED_EPOCH) / HOUR_MS) as usize] += 1;
        }
    }
    // A week holds each local hour of the week once, so the weekly curve weighs every hour of
    // the day alike: the expected share of an hour is its hourly weight's share.
    let hourly = &behaviour.traffic.hourly;
    let hourly_sum: f64 = hourly.iter().sum();
    for (region, hours) in &per_local_hour {
        let total: f64 = hours.iter().sum();
        assert!(total > 4_000.0, "{region}: {total} sessions in a week");
        for (hour, count) in hours.iter().enumerate() {
            let expected = total * hourly[hour] / hourly_sum;
            // Poisson noise, plus a little for arrivals lost when all of a region's users are
            // already shopping (the shipped users are few).
            let tolerance = 4.0 * expected.sqrt() + 0.08 * expected;
            assert!(
                (count - expected).abs() < tolerance,
                "{region} {hour}h local: {count} session starts, expected {expected:.0}"
            );
        }
    }
    assert!(
        per_utc_hour.iter().all(|&n| n >= 20),
        "every hour has traffic: {per_utc_hour:?}"
    );
}

/// The events of a seeded run with a campaign and a start of its own.
fn campaign_run(seed: u64, count: usize) -> Vec<String> {
    let catalog = catalog();
    let start = Timestamp::parse("2026-03-14T09:30:00Z").unwrap();
    let campaign: Campaign = "2026-03-14T20:00:00Z/3h/3".parse().unwrap();
    let options = SimulatorOptions::new(Some(seed), unlimited())
        .start(start)
        .campaigns([campaign]);
    let mut simulator = Simulator::with_options(&catalog, options).unwrap();
    (0..count)
        .map(|_| simulator.next_event().unwrap().to_json())
        .collect()
}

#[test]
fn seeded_runs_with_a_curve_a_campaign_and_a_start_repeat_exactly() {
    let first = campaign_run(21, 60_000);
    assert_eq!(first, campaign_run(21, 60_000));
    assert_ne!(first, campaign_run(22, 60_000));
    // The clock starts at the given start and runs past the campaign (at 20:00, for 3 hours).
    let time = |json: &str| {
        let event = crate::decode::decode(json.as_bytes(), None).unwrap();
        event.timestamp.millis()
    };
    let start = Timestamp::parse("2026-03-14T09:30:00Z").unwrap().millis();
    assert!((start..start + 10 * 60_000).contains(&time(&first[0])));
    assert!(time(&first[first.len() - 1]) > start + 14 * HOUR_MS);
}

#[test]
fn a_campaign_brings_more_sessions_and_more_purchases() {
    let catalog = catalog();
    let campaign: Campaign = "2026-01-05T00:00:00Z/2d/3".parse().unwrap();
    // Sessions started and purchases made while the campaign is on, with and without it.
    let count = |campaigns: Vec<Campaign>| {
        let options = SimulatorOptions::new(Some(4), unlimited()).campaigns(campaigns);
        let mut simulator = Simulator::with_options(&catalog, options).unwrap();
        let (mut logins, mut purchases) = (0u32, 0u32);
        loop {
            let event = simulator.next_event().unwrap();
            if event.timestamp.millis() >= campaign.end_ms() {
                return (logins, purchases);
            }
            if campaign.is_on(event.timestamp.millis()) {
                match event.event_type() {
                    EventType::Login => logins += 1,
                    EventType::Purchase => purchases += 1,
                    _ => {}
                }
            }
        }
    };
    let (plain_logins, plain_purchases) = count(Vec::new());
    let (logins, purchases) = count(vec![campaign]);
    // Three times the arrivals, less those lost when every user of a region is already in a
    // session; purchases rise with both the arrivals and the propensity.
    let more_sessions = f64::from(logins) / f64::from(plain_logins);
    let more_purchases = f64::from(purchases) / f64::from(plain_purchases);
    assert!(
        (2.0..3.1).contains(&more_sessions),
        "{logins} / {plain_logins}"
    );
    assert!(
        more_purchases > more_sessions * 1.5,
        "{purchases} / {plain_purchases} purchases, {more_sessions:.2} times the sessions"
    );
}

#[test]
fn an_unseeded_run_with_a_start_follows_the_simulated_clock() {
    let catalog = catalog();
    let start = Timestamp::parse("2025-06-01T00:00:00Z").unwrap();
    let options = SimulatorOptions::new(None, unlimited()).start(start);
    let mut simulator = Simulator::with_options(&catalog, options).unwrap();
    assert_eq!(simulator.clock(), start);
    let mut last = start;
    for _ in 0..5_000 {
        let event = simulator.next_event().unwrap();
        assert!(event.timestamp > last);
        last = event.timestamp;
    }
    assert_eq!(simulator.clock(), last);
    // Hours of simulated time, far from today's wall clock.
    assert!(last.millis() - start.millis() > 2 * HOUR_MS);
    assert!(last.millis() < start.millis() + 30 * DAY_MS);
    assert!(simulator.is_free_running());
}

/// The shipped catalog with little stock: products sell out often.
fn scarce_catalog() -> Catalog {
    let mut catalog = catalog();
    for (index, product) in catalog.products.iter_mut().enumerate() {
        product.stock = 1 + (index % 3) as u32;
    }
    catalog
}

/// Where the product `id` is in the catalog.
fn product_index(catalog: &Catalog, id: &str) -> usize {
    catalog
        .products
        .iter()
        .position(|p| p.product_id == id)
        .unwrap()
}

#[test]
fn stock_never_goes_below_zero_and_sold_out_products_are_not_carted() {
    let catalog = scarce_catalog();
    let mut simulator = Simulator::new(&catalog, Some(9), unlimited()).unwrap();
    let full: Vec<u32> = catalog.products.iter().map(|p| p.stock).collect();
    let index = |id: &str| product_index(&catalog, id);
    // Sold since the product's latest restock, and how many restocks that was.
    let mut sold = vec![0u32; full.len()];
    let mut restocks = vec![0u32; full.len()];
    let (mut adds, mut sell_outs) = (0, 0);
    for _ in 0..300_000 {
        let event = simulator.next_event().unwrap().into_owned();
        let Mode::FreeRunning(free) = &simulator.mode else {
            panic!("free-running")
        };
        let shelf = &free.shelf;
        for product in 0..full.len() {
            if shelf.restock_count(product) != restocks[product] {
                restocks[product] = shelf.restock_count(product);
                sold[product] = 0;
            }
        }
        match &event.details {
            Details::AddToCart {
                product, quantity, ..
            } => {
                let product = index(&product.product_id);
                // Only what is on the shelf goes into a cart.
                assert!(
                    *quantity <= shelf.stock(product, &simulator.shop.products),
                    "{event:?}"
                );
                adds += 1;
            }
            Details::Purchase {
                product, quantity, ..
            } => {
                let product = index(&product.product_id);
                sold[product] += quantity;
                assert!(
                    sold[product] <= full[product],
                    "sold more than the stock: {event:?}"
                );
                let left = shelf.stock(product, &simulator.shop.products);
                assert_eq!(left, full[product] - sold[product]);
                sell_outs += u32::from(left == 0);
            }
            _ => {}
        }
    }
    assert!(
        adds > 500 && sell_outs > 100,
        "{adds} adds, {sell_outs} sell-outs"
    );
    assert!(restocks.iter().sum::<u32>() > 100, "{restocks:?}");
}

#[test]
fn price_changes_reach_the_events_from_the_moment_they_happen() {
    let catalog = catalog();
    let mut behaviour = Behaviour::shipped().unwrap();
    behaviour.catalog.price_changes_per_day = 200.0;
    let options = SimulatorOptions::new(Some(12), unlimited()).behaviour(behaviour);
    let mut simulator = Simulator::with_options(&catalog, options).unwrap();
    let index = |id: &str| product_index(&catalog, id);
    let mut previous_prices: Vec<_> = catalog.products.iter().map(|p| p.price).collect();
    let (mut off_list, mut after_a_change) = (0, 0);
    let mut changed_since: Vec<bool> = vec![false; catalog.products.len()];
    for _ in 0..100_000 {
        let event = simulator.next_event().unwrap().into_owned();
        let Mode::FreeRunning(free) = &simulator.mode else {
            panic!("free-running")
        };
        let prices: Vec<_> = (0..catalog.products.len())
            .map(|product| free.shelf.price(product, &simulator.shop.products))
            .collect();
        for (product, (now, before)) in prices.iter().zip(&mut previous_prices).enumerate() {
            if now != before {
                *before = *now;
                changed_since[product] = true;
            }
        }
        if let Some(info) = event.details.product() {
            let product = index(&info.product_id);
            // The price in force when the event happened.
            assert_eq!(info.price, prices[product], "{event:?}");
            off_list += u32::from(info.price != catalog.products[product].price);
            if changed_since[product] {
                after_a_change += 1;
                changed_since[product] = false;
            }
        }
    }
    assert!(off_list > 1_000, "{off_list} events at a changed price");
    assert!(after_a_change > 100, "{after_a_change}");
}
