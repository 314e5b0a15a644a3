//! The transactional producer: each commit is ONE Kafka transaction holding the changelog records
//! of the partitions touched and the consumer offsets they cover (KIP-447: the offsets go with the
//! consumer's group metadata, so the broker refuses them from a member the group has moved on
//! from, and the whole transaction aborts).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::ConsumerGroupMetadata;
use rdkafka::error::{KafkaError, RDKafkaError};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::types::RDKafkaErrorCode;

use super::error::ExactlyOnceError;
use crate::client::{ShopContext, client_config_with};
use crate::retry::{self, Retry, Schedule};
use crate::settings::Settings;

pub struct Transactor {
    /// Shared with the thread that sends the offsets (see `send_offsets`).
    producer: Arc<BaseProducer<ShopContext>>,
    /// Set when a call into the producer never returned: it cannot be used again.
    abandoned: AtomicBool,
    topic: String,
    transactional_id: String,
    timeout: Duration,
}

/// Why a commit did not happen, and what is left to do.
#[derive(Debug)]
pub enum CommitFailure {
    /// The transaction was aborted (for instance: the group moved on from this member, so it is
    /// fenced): nothing of it is visible; the state must go back to the last committed one.
    Aborted(String),
    /// The producer can do no more (fenced by its epoch): make a new one, then as `Aborted`.
    ProducerLost(String),
    /// Nothing will mend by retrying (not authorized, misconfigured): stop with this error.
    Fatal(ExactlyOnceError),
}

impl Transactor {
    /// A transactional producer for the state topic, its transactions initialized (this fences
    /// any earlier producer with the same id).
    pub fn connect(
        settings: &Settings,
        topic: &str,
        transactional_id: &str,
        timeout: Duration,
    ) -> Result<Transactor, ExactlyOnceError> {
        let producer: BaseProducer<ShopContext> = client_config_with(
            settings,
            "shopstream-metrics-state",
            &[
                ("transactional.id", transactional_id),
                ("enable.idempotence", "true"),
                ("acks", "all"),
                // A crashed instance's open transaction holds back every read-committed reader of
                // the state topic and the group's offsets until the broker aborts it: keep that
                // short (Kafka Streams uses 10 s too). A commit takes milliseconds.
                ("transaction.timeout.ms", "10000"),
                // Changelog records repeat their group, topic and field names: they compress well.
                ("compression.type", "lz4"),
                ("linger.ms", "0"),
            ],
        )
        .create_with_context(ShopContext::default())
        .map_err(|error| ExactlyOnceError::Producer(error.to_string()))?;
        // A broker that has just gone away (the transaction coordinator's, when a node of a cluster
        // crashed) is replaced within seconds: ask again while there is time.
        let deadline = Instant::now() + timeout;
        retry::run(
            Schedule::within(deadline).pausing(Duration::from_millis(500)),
            |attempt| {
                producer
                    .init_transactions(attempt.left.max(Duration::from_millis(100)))
                    .map_err(|error| match &error {
                        KafkaError::Transaction(rd) if worth_retrying(rd) => Retry::Again(error),
                        _ => Retry::Stop(error),
                    })
            },
            |error| {
                if let KafkaError::Transaction(rd) = error {
                    tracing::debug!("init_transactions: {rd}; asking again");
                }
            },
        )
        .map_err(|error| {
            init_error(
                error,
                transactional_id,
                &settings.bootstrap_servers,
                timeout,
            )
        })?;
        Ok(Transactor {
            producer: Arc::new(producer),
            abandoned: AtomicBool::new(false),
            topic: topic.to_string(),
            transactional_id: transactional_id.to_string(),
            timeout,
        })
    }

    pub fn transactional_id(&self) -> &str {
        &self.transactional_id
    }

    /// Whether the producer hit a fatal error, or was abandoned, and can do no more.
    pub fn is_lost(&self) -> bool {
        self.abandoned.load(Ordering::Relaxed) || self.producer.client().fatal_error().is_some()
    }

    /// Starts a transaction: then [`Self::write`] its records and [`Self::commit`] it.
    pub fn begin(&self) -> Result<(), CommitFailure> {
        self.producer
            .begin_transaction()
            .map_err(|e| self.failed(e, "begin"))
    }

