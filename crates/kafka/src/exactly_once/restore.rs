//! Restoring partitions: on assignment (and after an abort) each partition gets its last
//! committed state: its changelog on the state topic replayed up to the position that matches
//! the group's committed offset; or it starts fresh when the group never committed it.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use shopstream_core::metrics::MetricsEngine;

use super::error::ExactlyOnceError;
use super::member_state::Member;
use super::owned::Owned;
use super::state_reader::max_keys;
use crate::client::client_config;
use crate::group_consumer::EventConsumerContext;
use crate::retry::{self, Attempt, Retry, Schedule};

/// How long a restore waits for a partition's committed state to show on the state topic. A
/// crashed instance's open transaction holds it back until the broker aborts it
/// (transaction.timeout.ms, 10 s).
const RESTORE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long the state topic is read for at a time while a restore waits for a state.
const STATE_POLL: Duration = Duration::from_millis(50);

impl Member {
    /// Gives each partition of `partitions` its last committed state and sets its start offset
    /// to the one that state covers. Returns how many were restored from the state topic.
    pub(super) fn restore(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
        partitions: &mut TopicPartitionList,
    ) -> Result<u64, ExactlyOnceError> {
        if partitions.count() == 0 {
            self.released.clear();
            return Ok(0);
        }
        // One deadline for the whole restore: it runs inside the rebalance callback, and the
        // group gives up on a member that does not poll for max.poll.interval.ms (5 min).
        let deadline = Instant::now() + RESTORE_TIMEOUT;
        let mut restored = 0;
        for (topic, partition, committed) in committed_offsets(consumer, partitions, deadline)? {
            let state = match committed {
                Offset::Offset(offset) => match self.released.remove(&(topic.clone(), partition)) {
                    Some(owned) if owned.next_offset == offset => owned,
                    _ => {
                        restored += 1;
                        self.committed_state(&topic, partition, offset, deadline)?
                    }
                },
                _ => self.fresh_state(consumer, &topic, partition, deadline)?,
            };
            let Owned {
                engine,
                next_offset,
                stale,
                ..
            } = state;
            let engine = self.with_windows(engine, &topic, partition)?;
            partitions
                .set_partition_offset(&topic, partition, Offset::Offset(next_offset))
                .map_err(ExactlyOnceError::Offsets)?;
            // Dirty: the next commit records that this member owns it now.
            let owned = Owned {
                stale,
                ..Owned::new(engine, next_offset)
            };
            self.owned.insert(&topic, partition, owned);
        }
        self.released.clear();
        tracing::debug!(
            "restored {restored} partition states; owning {:?}",
            self.owned.list()
        );
        Ok(restored)
    }

    /// The state committed with the group's offset `offset`: the partition's changelog read
    /// from the state topic up to that position. Its engine tracks its changes from there.
    fn committed_state(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        deadline: Instant,
    ) -> Result<Owned, ExactlyOnceError> {
        // No pause: reading the state topic is the wait.
        retry::run(
            Schedule::until(deadline),
            |attempt| {
                if !attempt.is_first() {
                    self.reader.poll(STATE_POLL)?;
                }
                let state = self.reader.states().get(topic, partition);
                match state.and_then(|state| Some((state, state.committed()?.next_offset))) {
                    Some((state, next_offset)) if next_offset >= offset => {
                        if next_offset > offset {
                            // Offsets moved back by hand (kafka-consumer-groups
                            // --reset-offsets): the state decides, so that no event is counted
                            // twice.
                            tracing::warn!(
                                "{topic}/{partition}: the group's offset {offset} is behind its \
                                 state's {next_offset}; reading on from the state's"
                            );
                        }
                        let mut engine = state.engine.clone();
                        engine.track_changes();
                        // After tracking: products over a lower bound leave as removals.
                        engine.set_max_keys(max_keys(&self.settings));
                        Ok(Owned::new(engine, next_offset))
                    }
                    _ => Err(Retry::Again(ExactlyOnceError::StateMissing {
                        topic: topic.to_string(),
                        partition,
                        offset,
                        state_topic: self.config.state_topic.clone(),
                        waited: RESTORE_TIMEOUT,
                    })),
                }
            },
            retry::quietly,
        )
    }

