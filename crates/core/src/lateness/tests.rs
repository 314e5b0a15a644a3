use super::*;
use crate::simulator::{Quota, Quotas, Simulator};

/// Runs a seeded launcher's events through a holdback: (sent order of event ids, their
/// timestamps as sent, the clock when each was sent, how many were held).
fn run(fraction: f64, seed: u64) -> (Vec<uuid::Uuid>, Vec<i64>, Vec<i64>, usize) {
    let catalog = crate::catalog::shipped();
    let quotas = Quotas {
        product_events: Quota::Exactly(10_000),
        purchases: Quota::Exactly(2_000),
        user_events: Quota::Exactly(5_000),
    };
    let mut simulator = Simulator::new(&catalog, Some(seed), quotas).unwrap();
    let mut holdback = Holdback::new(fraction, Duration::from_secs(10), Some(seed)).unwrap();
    let (mut ids, mut stamps, mut clocks, mut held) = (Vec::new(), Vec::new(), Vec::new(), 0);
    let mut clock = 0;
    while let Some(event) = simulator.next_event() {
        clock = event.timestamp.millis();
        if holdback.hold(&event) {
            held += 1;
        } else {
            ids.push(event.event_id);
            stamps.push(clock);
            clocks.push(clock);
        }
        while let Some(late) = holdback.due(clock) {
            ids.push(late.event_id);
            stamps.push(late.timestamp.millis());
            clocks.push(clock);
        }
    }
    while let Some(late) = holdback.next_remaining() {
        ids.push(late.event_id);
        stamps.push(late.timestamp.millis());
        clocks.push(clock);
    }
    (ids, stamps, clocks, held)
}

#[test]
fn a_share_of_events_comes_late_by_at_most_the_delay_and_none_is_lost() {
    let (ids, stamps, clocks, held) = run(0.05, 9);
    assert_eq!(ids.len(), 17_000);
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), 17_000, "every event once");
    // About 5% held, and so many out of event order.
    assert!((700..=1000).contains(&held), "{held} held");
    let late = stamps.windows(2).filter(|w| w[1] < w[0]).count();
    assert!(late >= held / 2, "{late} out of order");
    // A late event goes out once the clock is past its time, by at most the delay plus one
    // step of the simulated clock (under 1.5 s).
    for (stamp, clock) in stamps.iter().zip(&clocks).take(ids.len() - 5) {
        assert!(clock - stamp <= 10_000 + 1_500, "{clock} - {stamp}");
    }
}

#[test]
fn the_same_seed_holds_the_same_events_and_no_fraction_holds_none() {
    assert_eq!(run(0.05, 4), run(0.05, 4));
    let (ids, stamps, _, held) = run(0.0, 4);
    assert_eq!(held, 0);
    assert_eq!(ids.len(), 17_000);
    assert!(stamps.windows(2).all(|w| w[0] <= w[1]));
    // The simulator's events are the same with or without holding back.
    let (with, _, _, _) = run(0.05, 4);
    let sorted = |mut ids: Vec<uuid::Uuid>| {
        ids.sort();
        ids
    };
    assert_eq!(sorted(with), sorted(ids));
}

#[test]
fn a_fraction_outside_0_to_1_or_no_delay_is_refused() {
    assert!(Holdback::new(1.5, Duration::from_secs(1), None).is_err());
    assert!(Holdback::new(-0.1, Duration::from_secs(1), None).is_err());
    assert!(Holdback::new(f64::NAN, Duration::from_secs(1), None).is_err());
    assert!(Holdback::new(0.1, Duration::ZERO, None).is_err());
}
