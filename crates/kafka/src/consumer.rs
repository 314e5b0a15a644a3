//! The event consumer: subscribes to ShopStream topics in a group, with offsets stored only after
//! the caller has processed a message (at least once), and consumer lag per partition.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::message::BorrowedMessage;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
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

/// Client context of the consumer: connection problems and the lag librdkafka's statistics report.
#[derive(Default)]
pub struct LagContext {
    shop: ShopContext,
    lag: Mutex<BTreeMap<(String, i32), i64>>,
    /// High watermark per partition, from the same statistics.
    high: Mutex<BTreeMap<(String, i32), i64>>,
}

impl ClientContext for LagContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.shop.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.shop.error(error, reason);
    }

    fn stats(&self, statistics: Statistics) {
        let (Ok(mut lag), Ok(mut high)) = (self.lag.lock(), self.high.lock()) else {
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

impl ConsumerContext for LagContext {}

/// What to consume.
#[derive(Debug)]
pub struct Subscription {
    pub topics: Vec<TopicKind>,
    pub group: String,
    /// A group without committed offsets starts at the earliest offset (else at the latest).
    pub from_beginning: bool,
    /// Read every partition from these offsets (topic -> partition -> next offset) by manual
    /// assignment, without group offsets: the caller keeps its own (a checkpoint). Partitions not
    /// listed start as `from_beginning` says.
    pub assigned_from: Option<BTreeMap<String, BTreeMap<i32, i64>>>,
}

pub struct EventConsumer {
    consumer: BaseConsumer<LagContext>,
    manual: bool,
    names: TopicNames,
    servers: String,
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
        let manual = subscription.assigned_from.is_some();
        let config = client_config_with(
            settings,
            client_id,
            &[
                ("group.id", subscription.group.as_str()),
                ("enable.auto.commit", if manual { "false" } else { "true" }),
                // Offsets are stored by `processed`, after the caller has handled the message.
                ("enable.auto.offset.store", "false"),
                (
                    "auto.offset.reset",
                    if subscription.from_beginning {
                        "earliest"
                    } else {
                        "latest"
                    },
                ),
                ("statistics.interval.ms", "1000"),
                ("enable.partition.eof", "false"),
                // librdkafka waits this long before fetching again once its queue is full (default
                // 1 s): far too long for a consumer that drains its queue at hundreds of thousands of
                // events per second.
                ("fetch.queue.backoff.ms", "10"),
                // A live view: the broker answers a fetch within 100 ms even with little new data.
                ("fetch.wait.max.ms", "100"),
            ],
        );
        let consumer: BaseConsumer<LagContext> = config
            .create_with_context(LagContext::default())
            .map_err(ConsumerError::Create)?;
        let subscribe_error = |error| ConsumerError::Subscribe {
            topics: names.join(", "),
            error,
        };
        match &subscription.assigned_from {
            None => consumer.subscribe(&names).map_err(subscribe_error)?,
            Some(offsets) => {
                let mut assignment = TopicPartitionList::new();
                for topic in metadata
                    .topics()
                    .iter()
                    .filter(|t| names.contains(&t.name()))
                {
                    for partition in topic.partitions() {
                        let start = offsets
                            .get(topic.name())
                            .and_then(|p| p.get(&partition.id()))
                            .map(|&next| Offset::Offset(next))
                            .unwrap_or(if subscription.from_beginning {
                                Offset::Beginning
                            } else {
                                Offset::End
                            });
                        assignment
                            .add_partition_offset(topic.name(), partition.id(), start)
                            .map_err(subscribe_error)?;
                    }
                }
                consumer.assign(&assignment).map_err(subscribe_error)?;
            }
        }
        Ok(EventConsumer {
            consumer,
            manual,
            names: settings.topics.clone(),
            servers: settings.bootstrap_servers.clone(),
        })
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
        let stats_lag = context.lag.lock().map(|l| l.clone()).unwrap_or_default();
        let high = context.high.lock().map(|h| h.clone()).unwrap_or_default();
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

    /// The lag per assigned partition now: high watermark minus position. A partition with
    /// nothing fetched in this run counts from the group's committed offset. The high watermark
    /// comes from librdkafka's last statistics (fetch responses carry it), or is asked of the
    /// broker for partitions those do not cover yet.
    pub fn exact_lag(&self, timeout: Duration) -> Result<Vec<PartitionLag>, ConsumerError> {
        let positions = self.consumer.position().map_err(ConsumerError::Offsets)?;
        let committed = self
            .consumer
            .committed(timeout)
            .map_err(ConsumerError::Offsets)?;
        let known_high = self
            .consumer
            .context()
            .high
            .lock()
            .map(|h| h.clone())
            .unwrap_or_default();
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
            let high = known_high.get(&(topic.to_string(), partition)).copied();
            let lag = match (start, high) {
                (Some(position), Some(high)) => (high - position).max(0),
                _ => {
                    let (low, high) = self
                        .consumer
                        .fetch_watermarks(topic, partition, timeout)
                        .map_err(ConsumerError::Offsets)?;
                    // Neither fetched nor committed: all of it is still to read.
                    (high - start.unwrap_or(low)).max(0)
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
            .shop
            .last_problem()
            .map(|p| p.reason)
    }
}
