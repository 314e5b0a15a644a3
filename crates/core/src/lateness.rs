//! Disorder on purpose: a share of the events is held back and sent later, once the event clock
//! has moved on by a random delay, with its timestamp unchanged, so that arrival order and event
//! order differ (as with phones that come back online). Deterministic for a seed.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::event::Event;

/// Mixed into a run's seed, so that holding back draws from a stream of its own and the
/// simulator's events stay the same with or without it.
const SEED_SALT: u64 = 0x4c41_5445_2d45_5645;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LatenessError {
    #[error("the share of late events must be from 0 to 1, not {0}")]
    Fraction(f64),
    #[error("the largest delay must be at least a millisecond")]
    Delay,
}

/// The events held back, each until the event clock reaches its release time.
pub struct Holdback {
    fraction: f64,
    /// The largest delay, in ms of event time.
    max_delay: i64,
    rng: ChaCha8Rng,
    /// By release time (ms since the epoch), then by order of arrival.
    held: BTreeMap<(i64, u64), Event<'static>>,
    arrivals: u64,
}

impl Holdback {
    /// Holds back `fraction` of the events (0 to 1), each for up to `max_delay` of event time;
    /// with a `seed`, the same events are held for the same delays on every run.
    pub fn new(
        fraction: f64,
        max_delay: Duration,
        seed: Option<u64>,
    ) -> Result<Holdback, LatenessError> {
        if !(0.0..=1.0).contains(&fraction) {
            return Err(LatenessError::Fraction(fraction));
        }
        let max_delay = i64::try_from(max_delay.as_millis()).unwrap_or(i64::MAX);
        if max_delay < 1 {
            return Err(LatenessError::Delay);
        }
        Ok(Holdback {
            fraction,
            max_delay,
            rng: match seed {
                Some(seed) => ChaCha8Rng::seed_from_u64(seed ^ SEED_SALT),
                None => ChaCha8Rng::from_os_rng(),
            },
            held: BTreeMap::new(),
            arrivals: 0,
        })
    }

    /// Whether `event` is held back; if so it is kept, to come out of [`Holdback::due`] later.
    pub fn hold(&mut self, event: &Event<'_>) -> bool {
        if self.fraction == 0.0 || !self.rng.random_bool(self.fraction) {
            return false;
        }
        let delay = self.rng.random_range(1..=self.max_delay);
        let release = event.timestamp.millis().saturating_add(delay);
        self.held
            .insert((release, self.arrivals), event.clone().into_owned());
        self.arrivals += 1;
        true
    }

    /// The next held event whose release time the event clock, now at `clock` (ms since the
    /// epoch), has reached; in order of release.
    pub fn due(&mut self, clock: i64) -> Option<Event<'static>> {
        let entry = self.held.first_entry()?;
        if entry.key().0 > clock {
            return None;
        }
        Some(entry.remove())
    }

    /// The next of the events still held, whatever the clock (at the end of a run).
    pub fn next_remaining(&mut self) -> Option<Event<'static>> {
        self.held.pop_first().map(|(_, event)| event)
    }

    /// How many events are held now.
    pub fn len(&self) -> usize {
        self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.held.is_empty()
    }
}

#[cfg(test)]
mod tests {
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
}
