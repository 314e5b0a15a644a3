//! The group consumer: subscribes to ShopStream topics in a consumer group, with offsets stored
//! only after the caller has processed a message (at least once), and consumer lag per partition.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, RebalanceProtocol};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::message::BorrowedMessage;
use rdkafka::metadata::Metadata;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use serde::Serialize;

use crate::client::{Operation, ShopContext, TopicsError, client_config_with, probe_topics};
use crate::settings::{Settings, TopicNames};
use shopstream_core::TopicKind;

#[derive(Debug, thiserror::Error)]
pub enum ConsumerError {
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error("cannot create the Kafka consumer: {0}")]
    Create(KafkaError),
    #[error("cannot subscribe to {topics}: {error}")]
    Subscribe { topics: String, error: KafkaError },
    #[error("cannot commit offsets: {0}")]
    Commit(KafkaError),
    #[error("cannot read offsets or watermarks: {0}")]
    Offsets(KafkaError),
}

/// How far a consumer is behind on one partition.
#[derive(Debug, Clone, Serialize)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    pub lag: i64,
}

/// Told of every rebalance, inside the consumer's poll, before the assignment changes: the place
/// where exactly-once state is committed (revoke) and restored (assign).
pub trait RebalanceHook: Send + Sync {
    /// Partitions are about to be assigned; set each one's start offset in `partitions` (an
    /// offset left unset starts at the group's committed offset).
    fn assign(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        partitions: &mut TopicPartitionList,
    );

    /// Partitions are about to be taken away; `lost` when the group already gave them to another
    /// member (this one was out of the group), so nothing may be committed for them.
    fn revoke(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        partitions: &TopicPartitionList,
        lost: bool,
    );
}

/// Reading on several threads: told of every assignment change, inside the rebalance, so that
/// each partition's queue goes to a worker of the consume loop. A trait, so that the consumer does
/// not depend on the loop that drives it.
pub(crate) trait PartitionRouter: Send {
    /// `partitions` were just assigned: give each its own queue.
    fn assigned(
        &mut self,
        consumer: &Arc<BaseConsumer<EventConsumerContext>>,
        partitions: &TopicPartitionList,
    );

    /// `partitions` are about to be revoked: return once nothing of them is being handled.
    fn revoking(&mut self, partitions: &TopicPartitionList);
}

/// Client context of the [`EventConsumer`]: the connection problems librdkafka reports, the
/// per-partition figures of its statistics, and what a rebalance must do besides (re)assigning.
#[derive(Default)]
pub struct EventConsumerContext {
    problems: ShopContext,
    statistics: PartitionStatistics,
    rebalancing: Rebalancing,
}

/// What librdkafka's last statistics (every second) said of each partition, by (topic, partition).
#[derive(Default)]
struct PartitionStatistics {
    lag: Mutex<BTreeMap<(String, i32), i64>>,
    high_watermark: Mutex<BTreeMap<(String, i32), i64>>,
}

/// What a rebalance does besides changing the assignment.
#[derive(Default)]
struct Rebalancing {
    /// Told first of every rebalance (exactly once: commit on revoke, restore on assign).
    hook: Option<Arc<dyn RebalanceHook>>,
    /// The consumer itself, so that a rebalance can split partitions into queues of their own.
    this: OnceLock<Weak<BaseConsumer<EventConsumerContext>>>,
    /// Reading on several threads: hands each assigned partition's queue to a worker.
    router: Mutex<Option<Box<dyn PartitionRouter>>>,
    /// A group that reads from the beginning: assigned partitions without a committed offset
    /// start explicitly at the earliest one.
    from_beginning: bool,
}

impl ClientContext for EventConsumerContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.problems.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.problems.error(error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let stats = &self.statistics;
        let (Ok(mut lag), Ok(mut high)) = (stats.lag.lock(), stats.high_watermark.lock()) else {
            return;
        };
        for (topic, stats) in statistics.topics {
            for (partition, p) in stats.partitions {
                // -1 is librdkafka's internal unassigned partition; -1 means "not known yet".
                if partition < 0 {
                    continue;
                }
                if p.consumer_lag >= 0 {
                    lag.insert((topic.clone(), partition), p.consumer_lag);
                }
                if p.hi_offset >= 0 {
                    high.insert((topic.clone(), partition), p.hi_offset);
                }
            }
        }
    }
}