    /// Commits `offsets` for `group` with the records written since [`Self::begin`], all in one
    /// transaction.
    pub fn commit(
        &self,
        offsets: &TopicPartitionList,
        group: ConsumerGroupMetadata,
    ) -> Result<(), CommitFailure> {
        let started = Instant::now();
        self.send_offsets(offsets, group)?;
        let offsets_sent = started.elapsed();
        // rdkafka's commit flushes first, polling in steps of 100 ms: a commit would take 100 ms
        // however little it waits for. Wait for the deliveries here in short steps instead.
        self.wait_for_deliveries();
        // A retriable error (a timeout) leaves the commit under way: ask again, never abort.
        retry::run(
            Schedule::attempts(5),
            |_| {
                self.producer
                    .commit_transaction(self.timeout)
                    .map_err(|error| match &error {
                        KafkaError::Transaction(rd) if rd.is_retriable() => Retry::Again(error),
                        _ => Retry::Stop(error),
                    })
            },
            |error| tracing::debug!("commit: {error}; retrying"),
        )
        .map_err(|error| self.abort(self.failed(error, "commit")))?;
        tracing::debug!(
            "transaction committed in {:?} (offsets sent {offsets_sent:?})",
            started.elapsed()
        );
        Ok(())
    }

    /// Writes one state record into the open transaction, to `partition` of the state topic;
    /// no value is a tombstone.
    pub fn write(
        &self,
        partition: i32,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<(), CommitFailure> {
        let mut record = BaseRecord::<[u8], [u8]>::to(&self.topic)
            .partition(partition)
            .key(key);
        if let Some(value) = value {
            record = record.payload(value);
        }
        // The queue holds 100,000 messages by default; a full one drains as we poll.
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((
                    KafkaError::MessageProduction(
                        code @ (RDKafkaErrorCode::MessageSizeTooLarge
                        | RDKafkaErrorCode::InvalidArgument
                        | RDKafkaErrorCode::UnknownTopic
                        | RDKafkaErrorCode::UnknownTopicOrPartition
                        | RDKafkaErrorCode::UnknownPartition),
                    ),
                    _,
                )) => {
                    let _ = self.producer.abort_transaction(self.timeout);
                    return Err(CommitFailure::Fatal(ExactlyOnceError::Producer(format!(
                        "cannot write a state record of {} bytes to {} partition {partition}: \
                         {code}",
                        key.len() + value.map_or(0, <[u8]>::len),
                        self.topic
                    ))));
                }
                Err((error, _)) => return Err(self.abort(self.failed(error, "write"))),
            }
        }
        Ok(())
    }

    /// Serves delivery reports until none is in flight, for at most the timeout (the commit then
    /// waits for the rest itself).
    fn wait_for_deliveries(&self) {
        let deadline = Instant::now() + self.timeout;
        // Serving reports is the pause.
        let _still_in_flight = retry::run(
            Schedule::until(deadline),
            |attempt| {
                if !attempt.is_first() {
                    self.producer.poll(Duration::from_millis(1));
                }
                match self.producer.in_flight_count() {
                    0 => Ok(()),
                    _ => Err(Retry::Again(())),
                }
            },
            retry::quietly,
        );
    }

    /// Adds the offsets to the transaction. librdkafka's send_offsets_to_transaction can wait
    /// forever, whatever its timeout, for a group coordinator on a broker that went away
    /// (confluentinc/librdkafka#5456 and #5511, seen when a node of a cluster is killed): the call
    /// gets a thread of its own, and when it does not answer in time the producer is given up
    /// (left to that thread) and a new one takes over, as after a fatal error.
    fn send_offsets(
        &self,
        offsets: &TopicPartitionList,
        group: ConsumerGroupMetadata,
    ) -> Result<(), CommitFailure> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        let producer = Arc::clone(&self.producer);
        let offsets = offsets.clone();
        let timeout = self.timeout;
        std::thread::Builder::new()
            .name("send-offsets".to_string())
            .spawn(move || {
                let _ =
                    answer.send(producer.send_offsets_to_transaction(&offsets, &group, timeout));
            })
            .map_err(|error| CommitFailure::Aborted(format!("cannot start a thread: {error}")))?;
        match answered.recv_timeout(self.timeout + Duration::from_secs(5)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(self.abort(self.failed(error, "send the offsets of"))),
            Err(_) => {
                self.abandoned.store(true, Ordering::Relaxed);
                Err(CommitFailure::ProducerLost(format!(
                    "the group coordinator did not take the transaction's offsets within {}",
                    crate::client::seconds(self.timeout + Duration::from_secs(5))
                )))
            }
        }
    }

    /// Aborts the open transaction when the member stops anyway (its records could not be made).
    pub fn abort_quietly(&self) {
        let _ = self.producer.abort_transaction(self.timeout);
    }

    /// Aborts the open transaction after a failure (if the producer still can).
    fn abort(&self, failure: CommitFailure) -> CommitFailure {
        if let CommitFailure::Aborted(reason) = &failure
            && let Err(error) = self.producer.abort_transaction(self.timeout)
        {
            return CommitFailure::ProducerLost(format!("{reason}; then abort failed: {error}"));
        }
        failure
    }

    /// Sorts a failed step into what to do next.
    fn failed(&self, error: KafkaError, step: &str) -> CommitFailure {
        let text = format!("cannot {step} the transaction: {error}");
        let KafkaError::Transaction(rd) = &error else {
            return CommitFailure::Aborted(text);
        };
        if let Some(fatal) = not_authorized(rd, &self.transactional_id) {
            return CommitFailure::Fatal(fatal);
        }
        if rd.is_fatal() {
            CommitFailure::ProducerLost(text)
        } else {
            CommitFailure::Aborted(text)
        }
    }
}

