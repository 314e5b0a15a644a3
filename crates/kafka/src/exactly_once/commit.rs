//! Committing: the changes of every partition touched since the last commit and the offsets they
//! cover, in ONE transaction; what its result comes to (the one place it is sorted and
//! counted); and the roll-back to the last commit after an abort.

use std::time::Instant;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use shopstream_core::group_state::{PartitionKey, Position};

use super::activity::Counters;
use super::changelog::{ChangelogWriter, Written};
use super::error::ExactlyOnceError;
use super::member_state::Member;
use super::transactor::CommitFailure;
use crate::group_consumer::EventConsumerContext;

/// What a commit came to; a failure that must stop the member is an error instead.
pub(super) enum CommitOutcome {
    /// Committed, or there was nothing to commit.
    Committed,
    /// Aborted: nothing of it is visible; the state must go back to the last committed one.
    Aborted(String),
    /// Aborted, and the producer can do no more: a new one is needed.
    ProducerLost(String),
}

impl Member {
    /// Commits and counts what that came to (a commit, an abort).
    pub(super) fn commit_counted(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
        counters: &Counters,
    ) -> Result<CommitOutcome, ExactlyOnceError> {
        match self.commit(consumer) {
            Ok(committed) => {
                if committed {
                    counters.committed();
                }
                Ok(CommitOutcome::Committed)
            }
            Err(CommitFailure::Fatal(error)) => Err(error),
            Err(CommitFailure::Aborted(reason)) => {
                counters.aborted();
                Ok(CommitOutcome::Aborted(reason))
            }
            Err(CommitFailure::ProducerLost(reason)) => {
                counters.aborted();
                Ok(CommitOutcome::ProducerLost(reason))
            }
        }
    }

    /// Commits; after an aborted transaction, goes back to the last committed state of every
    /// owned partition (and reads on from there).
    pub(super) fn commit_or_roll_back(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
        counters: &Counters,
    ) -> Result<(), ExactlyOnceError> {
        match self.commit_counted(consumer, counters)? {
            CommitOutcome::Committed => return Ok(()),
            CommitOutcome::Aborted(reason) => {
                tracing::warn!("{reason}; going back to the last commit");
            }
            CommitOutcome::ProducerLost(reason) => {
                tracing::warn!(
                    "{reason}; starting a new producer and going back to the last commit"
                );
                self.replace_producer()?;
            }
        }
        let restored = self.roll_back(consumer)?;
        counters.restored(restored);
        Ok(())
    }

    /// One transaction: the changes of every dirty partition and the offsets they cover.
    /// Returns whether there was anything to commit.
    fn commit(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
    ) -> Result<bool, CommitFailure> {
        self.uncommitted = 0;
        self.last_commit = Instant::now();
        if !self.owned.iter().any(|(_, _, owned)| owned.dirty) {
            return Ok(false);
        }
        let group = consumer
            .group_metadata()
            .ok_or(CommitFailure::Fatal(ExactlyOnceError::NoGroupMetadata))?;
        let started = Instant::now();
        self.transactor.begin()?;
        let (offsets, written) = match self.write_dirty() {
            Ok(written) => written,
            Err(failure) => {
                if let CommitFailure::Fatal(_) = failure {
                    self.transactor.abort_quietly();
                }
                return Err(failure);
            }
        };
        self.transactor.commit(&offsets, group)?;
        tracing::debug!(
            "committed {} state records, {} bytes (largest {}) for {} partitions in {:?}",
            written.records,
            written.bytes,
            written.largest,
            written.partitions,
            started.elapsed()
        );
        self.fresh_starts.clear();
        self.owned.mark_committed();
        Ok(true)
    }

    /// Writes the changelog records of every dirty partition into the open transaction; returns
    /// the offsets they cover and what was written.
    fn write_dirty(&mut self) -> Result<(TopicPartitionList, Written), CommitFailure> {
        let written_at_ms = shopstream_core::Timestamp::now().millis();
        let mut offsets = TopicPartitionList::new();
        let mut writer = ChangelogWriter::new(&self.transactor, self.reader.state_partitions());
        for (topic, partition, owned) in self.owned.iter_mut().filter(|(_, _, o)| o.dirty) {
            let key = PartitionKey::new(&self.config.group, topic, partition);
            let position = Position::new(owned.next_offset, &self.instance, written_at_ms);
            writer.partition(&key, owned, &position)?;
            offsets
                .add_partition_offset(topic, partition, Offset::Offset(owned.next_offset))
                .map_err(|e| CommitFailure::Aborted(e.to_string()))?;
        }
        Ok((offsets, writer.written))
    }

    /// Drops every owned partition's uncommitted counts: restores its last committed state and
    /// moves the consumer back to the offset that state covers. Returns how many were restored.
    fn roll_back(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
    ) -> Result<u64, ExactlyOnceError> {
        let mut partitions = TopicPartitionList::new();
        for (topic, partition) in self.owned.list() {
            partitions.add_partition(&topic, partition);
        }
        self.owned.clear();
        self.released.clear();
        let restored = self.restore(consumer, &mut partitions)?;
        // Reading on from anywhere else would skip or repeat events: stop rather than guess.
        let sought = consumer
            .seek_partitions(partitions, self.config.timeout)
            .map_err(ExactlyOnceError::Seek)?;
        if let Some(error) = sought.elements().iter().find_map(|e| e.error().err()) {
            return Err(ExactlyOnceError::Seek(error));
        }
        Ok(restored)
    }
}
