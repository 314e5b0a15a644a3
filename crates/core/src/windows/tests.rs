use super::*;
use crate::event::ProductInfo;
use crate::simulator::{Quota, Quotas, Simulator};
use crate::vocab::{CustomerType, PaymentMethod, Region};

const MINUTE: i64 = 60_000;
/// Wall-clock milliseconds in these tests: any fixed origin will do.
const NOW: i64 = 1_000_000;

fn rules(lateness_ms: u64) -> WindowRules {
    WindowRules {
        width: Duration::from_secs(60),
        keep: 10,
        allowed_lateness: Duration::from_millis(lateness_ms),
        idle_after: Duration::from_secs(5),
        unknown_idle_after: Duration::from_secs(5),
    }
}

fn at(millis: i64, user: &'static str, details: Details<'static>) -> Event<'static> {
    Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(millis),
        user_id: user.into(),
        session_id: "S1".into(),
        region: Region::North,
        customer_type: CustomerType::Regular,
        details,
    }
}

fn product() -> ProductInfo<'static> {
    ProductInfo {
        product_id: "P001".into(),
        product_name: "Alpha".into(),
        category: "Test".into(),
        price: Money::from_cents(1250),
    }
}

fn view(millis: i64, user: &'static str) -> Event<'static> {
    at(
        millis,
        user,
        Details::View {
            product: product(),
            brand: "Acme".into(),
        },
    )
}

fn add(millis: i64, user: &'static str) -> Event<'static> {
    at(
        millis,
        user,
        Details::AddToCart {
            product: product(),
            brand: "Acme".into(),
            quantity: 1,
        },
    )
}

fn purchase(millis: i64, user: &'static str, cents: i64) -> Event<'static> {
    at(
        millis,
        user,
        Details::Purchase {
            order_id: "O1".into(),
            product: product(),
            quantity: 1,
            total: Money::from_cents(cents),
            payment_method: PaymentMethod::CreditCard,
        },
    )
}

/// Simulated events of a seeded launcher-like run (about 1.5 s apart on the simulated clock).
fn simulated(count: u64, seed: u64) -> Vec<Event<'static>> {
    let catalog = crate::catalog::shipped();
    let quotas = Quotas {
        product_events: Quota::Exactly(count / 2),
        purchases: Quota::Exactly(count / 8),
        user_events: Quota::Exactly(count - count / 2 - count / 8),
    };
    let mut simulator = Simulator::new(&catalog, Some(seed), quotas).unwrap();
    let mut events = Vec::new();
    while let Some(event) = simulator.next_event() {
        events.push(event.into_owned());
    }
    events
}

fn topic_of(event: &Event<'_>) -> (TopicKind, &'static str) {
    match event.event_type() {
        EventType::View | EventType::AddToCart | EventType::RemoveFromCart => {
            (TopicKind::ProductEvents, "product-events")
        }
        EventType::Purchase => (TopicKind::Purchases, "purchases"),
        _ => (TopicKind::UserEvents, "user-events"),
    }
}

#[test]
fn a_window_counts_types_orders_revenue_ratios_and_distinct_users() {
    let mut series = WindowSeries::new(Duration::from_secs(60));
    for event in [
        view(1_000, "U1"),
        view(2_000, "U1"),
        view(3_000, "U2"),
        add(4_000, "U1"),
        purchase(5_000, "U1", 1250),
        purchase(59_999, "U3", 999),
        view(MINUTE, "U4"),
    ] {
        series.record(&event);
    }
    let figures = series.figures();
    assert_eq!(figures.len(), 2);
    let first = &figures[0];
    assert_eq!(first.start, "1970-01-01T00:00:00.000Z");
    assert_eq!(first.end, "1970-01-01T00:01:00.000Z");
    assert!(first.closed);
    assert_eq!(first.events, 6);
    assert_eq!(first.events_by_type["view"], 3);
    assert_eq!(first.events_by_type["add_to_cart"], 1);
    assert_eq!(first.events_by_type["purchase"], 2);
    assert_eq!(first.events_by_type["login"], 0);
    assert_eq!(first.orders, 2);
    assert_eq!(first.revenue, Money::from_cents(2249));
    assert_eq!(first.view_to_purchase, 0.6667);
    assert_eq!(first.cart_to_purchase, 2.0);
    assert_eq!(first.active_users, 3);
    // The window's end is not in it: 60 000 ms opens the next one.
    assert_eq!(figures[1].start, "1970-01-01T00:01:00.000Z");
    assert_eq!(figures[1].events, 1);
    assert_eq!(
        serde_json::to_value(first).unwrap()["revenue"],
        serde_json::json!(22.49)
    );
}

#[test]
fn out_of_order_events_within_the_lateness_update_their_open_window() {
    let mut windows = EventTimeWindows::new(rules(30_000));
    windows.watch("purchases", 0, NOW);
    let mut placements = Vec::new();
    for millis in [10_000, 70_000, 20_000, 85_000, 55_000] {
        placements.push(windows.record(
            TopicKind::Purchases,
            "purchases",
            0,
            &purchase(millis, "U1", 100),
            NOW,
        ));
    }
    // The watermark is 85 s, less 30 s of lateness: 55 s, inside the first window, still open.
    assert!(placements.iter().all(|p| *p == Placement::Counted));
    let figures = windows.figures();
    assert_eq!(figures.len(), 2);
    assert_eq!((figures[0].orders, figures[0].closed), (3, false));
    assert_eq!((figures[1].orders, figures[1].closed), (2, false));
    assert!(windows.too_late().values().all(|&n| n == 0));
}

#[test]
fn an_event_for_a_closed_window_is_too_late_and_never_added() {
    let mut windows = EventTimeWindows::new(rules(30_000));
    let record = |windows: &mut EventTimeWindows, millis| {
        windows.record(
            TopicKind::ProductEvents,
            "product-events",
            2,
            &view(millis, "U1"),
            NOW,
        )
    };
    assert_eq!(record(&mut windows, 10_000), Placement::Counted);
    // 90 s - 30 s = 60 s: the first window [0, 60 s) closes.
    assert_eq!(record(&mut windows, 90_000), Placement::Counted);
    assert_eq!(windows.watermark(NOW), Some(90_000));
    assert_eq!(record(&mut windows, 59_999), Placement::TooLate);
    // The second window is still open: 60 s is not too late.
    assert_eq!(record(&mut windows, 60_000), Placement::Counted);
    let figures = windows.figures();
    assert_eq!((figures[0].events, figures[0].closed), (1, true));
    assert_eq!(figures[0].too_late, 1);
    assert_eq!(figures[1].too_late, 0);
    assert_eq!((figures[1].events, figures[1].closed), (2, false));
    assert_eq!(windows.too_late()["product-events"], 1);
    assert_eq!(windows.too_late()["purchases"], 0);
}

#[test]
fn the_watermark_waits_for_the_slowest_partition_unless_it_is_idle() {
    let mut windows = EventTimeWindows::new(rules(0));
    windows.watch("user-events", 0, NOW);
    windows.watch("user-events", 1, NOW);
    let login = |millis| {
        at(
            millis,
            "U1",
            Details::Login {
                device: crate::vocab::Device::Mobile,
            },
        )
    };
    // Partition 0 runs ten minutes ahead while 1 has had nothing yet: nothing closes.
    windows.record(
        TopicKind::UserEvents,
        "user-events",
        0,
        &login(600_000),
        NOW,
    );
    assert_eq!(windows.watermark(NOW), None);
    // Partition 1's old events are not late.
    let placement = windows.record(TopicKind::UserEvents, "user-events", 1, &login(5_000), NOW);
    assert_eq!(placement, Placement::Counted);
    assert_eq!(windows.watermark(NOW), Some(5_000));
    assert!(windows.figures().iter().all(|w| !w.closed));
    // Partition 1 goes quiet: after 5 s of wall clock it no longer holds partition 0 back.
    let later = NOW + 5_000;
    windows.record(
        TopicKind::UserEvents,
        "user-events",
        0,
        &login(660_000),
        later,
    );
    assert_eq!(windows.watermark(later), Some(660_000));
    let figures = windows.figures();
    assert_eq!(figures.len(), 3);
    assert!(figures[0].closed && figures[1].closed && !figures[2].closed);
    // A partition no longer read stops counting at once.
    windows.unwatch("user-events", 1);
    assert_eq!(windows.watermark(NOW), Some(660_000));
}

#[test]
fn only_the_latest_windows_are_kept() {
    let mut windows = EventTimeWindows::new(WindowRules {
        keep: 3,
        ..rules(0)
    });
    for minute in 0..10 {
        windows.record(
            TopicKind::ProductEvents,
            "product-events",
            0,
            &view(minute * MINUTE, "U1"),
            NOW,
        );
    }
    let starts: Vec<String> = windows.figures().into_iter().map(|w| w.start).collect();
    assert_eq!(
        starts,
        [
            "1970-01-01T00:07:00.000Z",
            "1970-01-01T00:08:00.000Z",
            "1970-01-01T00:09:00.000Z"
        ]
    );
}

#[test]
fn in_order_reading_closes_windows_that_equal_the_ground_truth() {
    let events = simulated(20_000, 7);
    let mut truth = WindowSeries::new(Duration::from_secs(60));
    let mut windows = EventTimeWindows::new(WindowRules {
        keep: 10_000,
        ..rules(0)
    });
    for event in &events {
        truth.record(event);
        let (kind, topic) = topic_of(event);
        // Read live: the wall clock is the event's time, so a topic whose quota is met early
        // goes idle and stops holding the watermark back.
        let now = event.timestamp.millis();
        assert_eq!(
            windows.record(kind, topic, 0, event, now),
            Placement::Counted
        );
    }
    let truth = truth.figures();
    let read = windows.figures();
    assert!(truth.len() > 100, "{} windows", truth.len());
    assert_eq!(read.len(), truth.len());
    // The watermark trails the slowest topic that is not idle: the windows after it are still
    // open, every one before is closed. Closed or open, each equals the truth.
    let closed = read.iter().take_while(|w| w.closed).count();
    assert!(read[closed..].iter().all(|w| !w.closed));
    assert!(
        closed + 3 >= read.len(),
        "{closed} of {} closed",
        read.len()
    );
    for (read, truth) in read.iter().zip(&truth) {
        assert_eq!(
            WindowFigures {
                closed: true,
                ..read.clone()
            },
            *truth
        );
    }
}

#[test]
fn each_window_differs_from_the_truth_by_exactly_its_events_too_late() {
    // Events read out of order: every 7th is held back by up to 4 minutes of event time.
    let events = simulated(20_000, 11);
    let order = read_out_of_order(&events);
    let mut windows = EventTimeWindows::new(WindowRules {
        keep: 10_000,
        ..rules(90_000)
    });
    let mut late = WindowSeries::new(Duration::from_secs(60));
    let mut truth = WindowSeries::new(Duration::from_secs(60));
    let mut too_late = 0;
    for i in order {
        let event = &events[i];
        truth.record(event);
        let (kind, topic) = topic_of(event);
        if windows.record(kind, topic, 0, event, NOW) == Placement::TooLate {
            late.record(event);
            too_late += 1;
        }
    }
    assert!(too_late > 100, "{too_late} too late");
    assert_eq!(windows.too_late().values().sum::<u64>(), too_late);
    // What was read, plus what came too late, is the truth, window by window.
    let mut read = WindowSeries::new(Duration::from_secs(60));
    read.windows = windows
        .closed
        .iter()
        .map(|(start, tally)| (*start, tally.clone()))
        .chain(windows.open.iter().map(|(s, t)| (*s, t.clone())))
        .collect();
    read.merge(&late);
    let without_too_late = |figures: Vec<WindowFigures>| -> Vec<WindowFigures> {
        figures
            .into_iter()
            .map(|w| WindowFigures { too_late: 0, ..w })
            .collect()
    };
    assert_eq!(without_too_late(read.figures()), truth.figures());
    // And each window knows how many came too late for it.
    let late_per_window: BTreeMap<String, u64> = late
        .figures()
        .into_iter()
        .map(|w| (w.start, w.events))
        .collect();
    for window in windows.figures() {
        let expected = late_per_window.get(&window.start).copied().unwrap_or(0);
        assert_eq!(window.too_late, expected, "{}", window.start);
    }
}

#[test]
fn merged_splits_equal_the_whole() {
    let events = simulated(10_000, 3);
    let mut whole = WindowSeries::new(Duration::from_secs(60));
    let mut parts = [
        WindowSeries::new(Duration::from_secs(60)),
        WindowSeries::new(Duration::from_secs(60)),
        WindowSeries::new(Duration::from_secs(60)),
    ];
    for (i, event) in events.iter().enumerate() {
        whole.record(event);
        // Split by user, as partitions split by key.
        let part = event.user_id.bytes().map(usize::from).sum::<usize>() % 3;
        parts[(part + i % 2) % 3].record(event);
    }
    let mut merged = WindowSeries::new(Duration::from_secs(60));
    for part in &parts {
        merged.merge(part);
    }
    assert_eq!(merged, whole);
    assert_eq!(merged.figures(), whole.figures());
    // And a tally survives its serialized form (for saved state).
    let text = serde_json::to_string(&whole).unwrap();
    assert_eq!(serde_json::from_str::<WindowSeries>(&text).unwrap(), whole);
}

#[test]
fn a_partition_with_events_waiting_is_never_idle_and_none_is_before_reading_begins() {
    let mut windows = EventTimeWindows::new(rules(0));
    windows.watch("purchases", 0, 0);
    windows.watch("purchases", 1, 0);
    // A group takes seconds to hand out partitions: silence before the first event is not idleness.
    let later = 60_000;
    windows.record(
        TopicKind::Purchases,
        "purchases",
        0,
        &purchase(600_000, "U1", 1),
        later,
    );
    assert_eq!(windows.watermark(later), None);
    // Partition 1 is quiet, but events wait on it: it holds the watermark back.
    windows.note_lag("purchases", 1, 250);
    assert_eq!(windows.watermark(later + 10_000), None);
    // Caught up and quiet: idle, while partition 0 goes on.
    windows.note_lag("purchases", 1, 0);
    let purchase_later = purchase(601_000, "U1", 1);
    windows.record(
        TopicKind::Purchases,
        "purchases",
        0,
        &purchase_later,
        later + 10_000,
    );
    assert_eq!(windows.watermark(later + 10_000), Some(601_000));
}

/// The events of `simulated`, read in the disorder of `each_window_differs_...`: every 7th held
/// back by up to 4 minutes of event time.
fn read_out_of_order(events: &[Event<'static>]) -> Vec<usize> {
    let mut order: Vec<(i64, usize)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let delay = if i % 7 == 0 {
                (i as i64 % 5) * MINUTE
            } else {
                0
            };
            (e.timestamp.millis() + delay, i)
        })
        .collect();
    order.sort();
    order.into_iter().map(|(_, i)| i).collect()
}

/// The partition (of 3) an event's key would go to.
fn partition_of(event: &Event<'_>) -> i32 {
    (event.user_id.bytes().map(i32::from).sum::<i32>()) % 3
}

#[test]
fn per_partition_windows_merge_into_the_tallies_of_the_whole() {
    // A group keeps windows per partition (each closing on its own event time): merged, with a
    // lateness no event exceeds, they hold the same windows as one reader of everything.
    let events = simulated(10_000, 5);
    let lenient = WindowRules {
        keep: 10_000,
        ..rules(10 * MINUTE as u64)
    };
    let mut whole = EventTimeWindows::new(lenient);
    let mut parts: Vec<EventTimeWindows> = (0..3).map(|_| EventTimeWindows::new(lenient)).collect();
    for i in read_out_of_order(&events) {
        let event = &events[i];
        let (kind, topic) = topic_of(event);
        let partition = partition_of(event);
        assert_eq!(
            whole.record(kind, topic, partition, event, NOW),
            Placement::Counted
        );
        let part = &mut parts[partition as usize];
        assert_eq!(
            part.record(kind, topic, partition, event, NOW),
            Placement::Counted
        );
    }
    let mut merged = EventTimeWindows::new(lenient);
    for part in &parts {
        merged.merge(part);
    }
    let tallies = |windows: &EventTimeWindows| -> Vec<WindowFigures> {
        windows
            .figures()
            .into_iter()
            .map(|w| WindowFigures { closed: false, ..w })
            .collect()
    };
    assert!(whole.figures().len() > 10);
    assert_eq!(tallies(&merged), tallies(&whole));
    // A window is closed in the merge where every partition closed it.
    let closed_everywhere = parts.iter().map(|p| p.closed_before).min().unwrap();
    assert_eq!(merged.closed_before(), closed_everywhere);
    for window in merged.figures() {
        let start = Timestamp::parse(&window.start).unwrap().millis();
        assert_eq!(window.closed, start < closed_everywhere, "{}", window.start);
    }
}

#[test]
fn reader_threads_closed_by_the_main_thread_count_like_one_reader() {
    // Two reader threads, each with the windows of its partitions, closed by the main thread on
    // the watermark over all of them: the same too-late events and windows as one reader.
    let events = simulated(20_000, 11);
    let strict = WindowRules {
        keep: 10_000,
        ..rules(90_000)
    };
    let mut one = EventTimeWindows::new(strict);
    let mut main = EventTimeWindows::new(strict);
    let mut threads = [
        EventTimeWindows::closed_by_caller(strict),
        EventTimeWindows::closed_by_caller(strict),
    ];
    for (topic, _) in [("product-events", 0), ("purchases", 0), ("user-events", 0)] {
        for partition in 0..3 {
            one.watch(topic, partition, NOW);
            main.watch(topic, partition, NOW);
        }
    }
    let mut too_late = 0;
    for i in read_out_of_order(&events) {
        let event = &events[i];
        let (kind, topic) = topic_of(event);
        let partition = partition_of(event);
        let single = one.record(kind, topic, partition, event, NOW);
        let thread = &mut threads[(partition % 2) as usize];
        assert_eq!(thread.record(kind, topic, partition, event, NOW), single);
        too_late += u64::from(single == Placement::TooLate);
        // The main thread's tick, here after every event.
        for thread in &threads {
            main.follow(thread, NOW);
        }
        main.close(NOW);
        for thread in &mut threads {
            thread.close_before(main.closed_before());
        }
    }
    assert!(too_late > 100, "{too_late} too late");
    let mut merged = threads[0].clone();
    merged.merge(&threads[1]);
    assert_eq!(merged.figures(), one.figures());
    assert_eq!(merged.too_late(), one.too_late());
    assert_eq!(main.watermark(NOW), one.watermark(NOW));
}

#[test]
fn saved_windows_resume_where_they_were() {
    let events = simulated(10_000, 7);
    let order = read_out_of_order(&events);
    let (first, rest) = order.split_at(order.len() / 2);
    let strict = WindowRules {
        keep: 10_000,
        ..rules(90_000)
    };
    let mut straight = EventTimeWindows::new(strict);
    let mut saved = EventTimeWindows::new(strict);
    let feed = |windows: &mut EventTimeWindows, indices: &[usize]| {
        for &i in indices {
            let (kind, topic) = topic_of(&events[i]);
            windows.record(kind, topic, partition_of(&events[i]), &events[i], NOW);
        }
    };
    feed(&mut straight, first);
    feed(&mut saved, first);
    let text = serde_json::to_string(&saved).unwrap();
    let mut resumed = serde_json::from_str::<EventTimeWindows>(&text)
        .unwrap()
        .resume(strict, NOW)
        .unwrap();
    assert_eq!(resumed.figures(), straight.figures());
    feed(&mut straight, rest);
    feed(&mut resumed, rest);
    assert_eq!(resumed.figures(), straight.figures());
    assert_eq!(resumed.too_late(), straight.too_late());
    assert!(resumed.too_late().values().sum::<u64>() > 0);
    // Another width cannot go on from saved windows.
    let wider = WindowRules {
        width: Duration::from_secs(300),
        ..strict
    };
    let error = serde_json::from_str::<EventTimeWindows>(&text)
        .unwrap()
        .resume(wider, NOW)
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the saved windows are 60s wide, not 300s"
    );
}

#[test]
fn timestamps_spread_over_more_windows_than_the_bound_close_the_oldest_early() {
    let mut windows = EventTimeWindows::new(rules(0));
    windows.watch("product-events", 0, NOW);
    windows.watch("product-events", 1, NOW);
    // Partition 1 never reads: the watermark stays put, and partition 0's events open a window
    // each, a minute apart.
    let spread = MAX_OPEN_WINDOWS as i64 + 5;
    for minute in 0..spread {
        let placement = windows.record(
            TopicKind::ProductEvents,
            "product-events",
            0,
            &view(minute * MINUTE, "U1"),
            NOW,
        );
        assert_eq!(placement, Placement::Counted);
    }
    assert_eq!(windows.watermark(NOW), None);
    assert_eq!(windows.open.len(), MAX_OPEN_WINDOWS);
    assert_eq!(windows.closed_before(), 5 * MINUTE);
    // An event for a window closed early is too late, and said so.
    let placement = windows.record(
        TopicKind::ProductEvents,
        "product-events",
        1,
        &view(MINUTE, "U2"),
        NOW,
    );
    assert_eq!(placement, Placement::TooLate);
}
