//! Counts of what a member did: commits, aborts and restores.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of what the member did, for its last words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub commits: u64,
    /// Transactions aborted and rolled back (fenced, or the broker refused them).
    pub aborts: u64,
    /// Partitions restored from the state topic (on assignment or after an abort).
    pub restored: u64,
}

/// The counts as they grow, shared with the rebalance callbacks.
#[derive(Debug, Default)]
pub(super) struct Counters {
    commits: AtomicU64,
    aborts: AtomicU64,
    restored: AtomicU64,
}

impl Counters {
    pub(super) fn committed(&self) {
        self.commits.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn aborted(&self) {
        self.aborts.fetch_add(1, Ordering::Relaxed);
    }

    pub(super) fn restored(&self, partitions: u64) {
        self.restored.fetch_add(partitions, Ordering::Relaxed);
    }

    pub(super) fn activity(&self) -> Activity {
        Activity {
            commits: self.commits.load(Ordering::Relaxed),
            aborts: self.aborts.load(Ordering::Relaxed),
            restored: self.restored.load(Ordering::Relaxed),
        }
    }
}

#[cfg(test)]
mod tests;
