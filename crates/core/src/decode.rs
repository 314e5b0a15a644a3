//! The strict decoder: message bytes to an [`Event`], or the reason they are not one.
//!
//! Two readers fill the same [`RawEvent`], and one `validate` turns it into an event or a
//! reason: the fast [`flat`] reader for the flat objects producers write, and serde_json for
//! everything else (so a message that is not JSON, or has a field of the wrong type, is explained
//! by serde_json, naming the field). The fast reader only ever answers "this object" or "not for
//! me", so both paths give the same answer, event or reason, for every message.

use std::borrow::Cow;

use uuid::Uuid;

use crate::event::{Details, Event, ProductInfo};
use crate::money::Money;
use crate::timestamp::Timestamp;
use crate::vocab::{EventType, TopicKind};

mod flat;
mod raw;

use self::raw::{RawEvent, Text};

/// Why a message is not an event. Each variant is one reason a report can name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty message")]
    Empty,
    #[error("not valid UTF-8 (first bad byte at offset {offset})")]
    InvalidUtf8 { offset: usize },
    #[error("not valid JSON: {0}")]
    InvalidJson(String),
    #[error("not a JSON object")]
    NotAnObject,
    #[error("field `{field}` has the wrong type: {detail}")]
    WrongType { field: String, detail: String },
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    #[error("unknown event_type \"{0}\"")]
    UnknownEventType(String),
    #[error("field `{field}` {reason}")]
    InvalidValue { field: &'static str, reason: String },
    #[error("event_type \"{event_type}\" does not belong on the {topic} topic")]
    WrongTopic {
        event_type: EventType,
        topic: TopicKind,
    },
}

impl DecodeError {
    /// A short stable name for the kind of rejection, for counting and for headers.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::Empty => "empty",
            DecodeError::InvalidUtf8 { .. } => "invalid_utf8",
            DecodeError::InvalidJson(_) => "invalid_json",
            DecodeError::NotAnObject => "not_an_object",
            DecodeError::WrongType { .. } => "wrong_type",
            DecodeError::MissingField(_) => "missing_field",
            DecodeError::UnknownEventType(_) => "unknown_event_type",
            DecodeError::InvalidValue { .. } => "invalid_value",
            DecodeError::WrongTopic { .. } => "wrong_topic",
        }
    }
}

/// Longest accepted text field; a longer one is corrupt or hostile, not a name.
pub const MAX_TEXT_LEN: usize = 1024;
/// Largest accepted quantity in one event.
pub const MAX_QUANTITY: u32 = 1_000_000;

/// Decodes one message value; `expected_topic` (when the caller knows it) rejects events of
/// another topic's type.
pub fn decode(bytes: &[u8], expected_topic: Option<TopicKind>) -> Result<Event<'_>, DecodeError> {
    decode_with(bytes, expected_topic, Readers::FlatFirst)
}

/// [`decode`] without the fast reader: serde_json reads every message. Same results, slower;
/// the tests and the fuzzer hold the two to each other.
pub fn decode_general(
    bytes: &[u8],
    expected_topic: Option<TopicKind>,
) -> Result<Event<'_>, DecodeError> {
    decode_with(bytes, expected_topic, Readers::GeneralOnly)
}

enum Readers {
    FlatFirst,
    GeneralOnly,
}

fn decode_with(
    bytes: &[u8],
    expected_topic: Option<TopicKind>,
    readers: Readers,
) -> Result<Event<'_>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    // simdutf8 checks a whole message in a few vector steps; std says where a bad one goes wrong.
    let text = match simdutf8::basic::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            let offset = std::str::from_utf8(bytes)
                .err()
                .map_or(0, |e| e.valid_up_to());
            return Err(DecodeError::InvalidUtf8 { offset });
        }
    };
    let mut raw = RawEvent::default();
    let read_flat = match readers {
        Readers::FlatFirst => flat::read_into(text, &mut raw).is_some(),
        Readers::GeneralOnly => false,
    };
    if !read_flat {
        raw = read_general(text)?;
    }
    let event = raw.validate()?;
    if let Some(topic) = expected_topic
        && event.topic() != topic
    {
        return Err(DecodeError::WrongTopic {
            event_type: event.event_type(),
            topic,
        });
    }
    Ok(event)
}

