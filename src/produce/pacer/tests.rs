//! The pacing as a computed schedule: a fixed instant stands for the clock, nothing waits.

use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

#[test]
fn a_rate_spaces_events_evenly_from_the_start() {
    let started = Instant::now();
    let mut pacer = Pacer::Rate {
        interval: Some(ms(10)),
    };
    let clock_read = || panic!("a rate needs no clock");
    assert_eq!(pacer.slot(0, started, 0, clock_read), Some(started));
    assert_eq!(
        pacer.slot(0, started, 1, clock_read),
        Some(started + ms(10))
    );
    assert_eq!(
        pacer.slot(0, started, 250, clock_read),
        Some(started + ms(2500))
    );
    assert_eq!(pacer.live_since(started), Some(started));
}

#[test]
fn no_interval_sends_at_once() {
    let started = Instant::now();
    let mut pacer = Pacer::Rate { interval: None };
    assert_eq!(pacer.slot(0, started, 99, Instant::now), None);
}

#[test]
fn history_goes_at_once_and_live_events_follow_their_timestamps() {
    let started = Instant::now();
    let live_at = started + ms(5000);
    let mut pacer = Pacer::EventTime {
        live_from: 1_000_000,
        scale: 1.0,
        ceiling: None,
        live: None,
    };
    // Before the end of the history: now, and --duration does not count yet.
    assert_eq!(
        pacer.slot(999_000, started, 0, || panic!("not live yet")),
        None
    );
    assert_eq!(pacer.live_since(started), None);
    // The first live event starts the live part at the clock's reading.
    assert_eq!(pacer.slot(1_000_000, started, 1, || live_at), Some(live_at));
    assert_eq!(pacer.live_since(started), Some(live_at));
    // Later ones by their event time; the clock is not read again.
    let no_clock = || panic!("read once");
    assert_eq!(
        pacer.slot(1_000_250, started, 2, no_clock),
        Some(live_at + ms(250))
    );
    assert_eq!(
        pacer.slot(1_003_000, started, 3, no_clock),
        Some(live_at + ms(3000))
    );
    // Once live, an event older than the history's end (held back) goes at the start of live.
    assert_eq!(pacer.slot(999_999, started, 4, no_clock), Some(live_at));
}

#[test]
fn a_time_scale_shortens_the_waits() {
    let started = Instant::now();
    let mut pacer = Pacer::EventTime {
        live_from: 0,
        scale: 144.0,
        ceiling: None,
        live: None,
    };
    assert_eq!(pacer.slot(0, started, 0, || started), Some(started));
    // A day of event time in ten minutes.
    assert_eq!(
        pacer.slot(86_400_000, started, 1, Instant::now),
        Some(started + Duration::from_secs(600))
    );
}

#[test]
fn a_rate_ceiling_holds_back_a_burst_of_event_time() {
    let started = Instant::now();
    let mut pacer = Pacer::EventTime {
        live_from: 0,
        scale: 1.0,
        ceiling: Some(ms(100)),
        live: None,
    };
    // Every event at the same event time: the ceiling spaces them, counting from the live start.
    assert_eq!(
        pacer.slot(0, started, 0, || started),
        Some(started + ms(100))
    );
    assert_eq!(
        pacer.slot(0, started, 1, Instant::now),
        Some(started + ms(200))
    );
    assert_eq!(
        pacer.slot(0, started, 2, Instant::now),
        Some(started + ms(300))
    );
    // An event far enough ahead in event time waits for its time, not the ceiling.
    assert_eq!(
        pacer.slot(10_000, started, 3, Instant::now),
        Some(started + ms(10_000))
    );
}
