//! Reads a whole topic once: every record committed when the reading starts, from the beginning
//! of each partition to its end at that moment. For tools that take a topic as input (check-truth
//! reading a pipeline's windows), not for following a live stream.

use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};

use crate::client::{ShopContext, client_config_with};
use crate::settings::Settings;

#[derive(Debug, thiserror::Error)]
pub enum TopicReadError {
    #[error("cannot read topic {topic}: {error}")]
    Kafka { topic: String, error: KafkaError },
    #[error("topic {0} does not exist")]
    Missing(String),
    #[error("topic {topic}: not read to its end within {seconds} s ({read} records read)")]
    Timeout {
        topic: String,
        seconds: u64,
        read: usize,
    },
}

/// The values of every record of `topic` (records without a value are passed over), partition
/// by partition, in offset order within each; transactions still open or aborted are not read.
pub fn read_values(
    settings: &Settings,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>, TopicReadError> {
    let kafka = |error| TopicReadError::Kafka {
        topic: topic.to_string(),
        error,
    };
    let consumer: BaseConsumer<ShopContext> = client_config_with(
        settings,
        "shopstream-topic-reader",
        &[
            // Assigned, never subscribed, never committing: the group id is only a name.
            ("group.id", "shopstream-topic-reader"),
            ("enable.auto.commit", "false"),
            ("isolation.level", "read_committed"),
            ("enable.partition.eof", "false"),
        ],
    )
    .create_with_context(ShopContext::default())
    .map_err(kafka)?;
    let metadata = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(kafka)?;
    let partitions: Vec<i32> = metadata
        .topics()
        .iter()
        .filter(|t| t.name() == topic && t.error().is_none())
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect();
    if partitions.is_empty() {
        return Err(TopicReadError::Missing(topic.to_string()));
    }
    let mut ends = Vec::new();
    let mut assignment = TopicPartitionList::new();
    for partition in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, partition, timeout)
            .map_err(kafka)?;
        if high > low {
            ends.push((partition, high));
            assignment
                .add_partition_offset(topic, partition, Offset::Offset(low))
                .map_err(kafka)?;
        }
    }
    consumer.assign(&assignment).map_err(kafka)?;
    read_until(&consumer, topic, ends, Instant::now() + timeout, timeout)
}

/// Reads until every partition's position has reached its end, or the deadline.
fn read_until(
    consumer: &BaseConsumer<ShopContext>,
    topic: &str,
    mut ends: Vec<(i32, i64)>,
    deadline: Instant,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>, TopicReadError> {
    let mut values = Vec::new();
    while !ends.is_empty() {
        if Instant::now() >= deadline {
            return Err(TopicReadError::Timeout {
                topic: topic.to_string(),
                seconds: timeout.as_secs(),
                read: values.len(),
            });
        }
        while let Some(result) = consumer.poll(Duration::from_millis(100)) {
            let message = result.map_err(|error| TopicReadError::Kafka {
                topic: topic.to_string(),
                error,
            })?;
            if let Some(value) = message.payload() {
                values.push(value.to_vec());
            }
        }
        // Positions, not the offsets of the last records: a transaction's commit marker takes
        // an offset of its own that no message carries.
        let positions = consumer.position().map_err(|error| TopicReadError::Kafka {
            topic: topic.to_string(),
            error,
        })?;
        ends.retain(|&(partition, end)| {
            !matches!(
                positions.find_partition(topic, partition).map(|e| e.offset()),
                Some(Offset::Offset(position)) if position >= end
            )
        });
    }
    Ok(values)
}