/// serde_json's reading of any JSON text, with a reason for what is not an object of fields.
fn read_general(text: &str) -> Result<RawEvent<'_>, DecodeError> {
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(explain_rejection(text.as_bytes()));
    }
    serde_json::from_str(text).map_err(|e| json_error(text, e))
}

/// Why a message that does not start like a JSON object is not an event.
fn explain_rejection(bytes: &[u8]) -> DecodeError {
    match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        // A derived struct would also accept a JSON array of its fields; an event is an object.
        Ok(_) => DecodeError::NotAnObject,
        Err(e) => DecodeError::InvalidJson(e.to_string()),
    }
}

/// Turns a serde error into a reason; on the (cold) error path, parses again to name the field.
fn json_error(text: &str, error: serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    match error.classify() {
        Category::Data => {
            let mut de = serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, RawEvent<'_>>(&mut de) {
                Err(e) if !e.path().to_string().is_empty() && e.path().to_string() != "." => {
                    DecodeError::WrongType {
                        field: e.path().to_string(),
                        detail: strip_position(&e.inner().to_string()),
                    }
                }
                _ => DecodeError::NotAnObject,
            }
        }
        _ => DecodeError::InvalidJson(error.to_string()),
    }
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn required<T>(value: Option<T>, field: &'static str) -> Result<T, DecodeError> {
    value.ok_or(DecodeError::MissingField(field))
}

fn text<'a>(value: Option<Text<'a>>, field: &'static str) -> Result<Cow<'a, str>, DecodeError> {
    let value = required(value, field)?.0;
    check_text(&value, field)?;
    Ok(value)
}

fn check_text(value: &str, field: &'static str) -> Result<(), DecodeError> {
    // As `trim().is_empty()`; most texts start with a visible ASCII character, which settles it.
    let blank = match value.as_bytes().first() {
        Some(first) if first.is_ascii_graphic() => false,
        _ => value.chars().all(char::is_whitespace),
    };
    let reason = if blank {
        "is empty"
    } else if value.len() > MAX_TEXT_LEN {
        "is longer than 1024 bytes"
    } else {
        return Ok(());
    };
    Err(DecodeError::InvalidValue {
        field,
        reason: reason.to_string(),
    })
}

fn word<T: std::str::FromStr>(
    value: Option<Text<'_>>,
    field: &'static str,
) -> Result<T, DecodeError> {
    let value = required(value, field)?.0;
    value.parse().map_err(|_| DecodeError::InvalidValue {
        field,
        reason: format!(
            "has unknown value \"{}\"",
            value.chars().take(64).collect::<String>()
        ),
    })
}

fn money(value: Option<f64>, field: &'static str) -> Result<Money, DecodeError> {
    Money::from_decimal(required(value, field)?).map_err(|e| DecodeError::InvalidValue {
        field,
        reason: e.to_string(),
    })
}

fn quantity(value: Option<u32>) -> Result<u32, DecodeError> {
    let quantity = required(value, "quantity")?;
    if quantity == 0 || quantity > MAX_QUANTITY {
        return Err(DecodeError::InvalidValue {
            field: "quantity",
            reason: format!("is {quantity}, outside 1..={MAX_QUANTITY}"),
        });
    }
    Ok(quantity)
}

