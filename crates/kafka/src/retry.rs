//! Asking Kafka again: the one retry loop of the crate. A [`Schedule`] says how long to pause
//! between attempts and what ends the trying (a deadline, or a number of attempts); [`run`] (or
//! [`run_async`] inside a tokio runtime) calls an attempt until it succeeds, fails for good
//! ([`Retry::Stop`]), or the schedule allows no more: then the last error is returned as it is.
//!
//! ```
//! use std::time::Duration;
//! use shopstream_kafka::retry::{self, Retry, Schedule};
//!
//! // An answer that comes on the third try; a refusal would be `Retry::Stop`.
//! let mut asked = 0;
//! let answer: Result<&str, &str> = retry::run(
//!     Schedule::attempts(5).pausing(Duration::from_millis(1)),
//!     |_attempt| {
//!         asked += 1;
//!         if asked < 3 { Err(Retry::Again("not yet")) } else { Ok("partitions") }
//!     },
//!     |error| eprintln!("{error}; asking again"),
//! );
//! assert_eq!((answer, asked), (Ok("partitions"), 3));
//! ```

use std::time::{Duration, Instant};

/// How one failed attempt ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retry<E> {
    /// Worth another attempt, if the schedule allows one; otherwise this error is the answer.
    Again(E),
    /// No attempt will mend it: this error is the answer now.
    Stop(E),
}

/// `?` on an error inside an attempt stops the trying.
impl<E> From<E> for Retry<E> {
    fn from(error: E) -> Retry<E> {
        Retry::Stop(error)
    }
}

/// What an attempt is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// 0 for the first attempt.
    pub number: u32,
    /// Time left before the schedule's deadline (`Duration::MAX` for a schedule without one).
    pub left: Duration,
}

impl Attempt {
    pub fn is_first(&self) -> bool {
        self.number == 0
    }
}

/// What ends the trying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// Another attempt while the deadline has not passed; the last pause may end after it.
    Passed(Instant),
    /// Another attempt only when the pause before it ends before the deadline.
    PauseBefore(Instant),
    /// At most this many attempts in all.
    Attempts(u32),
}

/// When to try again: see [`Schedule::until`], [`Schedule::within`], [`Schedule::attempts`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    end: End,
    pause: Duration,
}

impl Schedule {
    /// Tries again while `deadline` has not passed (the last pause may run past it, so one
    /// attempt may start after it). No pause until [`Schedule::pausing`] sets one.
    pub fn until(deadline: Instant) -> Schedule {
        Schedule {
            end: End::Passed(deadline),
            pause: Duration::ZERO,
        }
    }

    /// Tries again only when the pause before the next attempt ends before `deadline`: no attempt
    /// starts after it.
    pub fn within(deadline: Instant) -> Schedule {
        Schedule {
            end: End::PauseBefore(deadline),
            pause: Duration::ZERO,
        }
    }

    /// At most `attempts` attempts in all (at least one is always made).
    pub fn attempts(attempts: u32) -> Schedule {
        Schedule {
            end: End::Attempts(attempts),
            pause: Duration::ZERO,
        }
    }

    /// Sleeps `pause` between attempts.
    pub fn pausing(self, pause: Duration) -> Schedule {
        Schedule { pause, ..self }
    }

    /// Whether another attempt may follow `made` attempts, at `now`.
    pub fn allows_another(&self, made: u32, now: Instant) -> bool {
        match self.end {
            End::Passed(deadline) => now < deadline,
            End::PauseBefore(deadline) => now + self.pause < deadline,
            End::Attempts(attempts) => made < attempts,
        }
    }

    /// The attempt numbered `number`, made at `now`.
    fn attempt(&self, number: u32, now: Instant) -> Attempt {
        let left = match self.end {
            End::Passed(deadline) | End::PauseBefore(deadline) => {
                deadline.saturating_duration_since(now)
            }
            End::Attempts(_) => Duration::MAX,
        };
        Attempt { number, left }
    }
}

/// Calls `attempt` until it succeeds, stops, or `schedule` allows no more attempts; returns its
/// answer or its last error. `before_retry` sees each error that is tried again (to log it).
pub fn run<T, E>(
    schedule: Schedule,
    mut attempt: impl FnMut(Attempt) -> Result<T, Retry<E>>,
    mut before_retry: impl FnMut(&E),
) -> Result<T, E> {
    let mut number = 0;
    loop {
        let error = match attempt(schedule.attempt(number, Instant::now())) {
            Ok(answer) => return Ok(answer),
            Err(Retry::Stop(error)) => return Err(error),
            Err(Retry::Again(error)) => error,
        };
        number += 1;
        if !schedule.allows_another(number, Instant::now()) {
            return Err(error);
        }
        before_retry(&error);
        if !schedule.pause.is_zero() {
            std::thread::sleep(schedule.pause);
        }
    }
}

/// [`run`] for attempts that are futures, pausing with tokio's timer.
pub async fn run_async<T, E>(
    schedule: Schedule,
    mut attempt: impl AsyncFnMut(Attempt) -> Result<T, Retry<E>>,
    mut before_retry: impl FnMut(&E),
) -> Result<T, E> {
    let mut number = 0;
    loop {
        let error = match attempt(schedule.attempt(number, Instant::now())).await {
            Ok(answer) => return Ok(answer),
            Err(Retry::Stop(error)) => return Err(error),
            Err(Retry::Again(error)) => error,
        };
        number += 1;
        if !schedule.allows_another(number, Instant::now()) {
            return Err(error);
        }
        before_retry(&error);
        if !schedule.pause.is_zero() {
            tokio::time::sleep(schedule.pause).await;
        }
    }
}

/// For attempts that log nothing when they are tried again.
pub fn quietly<E>(_: &E) {}

#[cfg(test)]
mod tests;
