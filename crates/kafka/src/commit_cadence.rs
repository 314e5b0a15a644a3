//! When a reader commits (or saves) what it has counted: after `every` messages, or once the
//! last commit is `longest_wait` old, whichever comes first. The rule alone, with no clock: the
//! caller says how much is unsaved and how long ago it last committed.

use std::time::Duration;

/// The longest counted messages wait for their commit: a second.
pub const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// "N messages or one second".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitCadence {
    /// Commit after this many messages (--commit-every).
    pub every: u64,
    /// And at least this often.
    pub longest_wait: Duration,
}

impl CommitCadence {
    /// Every `every` messages, and at least every second.
    pub fn new(every: u64) -> CommitCadence {
        CommitCadence {
            every,
            longest_wait: LONGEST_WAIT,
        }
    }

    /// After a message: whether to commit, with `unsaved` messages counted since the last commit,
    /// made `since_last` ago.
    pub fn due(&self, unsaved: u64, since_last: Duration) -> bool {
        unsaved >= self.every || self.overdue(since_last)
    }

    /// Between messages: whether the last commit, made `since_last` ago, is too old.
    pub fn overdue(&self, since_last: Duration) -> bool {
        since_last >= self.longest_wait
    }
}

#[cfg(test)]
mod tests;
