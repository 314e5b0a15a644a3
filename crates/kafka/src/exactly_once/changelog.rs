//! A commit's records: for each partition it touched, the entries its engine changed since the
//! last commit (tombstones for entries gone), then its position, all to the one state partition
//! of that input partition (see `group_state::PartitionKey::state_partition`), into the open
//! transaction. Never the whole state: a record is one entry, far below the broker's limit.

use shopstream_core::group_state::{PartitionKey, Position, encode_entry_into};

use super::error::ExactlyOnceError;
use super::owned::Owned;
use super::transactor::{CommitFailure, Transactor};

/// What a commit wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Written {
    pub(super) partitions: usize,
    pub(super) records: usize,
    /// Keys and values, before compression.
    pub(super) bytes: usize,
    /// The largest record (key and value).
    pub(super) largest: usize,
}

/// Writes partitions' changelog records into a transaction begun on `transactor`.
pub(super) struct ChangelogWriter<'a> {
    transactor: &'a Transactor,
    /// Partitions of the state topic.
    state_partitions: i32,
    key: Vec<u8>,
    value: Vec<u8>,
    pub(super) written: Written,
}

impl<'a> ChangelogWriter<'a> {
    pub(super) fn new(transactor: &'a Transactor, state_partitions: i32) -> ChangelogWriter<'a> {
        ChangelogWriter {
            transactor,
            state_partitions,
            key: Vec::new(),
            value: Vec::new(),
            written: Written::default(),
        }
    }

    /// One partition's records: tombstones of the stale entries, the changed entries, then the
    /// position (last: a reader that has it has every entry committed with it).
    pub(super) fn partition(
        &mut self,
        key: &PartitionKey,
        owned: &mut Owned,
        position: &Position,
    ) -> Result<(), CommitFailure> {
        let state_partition = key.state_partition(self.state_partitions);
        for stale in std::mem::take(&mut owned.stale) {
            self.key = key.entry_key(&stale);
            self.send(state_partition, false)?;
        }
        let changes = owned
            .engine
            .take_changes()
            .map_err(|e| CommitFailure::Fatal(ExactlyOnceError::Entries(e)))?;
        for entry in changes {
            self.key = key.entry_key(&entry.key);
            if let Some(json) = &entry.value {
                encode_entry_into(json, &mut self.value);
            }
            self.send(state_partition, entry.value.is_some())?;
        }
        self.key = key.encode();
        position
            .encode_into(&mut self.value)
            .map_err(|e| CommitFailure::Fatal(ExactlyOnceError::Producer(e.to_string())))?;
        self.send(state_partition, true)?;
        self.written.partitions += 1;
        Ok(())
    }

    /// Writes the key buffer with the value buffer (or none: a tombstone).
    fn send(&mut self, state_partition: i32, with_value: bool) -> Result<(), CommitFailure> {
        let value = with_value.then_some(self.value.as_slice());
        self.transactor.write(state_partition, &self.key, value)?;
        let size = self.key.len() + value.map_or(0, <[u8]>::len);
        self.written.records += 1;
        self.written.bytes += size;
        self.written.largest = self.written.largest.max(size);
        Ok(())
    }
}
