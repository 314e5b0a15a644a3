//! Dead letters: a rejected message (or one that came too late for its window of event time) is
//! copied, untouched (key, value and headers), to a topic of its own, with headers naming where it
//! came from and why it was set aside.

use std::time::Duration;

use std::sync::Mutex;

use rdkafka::client::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, DeliveryResult, Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};

use crate::client::{ShopContext, client_config_with};
use crate::settings::Settings;
use shopstream_core::DecodeError;

/// Header names added to each dead letter.
pub const SOURCE_TOPIC: &str = "shopstream.source.topic";
pub const SOURCE_PARTITION: &str = "shopstream.source.partition";
pub const SOURCE_OFFSET: &str = "shopstream.source.offset";
pub const REJECT_KIND: &str = "shopstream.reject.kind";
pub const REJECT_REASON: &str = "shopstream.reject.reason";

/// Remembers the delivery outcome of the dead letter in flight.
#[derive(Default)]
struct DeliveryOutcome {
    shop: ShopContext,
    failure: Mutex<Option<KafkaError>>,
}

impl ClientContext for DeliveryOutcome {
    fn log(&self, level: rdkafka::config::RDKafkaLogLevel, fac: &str, message: &str) {
        self.shop.log(level, fac, message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.shop.error(error, reason);
    }
}

impl ProducerContext for DeliveryOutcome {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let (Err((error, _)), Ok(mut failure)) = (result, self.failure.lock()) {
            *failure = Some(error.clone());
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DeadLetterError {
    #[error("cannot create the dead-letter producer: {0}")]
    Create(KafkaError),
    #[error("cannot write a dead letter to {topic}: {error}")]
    Send { topic: String, error: KafkaError },
}

pub struct DeadLetters {
    producer: BaseProducer<DeliveryOutcome>,
    topic: String,
    timeout: Duration,
    /// One send at a time: the outcome slot belongs to the letter in flight (consumers reading on
    /// several threads share this writer).
    sending: Mutex<()>,
}

impl DeadLetters {
    pub fn new(
        settings: &Settings,
        topic: &str,
        timeout: Duration,
    ) -> Result<DeadLetters, DeadLetterError> {
        let config = client_config_with(
            settings,
            "shopstream-dead-letters",
            &[("enable.idempotence", "true")],
        );
        let producer = config
            .create_with_context(DeliveryOutcome::default())
            .map_err(DeadLetterError::Create)?;
        Ok(DeadLetters {
            producer,
            topic: topic.to_string(),
            timeout,
            sending: Mutex::new(()),
        })
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Copies a rejected `message` (see [`DeadLetters::send_as`]).
    pub fn send(
        &self,
        message: &BorrowedMessage<'_>,
        reason: &DecodeError,
    ) -> Result<(), DeadLetterError> {
        self.send_as(message, reason.kind(), &reason.to_string())
    }

    /// Copies `message`, set aside as `kind` (a rejection's kind, or `too_late`) for `reason`,
    /// and waits until the broker has it: only then may the caller store the source offset, so
    /// a dead letter is never lost (they are rare; waiting is cheap).
    pub fn send_as(
        &self,
        message: &BorrowedMessage<'_>,
        kind: &str,
        reason: &str,
    ) -> Result<(), DeadLetterError> {
        let error = |error| DeadLetterError::Send {
            topic: self.topic.clone(),
            error,
        };
        let mut headers = OwnedHeaders::new();
        if let Some(original) = message.headers() {
            for header in original.iter() {
                headers = headers.insert(Header {
                    key: header.key,
                    value: header.value,
                });
            }
        }
        let partition = message.partition().to_string();
        let offset = message.offset().to_string();
        for (key, value) in [
            (SOURCE_TOPIC, message.topic()),
            (SOURCE_PARTITION, partition.as_str()),
            (SOURCE_OFFSET, offset.as_str()),
            (REJECT_KIND, kind),
            (REJECT_REASON, reason),
        ] {
            headers = headers.insert(Header {
                key,
                value: Some(value),
            });
        }
        let mut record: BaseRecord<'_, [u8], [u8]> = BaseRecord::to(&self.topic).headers(headers);
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        if let Some(payload) = message.payload() {
            record = record.payload(payload);
        }
        // A poisoned lock only means another thread panicked mid-send; the slot is still usable.
        let _sending = self
            .sending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.producer
            .send(record)
            .map_err(|(source, _)| error(source))?;
        self.producer.flush(self.timeout).map_err(error)?;
        match self
            .producer
            .context()
            .failure
            .lock()
            .ok()
            .and_then(|mut f| f.take())
        {
            Some(source) => Err(error(source)),
            None => Ok(()),
        }
    }
}
