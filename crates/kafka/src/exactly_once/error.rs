//! Why an exactly-once member stops: one typed error, one line each, saying what to do.

use std::time::Duration;

use rdkafka::error::KafkaError;
use shopstream_core::group_state::StateError;
use shopstream_core::metrics::EntryError;
use shopstream_core::windows::WidthMismatch;

use crate::admin::AdminError;

#[derive(Debug, thiserror::Error)]
pub enum ExactlyOnceError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error(
        "no transaction coordinator answered within {} ({error}): the brokers at {servers} must \
         support transactions (Apache Kafka 2.5 or later) and be able to create their \
         transaction log (transaction.state.log.replication.factor and min.isr no larger than \
         the number of brokers)",
        crate::client::seconds(*.timeout)
    )]
    NoCoordinator {
        servers: String,
        timeout: Duration,
        error: String,
    },
    #[error(
        "not authorized to use transactions as {transactional_id} (the broker's ACLs must allow \
         Write and Describe on TransactionalId shopstream-metrics- as a prefix, and IdempotentWrite \
         on the cluster)"
    )]
    TransactionNotAuthorized { transactional_id: String },
    #[error(
        "not authorized: {0} (the broker's ACLs must allow this user to write the state topic and commit the group's offsets)"
    )]
    NotAuthorized(String),
    #[error("exactly-once producer: {0}")]
    Producer(String),
    #[error("cannot read the state topic {topic}: {error}")]
    Read { topic: String, error: KafkaError },
    #[error("state topic {topic} p{partition}@{offset}: {source}")]
    Record {
        topic: String,
        partition: i32,
        offset: i64,
        source: StateError,
    },
    #[error(
        "the state of {topic}/{partition} at offset {offset} (the group's committed offset) is not \
         on {state_topic} after {}: was the state topic deleted or emptied? Start over with a new \
         --group",
        crate::client::seconds(*.waited)
    )]
    StateMissing {
        topic: String,
        partition: i32,
        offset: i64,
        state_topic: String,
        waited: Duration,
    },
    #[error(
        "state topic {state_topic} holds records of an older ShopStream (format 1) for group \
         {group}: use a new --group, or delete the state topic (the group's figures start over)"
    )]
    OldFormat { state_topic: String, group: String },
    #[error("cannot make the state's changelog records: {0}")]
    Entries(#[from] EntryError),
    #[error("cannot read the group's committed offsets: {0}")]
    Offsets(KafkaError),
    #[error(
        "cannot move back to the last committed offsets after an aborted transaction ({0}); \
         stopping so that no event is skipped or counted twice: a restart goes on from the last \
         commit"
    )]
    Seek(KafkaError),
    #[error("the consumer is not in its group yet (no group metadata to commit with)")]
    NoGroupMetadata,
    #[error(
        "{topic}/{partition}: the group's state on {state_topic} keeps windows of event time \
         that cannot go on ({source}); start over with a new --group, or keep their width"
    )]
    Windows {
        topic: String,
        partition: i32,
        state_topic: String,
        source: WidthMismatch,
    },
}
