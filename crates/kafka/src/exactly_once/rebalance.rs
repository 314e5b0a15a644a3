//! The member as the consumer's rebalance hook: restore on assignment; commit, then release, on
//! revocation; a lost partition (the group moved on) is dropped uncommitted.

use rdkafka::consumer::BaseConsumer;
use rdkafka::topic_partition_list::TopicPartitionList;

use super::commit::CommitOutcome;
use super::member_state::Member;
use super::shared::Shared;
use crate::group_consumer::{EventConsumerContext, RebalanceHook};

impl RebalanceHook for Shared {
    fn assign(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        partitions: &mut TopicPartitionList,
    ) {
        let mut member = self.member();
        match member.restore(consumer, partitions) {
            Ok(restored) => self.counters.restored(restored),
            Err(error) => self.fail(error),
        }
    }

    fn revoke(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        partitions: &TopicPartitionList,
        lost: bool,
    ) {
        let mut member = self.member();
        let keep = if lost {
            tracing::warn!(
                "the group gave this instance's partitions to others while it was out of touch \
                 (fenced): its uncommitted counts are dropped; the new owners go on from the last \
                 commit"
            );
            false
        } else {
            self.commit_before_release(&mut member, consumer)
        };
        member.release(partitions, keep);
    }
}

impl Shared {
    /// Commits what the revoked partitions counted; says whether that worked, so their engines
    /// can be kept for a quick return.
    fn commit_before_release(
        &self,
        member: &mut Member,
        consumer: &BaseConsumer<EventConsumerContext>,
    ) -> bool {
        match member.commit_counted(consumer, &self.counters) {
            Ok(CommitOutcome::Committed) => true,
            Ok(CommitOutcome::Aborted(reason) | CommitOutcome::ProducerLost(reason)) => {
                tracing::warn!("{reason}; the partitions are handed over from the last commit");
                if let Err(error) = member.replace_producer_if_lost() {
                    self.fail(error);
                }
                false
            }
            Err(error) => {
                self.fail(error);
                false
            }
        }
    }
}

impl Member {
    /// Takes revoked partitions away; `keep` their engines for a quick return when they were
    /// committed just now.
    fn release(&mut self, partitions: &TopicPartitionList, keep: bool) {
        self.released.clear();
        for element in partitions.elements() {
            let (topic, partition) = (element.topic(), element.partition());
            if let Some(owned) = self.owned.take(topic, partition)
                && keep
            {
                self.released.insert((topic.to_string(), partition), owned);
            }
        }
    }
}
