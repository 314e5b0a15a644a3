//! Reads the state topic (committed transactions only), replaying every partition of one group's
//! changelog into its engine: what restores a partition on assignment, and what every instance and `--view`
//! merge into the whole group's figures.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use shopstream_core::group_state::{GroupStates, StateError};

use super::error::ExactlyOnceError;
use crate::client::{ShopContext, client_config_with};
use crate::group_consumer::PartitionLag;
use crate::retry::{self, Retry, Schedule};
use crate::settings::Settings;

/// How long [`StateReader::catch_up`] reads for at a time.
const STATE_POLL: Duration = Duration::from_millis(50);

pub struct StateReader {
    consumer: BaseConsumer<ShopContext>,
    topic: String,
    partitions: Vec<i32>,
    states: GroupStates,
    timeout: Duration,
}

impl StateReader {
    /// Starts reading `topic` (which must exist) from its beginning, keeping `group`'s records
    /// of the input topics `inputs`.
    pub fn connect(
        settings: &Settings,
        topic: &str,
        group: &str,
        inputs: &[String],
        timeout: Duration,
    ) -> Result<StateReader, ExactlyOnceError> {
        let read_error = |error| ExactlyOnceError::Read {
            topic: topic.to_string(),
            error,
        };
        let consumer: BaseConsumer<ShopContext> = client_config_with(
            settings,
            "shopstream-state-reader",
            &[
                // Assigned, never subscribed and never committing: the group id is only a name.
                ("group.id", "shopstream-state-reader"),
                ("enable.auto.commit", "false"),
                ("isolation.level", "read_committed"),
                ("auto.offset.reset", "earliest"),
                ("enable.partition.eof", "false"),
                ("fetch.wait.max.ms", "100"),
                // A restore reads a partition's whole changelog (a million small records for a
                // million products): 8 MiB a fetch instead of 1 restores it about twice as fast.
                ("max.partition.fetch.bytes", "8388608"),
            ],
        )
        .create_with_context(ShopContext::default())
        .map_err(read_error)?;
        let partitions = partitions_of(&consumer, topic, timeout).map_err(read_error)?;
        let mut assignment = TopicPartitionList::new();
        for &partition in &partitions {
            assignment
                .add_partition_offset(topic, partition, Offset::Beginning)
                .map_err(read_error)?;
        }
        consumer.assign(&assignment).map_err(read_error)?;
        Ok(StateReader {
            consumer,
            topic: topic.to_string(),
            partitions,
            states: GroupStates::new(group)
                .of_topics(inputs)
                .with_max_keys(max_keys(settings)),
            timeout,
        })
    }

    /// Partitions of the state topic.
    pub fn state_partitions(&self) -> i32 {
        i32::try_from(self.partitions.len()).unwrap_or(i32::MAX)
    }

    /// The latest state of every partition of the group read so far.
    pub fn states(&self) -> &GroupStates {
        &self.states
    }

    /// Takes every record that has arrived, waiting at most `wait` for the first one. Returns how
    /// many records of the group it took.
    pub fn poll(&mut self, wait: Duration) -> Result<usize, ExactlyOnceError> {
        let mut taken = 0;
        let mut wait = wait;
        while let Some(result) = self.consumer.poll(wait) {
            wait = Duration::ZERO;
            let message = match result {
                Ok(message) => message,
                Err(error) => {
                    tracing::warn!("state topic {}: {error}", self.topic);
                    continue;
                }
            };
            let Some(key) = message.key() else {
                continue;
            };
            match self
                .states
                .apply(message.partition(), key, message.payload())
            {
                Ok(true) => taken += 1,
                Ok(false) => {}
                // Not a state record key: not ShopStream's, passed over.
                Err(source @ StateError::Key(_)) => tracing::debug!(
                    "state topic {} p{}@{}: passed over ({source})",
                    self.topic,
                    message.partition(),
                    message.offset()
                ),
                Err(StateError::OldFormat) => {
                    return Err(ExactlyOnceError::OldFormat {
                        state_topic: self.topic.clone(),
                        group: self.states.group().to_string(),
                    });
                }
                // A record of this group that cannot be read would make the figures wrong.
                Err(source) => {
                    return Err(ExactlyOnceError::Record {
                        topic: self.topic.clone(),
                        partition: message.partition(),
                        offset: message.offset(),
                        source,
                    });
                }
            }
        }
        Ok(taken)
    }