impl<'a> RawEvent<'a> {
    /// Takes the fields out (the struct is large: moving it whole showed in profiles).
    fn validate(&mut self) -> Result<Event<'a>, DecodeError> {
        let event_type_text = required(self.event_type.take(), "event_type")?.0;
        let event_type: EventType = event_type_text.parse().map_err(|_| {
            DecodeError::UnknownEventType(event_type_text.chars().take(64).collect())
        })?;
        let event_id = required(self.event_id.take(), "event_id")?.0;
        let event_id = Uuid::try_parse(&event_id).map_err(|_| DecodeError::InvalidValue {
            field: "event_id",
            reason: "is not a UUID".to_string(),
        })?;
        let timestamp = Timestamp::parse(&required(self.timestamp.take(), "timestamp")?.0)
            .map_err(|e| DecodeError::InvalidValue {
                field: "timestamp",
                reason: e.to_string(),
            })?;
        let user_id = text(self.user_id.take(), "user_id")?;
        let session_id = text(self.session_id.take(), "session_id")?;
        let region = word(self.region.take(), "region")?;
        let customer_type = word(self.customer_type.take(), "customer_type")?;
        // The common fields come first, so their errors win over the details' (as before).
        let details = self.details(event_type)?;
        Ok(Event {
            event_id,
            timestamp,
            user_id,
            session_id,
            region,
            customer_type,
            details,
        })
    }

    /// The fields of this event type.
    fn details(&mut self, event_type: EventType) -> Result<Details<'a>, DecodeError> {
        Ok(match event_type {
            EventType::View | EventType::AddToCart | EventType::RemoveFromCart => {
                self.cart_details(event_type)?
            }
            EventType::Purchase => self.purchase()?,
            EventType::Login => Details::Login {
                device: word(self.device.take(), "device")?,
            },
            EventType::Logout => Details::Logout,
            EventType::Search => self.search()?,
            EventType::ProfileUpdate => self.profile_update()?,
        })
    }

    fn product(&mut self) -> Result<ProductInfo<'a>, DecodeError> {
        Ok(ProductInfo {
            product_id: text(self.product_id.take(), "product_id")?,
            product_name: text(self.product_name.take(), "product_name")?,
            category: text(self.category.take(), "category")?,
            price: money(self.price.take(), "price")?,
        })
    }

    /// A view, an add to cart or a remove from cart: a product and its brand.
    fn cart_details(&mut self, event_type: EventType) -> Result<Details<'a>, DecodeError> {
        let product = self.product()?;
        let brand = text(self.brand.take(), "brand")?;
        Ok(match event_type {
            EventType::View => Details::View { product, brand },
            EventType::AddToCart => Details::AddToCart {
                product,
                brand,
                quantity: quantity(self.quantity.take())?,
            },
            _ => Details::RemoveFromCart {
                product,
                brand,
                quantity: quantity(self.quantity.take())?,
            },
        })
    }

    /// A purchase, whose total must be exactly price x quantity.
    fn purchase(&mut self) -> Result<Details<'a>, DecodeError> {
        let order_id = text(self.order_id.take(), "order_id")?;
        let product = self.product()?;
        let quantity = quantity(self.quantity.take())?;
        let total = money(self.total.take(), "total")?;
        let expected = product.price.checked_mul(quantity);
        if expected != Some(total) {
            return Err(DecodeError::InvalidValue {
                field: "total",
                reason: format!(
                    "is {total}, not price x quantity ({} x {quantity})",
                    product.price
                ),
            });
        }
        Ok(Details::Purchase {
            order_id,
            product,
            quantity,
            total,
            payment_method: word(self.payment_method.take(), "payment_method")?,
        })
    }

    fn search(&mut self) -> Result<Details<'a>, DecodeError> {
        let query = required(self.query.take(), "query")?.0;
        if query.len() > MAX_TEXT_LEN {
            check_text(&query, "query")?;
        }
        Ok(Details::Search {
            query,
            results_count: required(self.results_count.take(), "results_count")?,
        })
    }

    fn profile_update(&mut self) -> Result<Details<'a>, DecodeError> {
        let fields_updated: Vec<Cow<'a, str>> =
            required(self.fields_updated.take(), "fields_updated")?
                .into_iter()
                .map(|t| t.0)
                .collect();
        for field in &fields_updated {
            check_text(field, "fields_updated")?;
        }
        Ok(Details::ProfileUpdate { fields_updated })
    }
}

#[cfg(test)]
mod tests;
