//! The event producer: an idempotent librdkafka producer (acks=all) that accounts for every event
//! from its delivery report, per topic, and waits (never drops, never spins) when librdkafka's
//! queue is full.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use enum_map::Enum;
use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::types::RDKafkaErrorCode;

use crate::client::{Operation, ShopContext, TopicsError, client_config_with, probe_topics};
use crate::retry::{self, Retry, Schedule};
use crate::settings::Settings;
use shopstream_core::windows::{WindowFigures, WindowSeries};
use shopstream_core::{Event, PerTopic, TopicKind, decode};

/// How many delivery failures are kept, with their keys, for the report.
const FAILURES_KEPT: usize = 20;

#[derive(Debug, thiserror::Error)]
pub enum ProducerError {
    #[error(transparent)]
    Topics(#[from] TopicsError),
    #[error("cannot create the Kafka producer: {0}")]
    Create(KafkaError),
    #[error("cannot send to {topic}: {error}")]
    Send { topic: String, error: KafkaError },
    #[error("the producer stopped with a fatal error: {0}")]
    Fatal(String),
}

/// Brokers of a cluster that do not answer, and what that does to a producer's partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicasDown {
    /// How many brokers the cluster lists.
    pub brokers: usize,
    /// Those that do not answer: node id and address.
    pub down: Vec<(i32, String)>,
    /// Partitions of the producer's topics with a replica on them.
    pub partitions: usize,
    /// The fewest replicas still up among those partitions.
    pub fewest_up: usize,
}

/// Sent, acknowledged and failed events of one topic.
#[derive(Debug, Clone, Copy, Default)]
pub struct TopicCounts {
    pub sent: u64,
    pub acknowledged: u64,
    pub failed: u64,
    /// Of the failed, those the broker refused for lack of a Write ACL on the topic.
    pub denied: u64,
}

impl TopicCounts {
    pub fn in_flight(&self) -> u64 {
        self.sent.saturating_sub(self.acknowledged + self.failed)
    }
}

/// One event that was not acknowledged.
#[derive(Debug, Clone)]
pub struct DeliveryFailure {
    pub topic: TopicKind,
    pub key: String,
    pub reason: String,
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acknowledged: AtomicU64,
    failed: AtomicU64,
    denied: AtomicU64,
}

/// The producer's client context: connection problems (via [`ShopContext`]) and delivery reports.
#[derive(Default)]
pub struct DeliveryContext {
    shop: ShopContext,
    counters: PerTopic<Counters>,
    failures: Mutex<Vec<DeliveryFailure>>,
    /// With a ground truth asked for: the windows of the acknowledged events.
    truth: OnceLock<Mutex<WindowSeries>>,
}

impl ClientContext for DeliveryContext {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.shop.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.shop.error(error, reason);
    }
}

impl ProducerContext for DeliveryContext {
    /// The topic, as its [`Enum`] index.
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        if index >= TopicKind::LENGTH {
            return;
        }
        let topic = TopicKind::from_usize(index);
        let counters = &self.counters[topic];
        match result {
            Ok(message) => {
                counters.acknowledged.fetch_add(1, Ordering::Relaxed);
                if let Some(truth) = self.truth.get() {
                    // The acknowledged bytes themselves, read back as any consumer reads them.
                    match decode(message.payload().unwrap_or_default(), Some(topic)) {
                        Ok(event) => {
                            if let Ok(mut truth) = truth.lock() {
                                truth.record(&event);
                            }
                        }
                        Err(reason) => tracing::warn!("an event this producer wrote: {reason}"),
                    }
                }
            }
            Err((error, message)) => {
                counters.failed.fetch_add(1, Ordering::Relaxed);
                if error.rdkafka_error_code() == Some(RDKafkaErrorCode::TopicAuthorizationFailed) {
                    counters.denied.fetch_add(1, Ordering::Relaxed);
                }
                if let Ok(mut failures) = self.failures.lock()
                    && failures.len() < FAILURES_KEPT
                {
                    let key = message
                        .key()
                        .map(String::from_utf8_lossy)
                        .unwrap_or_default();
                    failures.push(DeliveryFailure {
                        topic,
                        key: key.into_owned(),
                        reason: error.to_string(),
                    });
                }
            }
        }
    }
}