impl ConsumerContext for EventConsumerContext {
    /// What rdkafka's default does, with the hook called first and the router told.
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        partitions: &mut TopicPartitionList,
    ) {
        let cooperative = matches!(
            consumer.rebalance_protocol(),
            RebalanceProtocol::Cooperative
        );
        let result = match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => {
                self.assign(consumer, partitions, cooperative)
            }
            other => {
                if other != RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS {
                    tracing::warn!(
                        "rebalance error: {}",
                        rdkafka::types::RDKafkaErrorCode::from(other)
                    );
                }
                self.revoke(consumer, partitions, cooperative)
            }
        };
        if let Err(error) = result {
            tracing::warn!("cannot apply the new partition assignment: {error}");
        }
    }
}

impl EventConsumerContext {
    fn assign(
        &self,
        consumer: &BaseConsumer<Self>,
        partitions: &mut TopicPartitionList,
        cooperative: bool,
    ) -> KafkaResult<()> {
        let rebalancing = &self.rebalancing;
        if let Some(hook) = &rebalancing.hook {
            hook.assign(consumer, partitions);
        }
        if rebalancing.from_beginning {
            start_uncommitted_at_the_beginning(consumer, partitions);
        }
        let assigned = if cooperative {
            consumer.incremental_assign(partitions)
        } else {
            consumer.assign(partitions)
        };
        // Split right after the assignment, before the first fetch answers: the partitions'
        // messages then all go to their worker.
        if assigned.is_ok()
            && let (Some(this), Ok(mut router)) = (
                rebalancing.this.get().and_then(Weak::upgrade),
                rebalancing.router.lock(),
            )
            && let Some(router) = router.as_mut()
        {
            router.assigned(&this, partitions);
        }
        assigned
    }

    fn revoke(
        &self,
        consumer: &BaseConsumer<Self>,
        partitions: &TopicPartitionList,
        cooperative: bool,
    ) -> KafkaResult<()> {
        if let Some(hook) = &self.rebalancing.hook {
            hook.revoke(consumer, partitions, consumer.assignment_lost());
        }
        // Workers finish what they hold of these partitions (their offsets stored) before the
        // revocation commits.
        if let Ok(mut router) = self.rebalancing.router.lock()
            && let Some(router) = router.as_mut()
        {
            router.revoking(partitions);
        }
        if cooperative {
            consumer.incremental_unassign(partitions)
        } else {
            consumer.unassign()
        }
    }
}

/// The partitions (topic, partition) of the topics `names` in `metadata`, in its order.
fn partitions_of(metadata: &Metadata, names: &[&str]) -> Vec<(String, i32)> {
    metadata
        .topics()
        .iter()
        .filter(|topic| names.contains(&topic.name()))
        .flat_map(|topic| {
            topic
                .partitions()
                .iter()
                .map(|partition| (topic.name().to_string(), partition.id()))
        })
        .collect()
}

/// The consumer with its context; the context knows the consumer (weakly: it lives inside it).
fn create_consumer(
    settings: &Settings,
    subscription: &Subscription,
    client_id: &str,
) -> Result<Arc<BaseConsumer<EventConsumerContext>>, ConsumerError> {
    let manual = subscription.offsets.kept_by_caller();
    let context = EventConsumerContext {
        rebalancing: Rebalancing {
            hook: match &subscription.offsets {
                OffsetKeeping::Transactional(hook) => Some(Arc::clone(hook)),
                _ => None,
            },
            // Not where KAFKA_AUTO_OFFSET_RESET says otherwise.
            from_beginning: subscription.from_beginning
                && !manual
                && !settings.kafka_properties.contains_key("auto.offset.reset"),
            ..Rebalancing::default()
        },
        ..EventConsumerContext::default()
    };
    let consumer: BaseConsumer<EventConsumerContext> =
        consumer_config(settings, subscription, client_id)
            .create_with_context(context)
            .map_err(ConsumerError::Create)?;
    let consumer = Arc::new(consumer);
    let _ = consumer
        .context()
        .rebalancing
        .this
        .set(Arc::downgrade(&consumer));
    Ok(consumer)
}

