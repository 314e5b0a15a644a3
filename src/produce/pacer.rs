//! When each event goes out: at a fixed rate, or by event time (history first, then live).

use std::time::{Duration, Instant};

/// When each event goes out.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Pacer {
    /// One event every `interval` (None: as fast as the broker takes them), from the start.
    Rate { interval: Option<Duration> },
    /// By event time: events before `live_from` (ms, the end of --backfill) as fast as the
    /// broker takes them, then each when the wall clock reaches its timestamp, `scale` times
    /// faster, with `ceiling` (from --rate) as the shortest interval.
    EventTime {
        live_from: i64,
        scale: f64,
        ceiling: Option<Duration>,
        /// When the live part began, and the events sent since.
        live: Option<(Instant, u64)>,
    },
}

impl Pacer {
    /// When to send an event of event time `at` (ms), the `sent`-th of the run; None: now.
    /// Starts the live part with the first event past the history, at `now()`: the clock is read
    /// that once, not per event.
    pub(super) fn slot(
        &mut self,
        at: i64,
        started: Instant,
        sent: u64,
        now: impl FnOnce() -> Instant,
    ) -> Option<Instant> {
        match self {
            Pacer::Rate { interval } => {
                interval.map(|interval| started + interval.mul_f64(sent as f64))
            }
            Pacer::EventTime {
                live_from,
                scale,
                ceiling,
                live,
            } => {
                if at < *live_from && live.is_none() {
                    return None;
                }
                let (since, count) = live.get_or_insert_with(|| (now(), 0));
                *count += 1;
                let ahead =
                    Duration::from_secs_f64((at - *live_from).max(0) as f64 / 1000.0 / *scale);
                let by_clock = *since + ahead;
                Some(match ceiling {
                    Some(interval) => by_clock.max(*since + interval.mul_f64(*count as f64)),
                    None => by_clock,
                })
            }
        }
    }

    /// When --duration starts counting: at once, or once the history is written.
    pub(super) fn live_since(&self, started: Instant) -> Option<Instant> {
        match self {
            Pacer::Rate { .. } => Some(started),
            Pacer::EventTime { live, .. } => live.map(|(since, _)| since),
        }
    }
}

#[cfg(test)]
mod tests;
