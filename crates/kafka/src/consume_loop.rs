//! The consume loop both consumers share: poll, decode (a bad message becomes a rejection, never
//! a crash), copy rejections to the dead-letter topic, hand each message to a [`Handler`], then
//! store its offset (at least once).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message};
use rdkafka::types::RDKafkaErrorCode;
use shopstream_core::{DecodeError, Event, TopicKind, decode};

use crate::admin::{self, AdminError, Cleanup, TopicShape};
use crate::dead_letter::{DeadLetterError, DeadLetters};
use crate::group_consumer::{ConsumerError, EventConsumer, Subscription};
use crate::settings::Settings;

/// One message, decoded or rejected.
pub struct Incoming<'m> {
    pub kind: TopicKind,
    /// The topic's name, read once from the message (librdkafka hands it over as a C string).
    topic: &'m str,
    pub message: &'m BorrowedMessage<'m>,
    pub decoded: Result<Event<'m>, DecodeError>,
    /// The dead-letter writer, when the tool was given a topic for them.
    dead_letters: Option<&'m DeadLetters>,
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

    /// Copies this message to the dead-letter topic, set aside as `kind` for `reason`, and waits
    /// for the broker to have it (the offset is stored only after the handler returns). Returns
    /// whether there is such a topic.
    pub fn set_aside(&self, kind: &str, reason: &str) -> Result<bool, ConsumeError> {
        match self.dead_letters {
            Some(dead_letters) => {
                dead_letters.send_as(self.message, kind, reason)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// What a tool does with the messages. The loop's own errors become the handler's error type, so
/// a tool sees one kind of error from [`Session::run`].
pub trait Handler {
    type Error: From<ConsumeError>;

    /// Handles one message; its offset is stored only after this returned Ok.
    fn message(&mut self, incoming: Incoming<'_>) -> Result<(), Self::Error>;

    /// Called when no message arrived for a moment (or a poll brought an error instead).
    fn idle(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

/// When the loop ends by itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// Stop after this many messages (valid or rejected).
    pub max_messages: Option<u64>,
    /// Stop after this long without a message.
    pub idle_timeout: Option<Duration>,
}

/// Why consumption ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    MaxMessages,
    Idle,
    Interrupted,
}

#[derive(Debug, thiserror::Error)]
pub enum ConsumeError {
    #[error(transparent)]
    Consumer(#[from] ConsumerError),
    #[error(transparent)]
    DeadLetter(#[from] DeadLetterError),
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("cannot start a reader thread: {0}")]
    Thread(#[source] std::io::Error),
    #[error(
        "not authorized to read as consumer group {group} (the broker's ACLs must allow this user to read with that group)"
    )]
    GroupNotAuthorized { group: String },
    #[error(
        "not authorized to read {topics} (the broker's ACLs must allow this user to read them)"
    )]
    TopicNotAuthorized { topics: String },
    #[error(
        "{0}: the offset to go on from is out of range (the events after the group's last commit \
         were deleted by retention, or the topic was recreated); the figures cannot be exact, \
         start over with a new --group"
    )]
    OffsetOutOfRange(String),
}

/// A subscribed consumer, its dead-letter writer if any, and the flag that stops it.
pub struct Session {
    pub consumer: EventConsumer,
    pub subscription: Subscription,
    dead_letters: Option<DeadLetters>,
    stop: Arc<AtomicBool>,
}

impl Session {
    /// Connects and subscribes; with a `dead_letter_topic`, also the writer for it (creating the
    /// topic like setup-topics would when it is missing). Raising `stop` ends [`Session::run`].
    pub fn connect(
        settings: &Settings,
        connect_timeout: Duration,
        subscription: Subscription,
        client_id: &str,
        dead_letter_topic: Option<&str>,
        stop: Arc<AtomicBool>,
    ) -> Result<Session, ConsumeError> {
        let consumer = EventConsumer::connect(settings, connect_timeout, &subscription, client_id)?;
        let dead_letters = match dead_letter_topic {
            Some(topic) => Some(dead_letters(settings, connect_timeout, topic)?),
            None => None,
        };
        Ok(Session {
            consumer,
            subscription,
            dead_letters,
            stop,
        })
    }

