//! What a member shares with the consumer's rebalance callbacks: its state behind a lock, the
//! error a callback met (it cannot return one), and the activity counts.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

use super::activity::Counters;
use super::error::ExactlyOnceError;
use super::member_state::Member;

pub(super) struct Shared {
    inner: Mutex<Member>,
    /// Set when a rebalance callback met an error that must stop the member.
    failed: AtomicBool,
    failure: Mutex<Option<ExactlyOnceError>>,
    pub(super) counters: Counters,
}

impl Shared {
    pub(super) fn new(member: Member) -> Shared {
        Shared {
            inner: Mutex::new(member),
            failed: AtomicBool::new(false),
            failure: Mutex::new(None),
            counters: Counters::default(),
        }
    }

    pub(super) fn member(&self) -> MutexGuard<'_, Member> {
        // A panic while holding the lock ends the process anyway; the data is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Raises an error met inside a rebalance callback, where it cannot be returned.
    pub(super) fn fail(&self, error: ExactlyOnceError) {
        if let Ok(mut failure) = self.failure.lock()
            && failure.is_none()
        {
            *failure = Some(error);
        }
        self.failed.store(true, Ordering::Release);
    }

    /// The error a rebalance callback raised, once.
    pub(super) fn check(&self) -> Result<(), ExactlyOnceError> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.failure.lock().ok().and_then(|mut f| f.take()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}
