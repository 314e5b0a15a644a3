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
mod tests;