    /// Consumes until `limits` or the stop flag end it. Each message goes to `handler`, and its
    /// offset is stored only after the handler returned; at the end every stored offset is
    /// committed.
    pub fn run<H: Handler>(&self, limits: &Limits, handler: &mut H) -> Result<Ending, H::Error> {
        let mut seen: u64 = 0;
        // Since when no message has come; read from the clock only when a poll comes back empty,
        // not once per message.
        let mut idle_since: Option<Instant> = None;
        let ending = loop {
            if self.stop.load(Ordering::Relaxed) {
                break Ending::Interrupted;
            }
            if limits.max_messages.is_some_and(|max| seen >= max) {
                break Ending::MaxMessages;
            }
            let message = match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) => message,
                nothing_or_error => {
                    if let Some(Err(error)) = nothing_or_error {
                        // Refused ACLs will not mend by waiting; other broker trouble is retried by
                        // librdkafka: say it and go on.
                        self.stop_if_not_authorized(&error)?;
                        tracing::warn!("consumer: {error}");
                    }
                    let since = *idle_since.get_or_insert_with(Instant::now);
                    if limits.idle_timeout.is_some_and(|t| since.elapsed() >= t) {
                        break Ending::Idle;
                    }
                    let busy = Instant::now();
                    handler.idle()?;
                    not_idle_while_busy(&mut idle_since, busy);
                    continue;
                }
            };
            idle_since = None;
            seen += 1;
            self.handle(&message, handler)?;
        };
        tracing::debug!("stopped consuming ({ending:?}) after {seen} messages; committing offsets");
        self.consumer.commit().map_err(ConsumeError::from)?;
        tracing::debug!("offsets committed");
        Ok(ending)
    }
}

impl Session {
    /// Decodes one message, copies a rejection to the dead-letter topic, hands the message to
    /// `handler`, then stores its offset.
    fn handle<H: Handler>(
        &self,
        message: &BorrowedMessage<'_>,
        handler: &mut H,
    ) -> Result<(), H::Error> {
        let topic = message.topic();
        let Some(kind) = self.consumer.kind_of(topic) else {
            return Ok(());
        };
        let decoded = decode(message.payload().unwrap_or_default(), Some(kind));
        if let (Err(reason), Some(dead_letters)) = (&decoded, &self.dead_letters) {
            dead_letters
                .send(message, reason)
                .map_err(ConsumeError::from)?;
        }
        handler.message(Incoming {
            kind,
            topic,
            message,
            decoded,
            dead_letters: self.dead_letters.as_ref(),
        })?;
        self.consumer
            .processed(message)
            .map_err(ConsumeError::from)?;
        Ok(())
    }

    fn stop_if_not_authorized(&self, error: &KafkaError) -> Result<(), ConsumeError> {
        match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::GroupAuthorizationFailed) => {
                Err(ConsumeError::GroupNotAuthorized {
                    group: self.subscription.group.clone(),
                })
            }
            Some(RDKafkaErrorCode::AutoOffsetReset) => {
                Err(ConsumeError::OffsetOutOfRange(error.to_string()))
            }
            Some(RDKafkaErrorCode::TopicAuthorizationFailed) => {
                Err(ConsumeError::TopicNotAuthorized {
                    topics: self
                        .subscription
                        .topics
                        .iter()
                        .map(|&kind| self.consumer.topic_name(kind))
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            }
            _ => Ok(()),
        }
    }
}

/// Time the handler spent busy (a commit waiting for a broker that is coming back, say) is not
/// time without messages: the idle clock moves on by that much, so that --timeout does not end a
/// consumer that was working, not waiting.
fn not_idle_while_busy(idle_since: &mut Option<Instant>, busy: Instant) {
    if let Some(since) = idle_since {
        *since += busy.elapsed();
    }
}

/// The dead-letter writer, creating its topic (like setup-topics would) when it is missing.
fn dead_letters(
    settings: &Settings,
    timeout: Duration,
    topic: &str,
) -> Result<DeadLetters, ConsumeError> {
    let shape = TopicShape::of(settings);
    if admin::ensure_topic(settings, topic, shape, Cleanup::Delete, timeout)?.created() {
        tracing::info!("created dead-letter topic {topic}");
    }
    Ok(DeadLetters::new(settings, topic, timeout)?)
}

pub mod threads;

#[cfg(test)]
mod tests;