    /// A partition the group has never committed: an empty state from its first offset (or its
    /// end, without --from-beginning), made concrete now so the first commit records it.
    fn fresh_state(
        &mut self,
        consumer: &BaseConsumer<EventConsumerContext>,
        topic: &str,
        partition: i32,
        deadline: Instant,
    ) -> Result<Owned, ExactlyOnceError> {
        self.reader.poll(Duration::ZERO)?;
        // Its engine does not track changes: its first commit writes every entry, after
        // tombstones for the entries an earlier state left.
        let mut stale = Vec::new();
        if let Some(state) = self.reader.states().get(topic, partition) {
            tracing::warn!(
                "{topic}/{partition}: the group has no committed offset, yet {} holds a state at \
                 offset {} (the group's offsets expired, or the topic was recreated): starting over",
                self.config.state_topic,
                state.position.as_ref().map_or(-1, |p| p.next_offset)
            );
            stale = state.engine.entries()?.into_iter().map(|e| e.key).collect();
        }
        let max_keys = max_keys(&self.settings);
        let fresh = |start| Owned {
            stale,
            ..Owned::new(MetricsEngine::with_max_keys(max_keys), start)
        };
        // Once chosen, a fresh partition's start stays until a commit records it: choosing a
        // newer end after an aborted first commit would skip the events in between.
        if let Some(&start) = self.fresh_starts.get(&(topic.to_string(), partition)) {
            return Ok(fresh(start));
        }
        // A partition's new leader answers OffsetNotAvailable until its high watermark has
        // caught up after a failover. The member's own client has also been seen to answer
        // UnknownPartition for a minute after a node's crash, while the partition had a leader
        // again: every other attempt asks through a client of its own, with fresh metadata.
        let (low, high) = ask_until(deadline, "the partition's offsets", |attempt| {
            let timeout = attempt.left.min(self.config.timeout);
            if attempt.number % 2 == 0 {
                return consumer.fetch_watermarks(topic, partition, timeout);
            }
            let fresh: BaseConsumer = client_config(&self.settings, "shopstream-metrics-offsets")
                .set("group.id", &self.config.group)
                .create()?;
            fresh.fetch_watermarks(topic, partition, timeout)
        })
        .map_err(ExactlyOnceError::Offsets)?;
        let start = if self.config.from_beginning {
            low
        } else {
            high
        };
        self.fresh_starts
            .insert((topic.to_string(), partition), start);
        Ok(fresh(start))
    }
}

/// The group's committed offset of each of `partitions` (topic, partition, offset).
fn committed_offsets(
    consumer: &BaseConsumer<EventConsumerContext>,
    partitions: &TopicPartitionList,
    deadline: Instant,
) -> Result<Vec<(String, i32, Offset)>, ExactlyOnceError> {
    // With isolation.level=read_committed librdkafka asks for stable offsets: this waits for
    // any transaction still open on them to end, so each offset is one a commit completed. A
    // crashed member's open transaction ends when the broker aborts it: after
    // transaction.timeout.ms, on its next check for such transactions (10 s by default).
    // The group coordinator may be on a node that has just crashed: ask again meanwhile.
    // A partition whose offset could not be read is not a partition never committed:
    // starting it over would wipe its history, so its error is asked about again too.
    let committed = ask_until(deadline, "the group's committed offsets", |attempt| {
        let committed = consumer.committed_offsets(partitions.clone(), attempt.left)?;
        for element in committed.elements() {
            element.error()?;
        }
        Ok(committed)
    })
    .map_err(ExactlyOnceError::Offsets)?;
    Ok(committed
        .elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition(), e.offset()))
        .collect())
}

/// Asks `ask` again every half second while it fails with anything but a refusal, until
/// `deadline`: on a cluster, a crashed node's groups and partitions move to other nodes within
/// seconds, and librdkafka gives up early meanwhile (timed out, transport failure, unknown
/// partition, offset not available).
fn ask_until<T>(
    deadline: Instant,
    what: &str,
    mut ask: impl FnMut(Attempt) -> KafkaResult<T>,
) -> KafkaResult<T> {
    retry::run(
        Schedule::within(deadline).pausing(Duration::from_millis(500)),
        |attempt| {
            ask(attempt).map_err(|error| {
                if coordinator_moving(&error) {
                    Retry::Again(error)
                } else {
                    Retry::Stop(error)
                }
            })
        },
        |error| tracing::warn!("cannot read {what} yet ({error}); asking again"),
    )
}

/// Whether an error may pass while a group coordinator moves off a crashed node: librdkafka then
/// answers with timeouts, transport failures, unknown partitions or coordinator errors for a few
/// seconds. Refusals by the broker's ACLs never pass.
fn coordinator_moving(error: &KafkaError) -> bool {
    !matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::Fatal
        )
    )
}