pub struct EventProducer {
    producer: BaseProducer<DeliveryContext>,
    topic_names: PerTopic<String>,
    buf: Vec<u8>,
    sends_since_poll: u32,
}

impl EventProducer {
    /// Connects (failing within `timeout` if Kafka does not answer) and checks that the topics
    /// events will go to exist.
    pub fn connect(
        settings: &Settings,
        timeout: Duration,
        targets: &[TopicKind],
        client_id: &str,
    ) -> Result<EventProducer, ProducerError> {
        probe_topics(settings, timeout, targets, Operation::Write)?;
        let config = client_config_with(
            settings,
            client_id,
            &[
                ("enable.idempotence", "true"),
                ("acks", "all"),
                // Events are keyed by user, so they spread over every partition, and each
                // partition's batch gets a share of the linger: at 5 ms, a replicated cluster got
                // small batches and spent twice the CPU per event on them. 20 ms wrote 1.5 times
                // as fast there, and as fast as 5 ms on one broker.
                ("linger.ms", "20"),
                // The queue bounded in bytes: 16 MB is 50,000 events, a few batches per
                // partition, enough to keep the broker busy; a bigger queue only holds memory
                // (a 500,000-message one took 130 to 260 MB at full speed).
                ("queue.buffering.max.kbytes", "16384"),
                ("queue.buffering.max.messages", "100000"),
                // Same key -> same partition as Kafka's Java clients.
                ("partitioner", "murmur2_random"),
            ],
        );
        let producer: BaseProducer<DeliveryContext> = config
            .create_with_context(DeliveryContext::default())
            .map_err(ProducerError::Create)?;
        // librdkafka asks for the idempotent producer's id when a metadata answer comes while a
        // broker is up, else on a 500 ms timer. Its first answer always misses: it comes from
        // the bootstrap connection, closed as that answer names the real brokers. Asking for
        // metadata twice through this producer (the second answer from a real broker) gets the
        // id within a round trip, and the first events are acknowledged half a second sooner.
        // A failure here is no failure (the probe above has just read the same metadata, and
        // the timer still gets the id), so neither request waits long.
        if let Some(&first) = targets.first() {
            for _ in 0..2 {
                let _ = producer.client().fetch_metadata(
                    Some(settings.topics.name(first)),
                    timeout.min(Duration::from_secs(2)),
                );
            }
        }
        Ok(EventProducer {
            producer,
            topic_names: PerTopic::from_fn(|kind| settings.topics.name(kind).to_string()),
            buf: Vec::with_capacity(1024),
            sends_since_poll: 0,
        })
    }