/// The consumer's librdkafka configuration: offsets stored only after processing, and fetching
/// tuned for a live view and a bounded prefetch.
fn consumer_config(
    settings: &Settings,
    subscription: &Subscription,
    client_id: &str,
) -> ClientConfig {
    let manual = subscription.offsets.kept_by_caller();
    let transactional = matches!(subscription.offsets, OffsetKeeping::Transactional(_));
    client_config_with(
        settings,
        client_id,
        &[
            ("group.id", subscription.group.as_str()),
            ("enable.auto.commit", if manual { "false" } else { "true" }),
            // Only committed transactions' messages (with exactly-once, as its state is).
            (
                "isolation.level",
                if transactional {
                    "read_committed"
                } else {
                    "read_uncommitted"
                },
            ),
            // Offsets are stored by `processed`, after the caller has handled the message.
            ("enable.auto.offset.store", "false"),
            (
                "auto.offset.reset",
                // Exactly once, every start offset is explicit: one out of range (events deleted
                // by retention since the last commit) must stop the member, not silently jump.
                if transactional {
                    "error"
                } else if subscription.from_beginning {
                    "earliest"
                } else {
                    "latest"
                },
            ),
            ("statistics.interval.ms", "1000"),
            ("enable.partition.eof", "false"),
            // librdkafka waits this long before fetching again once its queue is full (default
            // 1 s): far too long for a consumer that drains its queue at a million events a
            // second. At 10 ms the reader ran dry between fetches; at 1 ms it reads a backlog a
            // fifth faster, and at 0 librdkafka spins.
            ("fetch.queue.backoff.ms", "1"),
            // A live view: the broker answers a fetch within 100 ms even with little new data.
            ("fetch.wait.max.ms", "100"),
            // Prefetch bounded: librdkafka's defaults (100,000 messages per partition, 64 MB
            // queued, 50 MB fetches) held 90 MB reading a backlog, for no gain in speed.
            ("queued.min.messages", "10000"),
            ("queued.max.messages.kbytes", "16384"),
            ("fetch.max.bytes", "8388608"),
        ],
    )
}

/// Subscribes in the group, or (offsets kept in a checkpoint) assigns every partition of the
/// topics at its start offset.
fn start_reading(
    consumer: &BaseConsumer<EventConsumerContext>,
    subscription: &Subscription,
    names: &[&str],
    partitions: &[(String, i32)],
) -> KafkaResult<()> {
    let OffsetKeeping::Assigned(offsets) = &subscription.offsets else {
        return consumer.subscribe(names);
    };
    let mut assignment = TopicPartitionList::new();
    for (topic, partition) in partitions {
        let start = offsets
            .get(topic)
            .and_then(|next| next.get(partition))
            .map(|&next| Offset::Offset(next))
            .unwrap_or(if subscription.from_beginning {
                Offset::Beginning
            } else {
                Offset::End
            });
        assignment.add_partition_offset(topic, *partition, start)?;
    }
    consumer.assign(&assignment)
}

/// Sets the partitions of `partitions` that have no committed offset to start at the earliest.
/// librdkafka gets there by itself through `auto.offset.reset`, but only after a 100 ms back-off
/// (it treats "no committed offset" as an error to retry), which every new group paid on start.
/// Should the committed offsets not come, librdkafka's own way still applies.
fn start_uncommitted_at_the_beginning(
    consumer: &BaseConsumer<EventConsumerContext>,
    partitions: &mut TopicPartitionList,
) {
    let Ok(committed) = consumer.committed_offsets(partitions.clone(), COMMITTED_TIMEOUT) else {
        return;
    };
    for element in committed.elements() {
        // A partition whose committed offset could not be read is left to librdkafka.
        if element.offset() == Offset::Invalid && element.error().is_ok() {
            let _ = partitions.set_partition_offset(
                element.topic(),
                element.partition(),
                Offset::Beginning,
            );
        }
    }
}

/// How long a rebalance waits for the group's committed offsets (it holds up the consumer).
const COMMITTED_TIMEOUT: Duration = Duration::from_secs(2);

/// What to consume.
#[derive(Debug)]
pub struct Subscription {
    pub topics: Vec<TopicKind>,
    pub group: String,
    /// A group without committed offsets starts at the earliest offset (else at the latest).
    pub from_beginning: bool,
    /// Who keeps the offsets.
    pub offsets: OffsetKeeping,
}

/// Who keeps a consumer's offsets.
#[derive(Default)]
pub enum OffsetKeeping {
    /// The group: offsets of processed messages are committed to it (at least once).
    #[default]
    Group,
    /// The caller (a checkpoint): every partition is read from these offsets (topic -> partition
    /// -> next offset) by manual assignment, without the group. Partitions not listed start as
    /// `from_beginning` says.
    Assigned(BTreeMap<String, BTreeMap<i32, i64>>),
    /// The caller, in Kafka transactions with its state (exactly once): the group shares the
    /// partitions, input is read committed, and the hook is told of every rebalance.
    Transactional(Arc<dyn RebalanceHook>),
}

