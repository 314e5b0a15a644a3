//! The consuming loop both consumers share: poll, decode (a bad message becomes a rejection, never
//! a crash), hand each message to the tool, then store its offset (at least once).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use rdkafka::message::{BorrowedMessage, Message};
use shopstream_core::admin::TopicAdmin;
use shopstream_core::consumer::{EventConsumer, Subscription};
use shopstream_core::dead_letter::DeadLetters;
use shopstream_core::{DecodeError, Event, Settings, TopicKind, decode};

/// Flags both consumers take.
#[derive(Debug, Clone, Args)]
pub struct ConsumeArgs {
    /// Topics to read, comma-separated: product-events, purchases, user-events [default: all three]
    #[arg(long, value_delimiter = ',', value_parser = parse_topic_kind, value_name = "TOPICS")]
    pub topics: Vec<TopicKind>,

    /// Consumer group id; a restart in the same group resumes where it stopped
    #[arg(long, short = 'g')]
    pub group: Option<String>,

    /// A group with no committed offsets starts at the earliest events (else at the newest)
    #[arg(long)]
    pub from_beginning: bool,

    /// Exit after this many messages (valid or rejected)
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,

    /// Exit after this long without a message (e.g. 5s)
    #[arg(long, value_parser = crate::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Print JSON lines (for jq) instead of human output
    #[arg(long)]
    pub json: bool,

    /// Copy each rejected message, untouched, to this topic (created if missing), with headers
    /// naming its source topic, partition, offset and the reason
    #[arg(long, value_name = "TOPIC")]
    pub dead_letter_topic: Option<String>,
}

impl ConsumeArgs {
    /// The topics asked for: all three unless --topics names some.
    pub fn topic_kinds(&self) -> Vec<TopicKind> {
        if self.topics.is_empty() {
            <TopicKind as strum::VariantArray>::VARIANTS.to_vec()
        } else {
            self.topics.clone()
        }
    }
}

fn parse_topic_kind(text: &str) -> Result<TopicKind, String> {
    text.trim().parse().map_err(|_| {
        format!("unknown topic {text:?}: expected product-events, purchases or user-events")
    })
}

/// One message, decoded or rejected.
pub struct Incoming<'m> {
    pub kind: TopicKind,
    /// The topic's name, read once from the message (librdkafka hands it over as a C string).
    topic: &'m str,
    pub message: &'m BorrowedMessage<'m>,
    pub decoded: Result<Event<'m>, DecodeError>,
}

impl Incoming<'_> {
    pub fn topic(&self) -> &str {
        self.topic
    }

    pub fn partition(&self) -> i32 {
        self.message.partition()
    }

    pub fn offset(&self) -> i64 {
        self.message.offset()
    }

    pub fn key(&self) -> Option<String> {
        self.message
            .key()
            .map(|k| String::from_utf8_lossy(k).into_owned())
    }
}

/// What a tool does with the messages.
pub trait Handler {
    /// Handles one message; its offset is stored only after this returned Ok.
    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()>;

    /// Called when no message arrived for a moment (or a poll brought an error instead).
    fn idle(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Why consumption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    MaxMessages,
    Idle,
    Interrupted,
}

pub struct Session {
    pub consumer: EventConsumer,
    pub subscription: Subscription,
    dead_letters: Option<DeadLetters>,
    stop: Arc<AtomicBool>,
}

impl Session {
    pub fn connect(
        settings: &Settings,
        connect_timeout: Duration,
        args: &ConsumeArgs,
        default_group: &str,
        client_id: &str,
        assigned_from: Option<BTreeMap<String, BTreeMap<i32, i64>>>,
    ) -> anyhow::Result<Session> {
        let subscription = Subscription {
            topics: args.topic_kinds(),
            group: args
                .group
                .clone()
                .unwrap_or_else(|| default_group.to_string()),
            from_beginning: args.from_beginning,
            assigned_from,
        };
        let consumer = EventConsumer::connect(settings, connect_timeout, &subscription, client_id)?;
        let dead_letters = match &args.dead_letter_topic {
            Some(topic) => Some(dead_letters(settings, connect_timeout, topic)?),
            None => None,
        };
        let stop = crate::stop_on_ctrl_c()?;
        Ok(Session {
            consumer,
            subscription,
            dead_letters,
            stop,
        })
    }

    /// Consumes until --max-messages, --timeout of idleness or Ctrl-C. Each message goes to
    /// `handle`, and its offset is stored only after `handle` returned; at the end every stored
    /// offset is committed.
    pub fn run(&self, args: &ConsumeArgs, handler: &mut impl Handler) -> anyhow::Result<Ending> {
        let mut seen: u64 = 0;
        // Since when no message has come; read from the clock only when a poll comes back empty,
        // not once per message.
        let mut idle_since: Option<Instant> = None;
        let ending = loop {
            if self.stop.load(Ordering::Relaxed) {
                break Ending::Interrupted;
            }
            if args.max_messages.is_some_and(|max| seen >= max) {
                break Ending::MaxMessages;
            }
            let message = match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => message,
                nothing_or_error => {
                    if let Some(Err(error)) = nothing_or_error {
                        // Transient broker trouble is retried by librdkafka; say it and go on.
                        tracing::warn!("consumer: {error}");
                    }
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if args.timeout.is_some_and(|t| since.elapsed() >= t) {
                        break Ending::Idle;
                    }
                    handler.idle()?;
                    continue;
                }
            };
            idle_since = None;
            seen += 1;
            let topic = message.topic();
            let Some(kind) = self.consumer.kind_of(topic) else {
                continue;
            };
            let decoded = decode(message.payload().unwrap_or_default(), Some(kind));
            if let (Err(reason), Some(dead_letters)) = (&decoded, &self.dead_letters) {
                dead_letters.send(&message, reason)?;
            }
            handler.message(Incoming {
                kind,
                topic,
                message: &message,
                decoded,
            })?;
            self.consumer.processed(&message)?;
        };
        tracing::debug!("stopped consuming ({ending:?}) after {seen} messages; committing offsets");
        self.consumer.commit()?;
        tracing::debug!("offsets committed");
        Ok(ending)
    }
}

/// The dead-letter writer, creating its topic (like setup-topics would) when it is missing.
fn dead_letters(
    settings: &Settings,
    timeout: Duration,
    topic: &str,
) -> anyhow::Result<DeadLetters> {
    let admin = TopicAdmin::connect(settings, timeout)?;
    if admin.describe(&[topic])?.is_empty() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()?;
        runtime.block_on(admin.create(
            &[topic],
            settings.partitions,
            settings.replication_factor,
        ))?;
        tracing::info!("created dead-letter topic {topic}");
    }
    Ok(DeadLetters::new(settings, topic, timeout)?)
}