    /// Reads until it has every record committed when called (its position reaches each
    /// partition's high watermark of that moment), or `timeout` passes: then false. A transaction
    /// still open (a crashed instance's) holds it back until the broker aborts it.
    pub fn catch_up(&mut self, timeout: Duration) -> Result<bool, ExactlyOnceError> {
        let deadline = Instant::now() + timeout;
        let mut targets = Vec::with_capacity(self.partitions.len());
        for &partition in &self.partitions {
            let (low, high) = self
                .consumer
                .fetch_watermarks(&self.topic, partition, self.timeout)
                .map_err(|error| ExactlyOnceError::Read {
                    topic: self.topic.clone(),
                    error,
                })?;
            if high > low {
                targets.push((partition, high));
            }
        }
        // No pause: reading the state topic is the wait.
        let read_to_targets = retry::run(
            Schedule::until(deadline),
            |attempt| {
                // The error ends the catching up (`Again(None)`: not caught up yet).
                let stop = |error| Retry::Stop(Some(error));
                if !attempt.is_first() {
                    self.poll(STATE_POLL).map_err(stop)?;
                }
                let positions = self.consumer.position().map_err(|error| {
                    stop(ExactlyOnceError::Read {
                        topic: self.topic.clone(),
                        error,
                    })
                })?;
                targets.retain(|&(partition, high)| {
                    !matches!(
                        positions.find_partition(&self.topic, partition).map(|e| e.offset()),
                        Some(Offset::Offset(position)) if position >= high
                    )
                });
                if targets.is_empty() {
                    Ok(())
                } else {
                    Err(Retry::Again(None))
                }
            },
            retry::quietly,
        );
        match read_to_targets {
            Ok(()) => Ok(true),
            Err(None) => Ok(false),
            Err(Some(error)) => Err(error),
        }
    }

    /// The group's lag per input partition it has a state for: the partition's high watermark
    /// now minus the offset its state covers (a question to the broker per partition).
    pub fn lag(&self, timeout: Duration) -> Result<Vec<PartitionLag>, ExactlyOnceError> {
        self.states
            .states()
            .filter_map(|state| Some((state, state.position.as_ref()?.next_offset)))
            .map(|(state, next_offset)| {
                let (_, high) = self
                    .consumer
                    .fetch_watermarks(&state.topic, state.partition, timeout)
                    .map_err(ExactlyOnceError::Offsets)?;
                Ok(PartitionLag {
                    topic: state.topic.clone(),
                    partition: state.partition,
                    lag: (high - next_offset).max(0),
                })
            })
            .collect()
    }
}

/// The partitions of `topic`, asked again until `timeout` while the broker that answers does not
/// know it: a node just back from a crash has been seen to report an existing topic missing, and
/// reading none of its partitions would show a group's figures as empty.
fn partitions_of(
    consumer: &BaseConsumer<ShopContext>,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>, KafkaError> {
    let deadline = Instant::now() + timeout;
    retry::run(
        Schedule::until(deadline).pausing(Duration::from_millis(200)),
        |attempt| {
            let wait = attempt.left.max(Duration::from_millis(100));
            let metadata = consumer.fetch_metadata(Some(topic), wait)?;
            let known = metadata.topics().iter().find(|t| t.name() == topic);
            let problem = match known {
                Some(t) if t.error().is_none() && !t.partitions().is_empty() => {
                    return Ok(t.partitions().iter().map(|p| p.id()).collect());
                }
                Some(t) => t
                    .error()
                    .map(RDKafkaErrorCode::from)
                    .unwrap_or(RDKafkaErrorCode::UnknownTopicOrPartition),
                None => RDKafkaErrorCode::UnknownTopicOrPartition,
            };
            Err(Retry::Again(KafkaError::MetadataFetch(problem)))
        },
        |error| {
            if let KafkaError::MetadataFetch(problem) = error {
                tracing::debug!("state topic {topic}: {problem}; asking again");
            }
        },
    )
}

/// The reader's distinct-key bound (METRICS_MAX_KEYS, or metrics-consumer --max-keys).
pub(super) fn max_keys(settings: &Settings) -> usize {
    usize::try_from(settings.metrics_max_keys).unwrap_or(usize::MAX)
}