impl OffsetKeeping {
    /// Whether the caller keeps the offsets (a checkpoint or transactions), not the group.
    fn kept_by_caller(&self) -> bool {
        !matches!(self, OffsetKeeping::Group)
    }
}

impl std::fmt::Debug for OffsetKeeping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OffsetKeeping::Group => f.write_str("Group"),
            OffsetKeeping::Assigned(offsets) => f.debug_tuple("Assigned").field(offsets).finish(),
            OffsetKeeping::Transactional(_) => f.write_str("Transactional"),
        }
    }
}

pub struct EventConsumer {
    consumer: Arc<BaseConsumer<EventConsumerContext>>,
    /// The caller keeps the offsets: nothing is stored or committed here.
    manual: bool,
    names: TopicNames,
    servers: String,
    /// Partitions of the topics read, when connecting.
    partitions: Vec<(String, i32)>,
}

impl EventConsumer {
    /// Connects (failing within `timeout`), checks that the topics exist and subscribes.
    pub fn connect(
        settings: &Settings,
        timeout: Duration,
        subscription: &Subscription,
        client_id: &str,
    ) -> Result<EventConsumer, ConsumerError> {
        let metadata = probe_topics(settings, timeout, &subscription.topics, Operation::Read)?;
        let names: Vec<&str> = subscription
            .topics
            .iter()
            .map(|&kind| settings.topics.name(kind))
            .collect();
        let partitions = partitions_of(&metadata, &names);
        let consumer = create_consumer(settings, subscription, client_id)?;
        start_reading(&consumer, subscription, &names, &partitions).map_err(|error| {
            ConsumerError::Subscribe {
                topics: names.join(", "),
                error,
            }
        })?;
        Ok(EventConsumer {
            consumer,
            manual: subscription.offsets.kept_by_caller(),
            names: settings.topics.clone(),
            servers: settings.bootstrap_servers.clone(),
            partitions,
        })
    }

    /// Partitions of the topics read, as the cluster had them when connecting.
    pub fn partition_count(&self) -> usize {
        self.partitions.len()
    }

    /// The partitions of the topics read (topic, partition), as the cluster had them when
    /// connecting.
    pub fn partitions(&self) -> &[(String, i32)] {
        &self.partitions
    }

    /// The librdkafka consumer, for the exactly-once machinery (group metadata, positions).
    pub fn base(&self) -> &BaseConsumer<EventConsumerContext> {
        &self.consumer
    }

    /// Hands each assigned partition's queue to `router` from now on (its current assignment
    /// too), or with None takes them back.
    pub(crate) fn route_partitions(&self, router: Option<Box<dyn PartitionRouter>>) {
        let Ok(mut slot) = self.consumer.context().rebalancing.router.lock() else {
            return;
        };
        *slot = router;
        if let Some(router) = slot.as_mut()
            && let Ok(assignment) = self.consumer.assignment()
            && assignment.count() > 0
        {
            router.assigned(&self.consumer, &assignment);
        }
    }

    /// Whether the caller keeps the offsets (a checkpoint or transactions).
    pub fn offsets_kept_by_caller(&self) -> bool {
        self.manual
    }