    /// Encodes and sends one event to its topic, keyed by user_id. When librdkafka's queue is
    /// full it serves delivery reports until there is room: it waits, it does not drop.
    pub fn send(&mut self, event: &Event<'_>) -> Result<(), ProducerError> {
        self.buf.clear();
        event.encode_into(&mut self.buf);
        let topic = event.topic();
        loop {
            let record = BaseRecord::with_opaque_to(&self.topic_names[topic], topic.into_usize())
                .key(event.user_id.as_bytes())
                .payload(self.buf.as_slice());
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), _)) => {
                    // Woken by each delivery report: sending goes on as soon as there is room.
                    self.producer.poll(Duration::from_millis(10));
                }
                Err((error, _)) => {
                    return Err(ProducerError::Send {
                        topic: self.topic_names[topic].clone(),
                        error,
                    });
                }
            }
        }
        self.producer.context().counters[topic]
            .sent
            .fetch_add(1, Ordering::Relaxed);
        self.sends_since_poll += 1;
        if self.sends_since_poll >= 64 {
            self.sends_since_poll = 0;
            self.producer.poll(Duration::ZERO);
        }
        Ok(())
    }

    /// The JSON of the event [`Self::send`] sent last, as it went to Kafka.
    pub fn last_payload(&self) -> &[u8] {
        &self.buf
    }

    /// From now on, keeps the windows (`width` long) of every acknowledged event: the figures a
    /// correct consumer must compute for them. Once only; later calls change nothing.
    pub fn keep_truth(&self, width: Duration) {
        let _ = self
            .producer
            .context()
            .truth
            .set(Mutex::new(WindowSeries::new(width)));
    }

    /// The windows of the acknowledged events so far (with [`Self::keep_truth`]), oldest first.
    pub fn truth(&self) -> Option<Vec<WindowFigures>> {
        let truth = self.producer.context().truth.get()?;
        truth.lock().ok().map(|truth| truth.figures())
    }

    /// Serves delivery reports for up to `timeout`.
    pub fn poll(&self, timeout: Duration) {
        self.producer.poll(timeout);
    }

    /// Waits up to `timeout` for every sent event's delivery report; returns how many are still
    /// in flight (0: all accounted for).
    pub fn flush(&self, timeout: Duration) -> u64 {
        let deadline = Instant::now() + timeout;
        // Served here: rdkafka's flush waits in steps of 100 ms, which every run paid at its end.
        // Serving reports is the pause.
        let flushed = retry::run(
            Schedule::until(deadline),
            |attempt| {
                if !attempt.is_first() {
                    self.serve_reports_or_wait(deadline);
                }
                match self.in_flight() {
                    0 => Ok(0),
                    in_flight => Err(Retry::Again(in_flight)),
                }
            },
            retry::quietly,
        );
        flushed.unwrap_or_else(|in_flight| in_flight)
    }

    /// Serves the delivery reports that are ready; when none are, sleeps a millisecond (or until
    /// `deadline`, if sooner). rdkafka's poll cannot wait less than a millisecond: it rounds
    /// what is left of its timeout down to whole milliseconds, so the end of every wait spun.
    fn serve_reports_or_wait(&self, deadline: Instant) {
        let before = self.in_flight();
        self.producer.poll(Duration::ZERO);
        if self.in_flight() == before {
            std::thread::sleep(
                deadline
                    .saturating_duration_since(Instant::now())
                    .min(Duration::from_millis(1)),
            );
        }
    }

    /// Events sent and not yet reported, all topics.
    pub fn in_flight(&self) -> u64 {
        self.counts().values().map(TopicCounts::in_flight).sum()
    }

    /// Per topic.
    pub fn counts(&self) -> PerTopic<TopicCounts> {
        let counters = &self.producer.context().counters;
        PerTopic::from_fn(|topic| {
            let c = &counters[topic];
            TopicCounts {
                sent: c.sent.load(Ordering::Relaxed),
                acknowledged: c.acknowledged.load(Ordering::Relaxed),
                failed: c.failed.load(Ordering::Relaxed),
                denied: c.denied.load(Ordering::Relaxed),
            }
        })
    }

    /// The first failed deliveries (at most 20), with their keys and reasons.
    pub fn failures(&self) -> Vec<DeliveryFailure> {
        self.producer
            .context()
            .failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default()
    }

    /// A fatal error of the idempotent producer (it cannot go on), if one happened.
    pub fn fatal_error(&self) -> Option<ProducerError> {
        self.producer
            .client()
            .fatal_error()
            .map(|(code, reason)| ProducerError::Fatal(format!("{code}: {reason}")))
    }

    /// Brokers down, and the partitions of `topics` with replicas on them: what makes writes with
    /// acks=all fail on a replicated cluster. None when every broker the cluster lists answers.
    pub fn replicas_down(&self, topics: &[&str], timeout: Duration) -> Option<ReplicasDown> {
        let metadata = self.producer.client().fetch_metadata(None, timeout).ok()?;
        let down: Vec<(i32, String)> = metadata
            .brokers()
            .iter()
            .map(|b| (b.id(), format!("{}:{}", b.host(), b.port())))
            .filter(|(_, address)| crate::client::unreachable(address))
            .collect();
        if down.is_empty() {
            return None;
        }
        let mut partitions = 0;
        let mut fewest_up = usize::MAX;
        for topic in metadata
            .topics()
            .iter()
            .filter(|t| topics.contains(&t.name()))
        {
            for partition in topic.partitions() {
                let up = partition
                    .replicas()
                    .iter()
                    .filter(|id| !down.iter().any(|(down, _)| down == *id))
                    .count();
                if up < partition.replicas().len() {
                    partitions += 1;
                    fewest_up = fewest_up.min(up);
                }
            }
        }
        Some(ReplicasDown {
            brokers: metadata.brokers().len(),
            down,
            partitions,
            fewest_up: if partitions == 0 { 0 } else { fewest_up },
        })
    }

    /// The last connection problem librdkafka reported (for status lines while retrying).
    pub fn last_problem(&self) -> Option<String> {
        self.producer
            .context()
            .shop
            .last_problem()
            .map(|p| p.reason)
    }
}