/// Whether init_transactions may be asked again after this error: one librdkafka flags as
/// retriable, or a broker connection lost on the way.
fn worth_retrying(error: &RDKafkaError) -> bool {
    !error.is_fatal()
        && (error.is_retriable()
            || matches!(
                error.code(),
                RDKafkaErrorCode::BrokerTransportFailure
                    | RDKafkaErrorCode::AllBrokersDown
                    | RDKafkaErrorCode::CoordinatorNotAvailable
                    | RDKafkaErrorCode::NotCoordinator
                    | RDKafkaErrorCode::CoordinatorLoadInProgress
            ))
}

/// Refusals by the broker's ACLs, which no retry mends.
fn not_authorized(error: &RDKafkaError, transactional_id: &str) -> Option<ExactlyOnceError> {
    match error.code() {
        RDKafkaErrorCode::TransactionalIdAuthorizationFailed => {
            Some(ExactlyOnceError::TransactionNotAuthorized {
                transactional_id: transactional_id.to_string(),
            })
        }
        RDKafkaErrorCode::GroupAuthorizationFailed
        | RDKafkaErrorCode::TopicAuthorizationFailed
        | RDKafkaErrorCode::ClusterAuthorizationFailed => {
            Some(ExactlyOnceError::NotAuthorized(error.to_string()))
        }
        _ => None,
    }
}

fn init_error(
    error: KafkaError,
    transactional_id: &str,
    servers: &str,
    timeout: Duration,
) -> ExactlyOnceError {
    let code = match &error {
        KafkaError::Transaction(rd) => {
            if let Some(refused) = not_authorized(rd, transactional_id) {
                return refused;
            }
            Some(rd.code())
        }
        other => other.rdkafka_error_code(),
    };
    match code {
        Some(
            RDKafkaErrorCode::OperationTimedOut
            | RDKafkaErrorCode::RequestTimedOut
            | RDKafkaErrorCode::CoordinatorNotAvailable
            | RDKafkaErrorCode::NotCoordinator
            | RDKafkaErrorCode::CoordinatorLoadInProgress
            | RDKafkaErrorCode::UnsupportedVersion,
        ) => ExactlyOnceError::NoCoordinator {
            servers: servers.to_string(),
            timeout,
            error: error.to_string(),
        },
        _ => ExactlyOnceError::Producer(format!("cannot start transactions: {error}")),
    }
}