    /// The next message, if one arrives within `timeout`.
    pub fn poll(&self, timeout: Duration) -> Option<Result<BorrowedMessage<'_>, KafkaError>> {
        self.consumer.poll(timeout)
    }

    /// The name of a ShopStream topic.
    pub fn topic_name(&self, kind: TopicKind) -> &str {
        self.names.name(kind)
    }

    /// Which ShopStream topic a message came from.
    pub fn kind_of(&self, topic: &str) -> Option<TopicKind> {
        self.names.kind_of(topic)
    }

    /// Marks a message as processed: its offset is committed (periodically, and at `commit`).
    /// Under manual assignment the caller keeps offsets itself, so this does nothing.
    pub fn processed(&self, message: &BorrowedMessage<'_>) -> Result<(), ConsumerError> {
        if self.manual {
            return Ok(());
        }
        self.consumer
            .store_offset_from_message(message)
            .map_err(ConsumerError::Commit)
    }

    /// Commits every processed offset now (before exiting); nothing to do under manual assignment.
    pub fn commit(&self) -> Result<(), ConsumerError> {
        if self.manual {
            return Ok(());
        }
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            // Nothing stored since the last commit is not an error.
            Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset))
            | Ok(()) => Ok(()),
            Err(error) => Err(ConsumerError::Commit(error)),
        }
    }

    /// The lag per partition without asking the broker: the high watermark of librdkafka's last
    /// statistics (at most a second old) minus this consumer's position now; where the position is
    /// not known yet, the statistics' own lag.
    pub fn lag(&self) -> Vec<PartitionLag> {
        let context = self.consumer.context();
        let statistics = &context.statistics;
        let stats_lag = statistics.lag.lock().map(|l| l.clone()).unwrap_or_default();
        let high = statistics
            .high_watermark
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default();
        let mut lags: BTreeMap<(String, i32), i64> = stats_lag;
        if let Ok(positions) = self.consumer.position() {
            for element in positions.elements() {
                let key = (element.topic().to_string(), element.partition());
                if let (Offset::Offset(position), Some(&high)) = (element.offset(), high.get(&key))
                {
                    lags.insert(key, (high - position).max(0));
                }
            }
        }
        lags.into_iter()
            .map(|((topic, partition), lag)| PartitionLag {
                topic,
                partition,
                lag,
            })
            .collect()
    }

    /// The high watermark per partition from librdkafka's last statistics.
    fn known_high(&self) -> BTreeMap<(String, i32), i64> {
        self.consumer
            .context()
            .statistics
            .high_watermark
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default()
    }

    /// Events waiting on each partition this consumer has read from, by its position now and the
    /// high watermark of librdkafka's last statistics; partitions not read from yet (position not
    /// known) are left out, whatever the statistics say.
    pub fn waiting(&self) -> Vec<PartitionLag> {
        let high = self.known_high();
        let Ok(positions) = self.consumer.position() else {
            return Vec::new();
        };
        positions
            .elements()
            .iter()
            .filter_map(|element| {
                let key = (element.topic().to_string(), element.partition());
                match (element.offset(), high.get(&key)) {
                    (Offset::Offset(position), Some(&high)) => Some(PartitionLag {
                        topic: key.0,
                        partition: key.1,
                        lag: (high - position).max(0),
                    }),
                    _ => None,
                }
            })
            .collect()
    }

    /// The lag per assigned partition now: high watermark minus position. A partition with
    /// nothing fetched in this run counts from the group's committed offset. The high watermark
    /// is asked of the broker, or taken from librdkafka's last statistics when the broker does
    /// not answer.
    pub fn exact_lag(&self, timeout: Duration) -> Result<Vec<PartitionLag>, ConsumerError> {
        let positions = self.consumer.position().map_err(ConsumerError::Offsets)?;
        let committed = self
            .consumer
            .committed(timeout)
            .map_err(ConsumerError::Offsets)?;
        let known_high = self.known_high();
        let mut lags = Vec::new();
        for element in positions.elements() {
            let (topic, partition) = (element.topic(), element.partition());
            let committed_offset = committed
                .find_partition(topic, partition)
                .map(|e| e.offset());
            let start = match (element.offset(), committed_offset) {
                (Offset::Offset(position), _) | (_, Some(Offset::Offset(position))) => {
                    Some(position)
                }
                _ => None,
            };
            // The broker's watermarks first: the statistics' are only as fresh as the last
            // fetch, which may be long ago when the partition's leader was down.
            let lag = match self.consumer.fetch_watermarks(topic, partition, timeout) {
                // Neither fetched nor committed: all of it is still to read.
                Ok((low, high)) => (high - start.unwrap_or(low)).max(0),
                Err(error) => {
                    let high = known_high.get(&(topic.to_string(), partition)).copied();
                    match (start, high) {
                        (Some(position), Some(high)) => (high - position).max(0),
                        _ => return Err(ConsumerError::Offsets(error)),
                    }
                }
            };
            lags.push(PartitionLag {
                topic: topic.to_string(),
                partition,
                lag,
            });
        }
        lags.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        Ok(lags)
    }

    pub fn bootstrap_servers(&self) -> &str {
        &self.servers
    }

    /// The last connection problem librdkafka reported.
    pub fn last_problem(&self) -> Option<String> {
        self.consumer
            .context()
            .problems
            .last_problem()
            .map(|p| p.reason)
    }
}
