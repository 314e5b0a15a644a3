//! The event model: one type for the three topics, its JSON encoding, and a strict decoder that
//! says why it rejects a message.
//!
//! Strings borrow from the catalog when producing and from the message when decoding, so neither
//! side allocates per field on its hot path.

use std::borrow::Cow;

use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Money;
use crate::timestamp::Timestamp;
use crate::vocab::{CustomerType, Device, EventType, PaymentMethod, Region, TopicKind};

/// One event, as it travels on any of the three topics.
#[derive(Debug, Clone, PartialEq)]
pub struct Event<'a> {
    pub event_id: Uuid,
    pub timestamp: Timestamp,
    pub user_id: Cow<'a, str>,
    pub session_id: Cow<'a, str>,
    pub region: Region,
    pub customer_type: CustomerType,
    pub details: Details<'a>,
}

/// The product fields that product events and purchases share.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductInfo<'a> {
    pub product_id: Cow<'a, str>,
    pub product_name: Cow<'a, str>,
    pub category: Cow<'a, str>,
    pub price: Money,
}

/// What happened, with the fields of that event type.
#[derive(Debug, Clone, PartialEq)]
pub enum Details<'a> {
    View {
        product: ProductInfo<'a>,
        brand: Cow<'a, str>,
    },
    AddToCart {
        product: ProductInfo<'a>,
        brand: Cow<'a, str>,
        quantity: u32,
    },
    RemoveFromCart {
        product: ProductInfo<'a>,
        brand: Cow<'a, str>,
        quantity: u32,
    },
    Purchase {
        order_id: Cow<'a, str>,
        product: ProductInfo<'a>,
        quantity: u32,
        total: Money,
        payment_method: PaymentMethod,
    },
    Login {
        device: Device,
    },
    Logout,
    Search {
        query: Cow<'a, str>,
        results_count: u32,
    },
    ProfileUpdate {
        fields_updated: Vec<Cow<'a, str>>,
    },
}

impl Details<'_> {
    pub fn event_type(&self) -> EventType {
        match self {
            Details::View { .. } => EventType::View,
            Details::AddToCart { .. } => EventType::AddToCart,
            Details::RemoveFromCart { .. } => EventType::RemoveFromCart,
            Details::Purchase { .. } => EventType::Purchase,
            Details::Login { .. } => EventType::Login,
            Details::Logout => EventType::Logout,
            Details::Search { .. } => EventType::Search,
            Details::ProfileUpdate { .. } => EventType::ProfileUpdate,
        }
    }

    /// The product this event is about, if any.
    pub fn product(&self) -> Option<&ProductInfo<'_>> {
        match self {
            Details::View { product, .. }
            | Details::AddToCart { product, .. }
            | Details::RemoveFromCart { product, .. }
            | Details::Purchase { product, .. } => Some(product),
            _ => None,
        }
    }
}

impl Event<'_> {
    pub fn event_type(&self) -> EventType {
        self.details.event_type()
    }

    pub fn topic(&self) -> TopicKind {
        self.event_type().topic()
    }

    /// Appends the JSON form to `buf` (which the caller reuses between events).
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        // Serializing plain strings and numbers into a Vec cannot fail.
        let _ = serde_json::to_writer(buf, self);
    }

    pub fn to_json(&self) -> String {
        let mut buf = Vec::with_capacity(320);
        self.encode_into(&mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }

    /// A copy that owns its strings, for keeping past the message it was decoded from.
    pub fn into_owned(self) -> Event<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        fn own_product(p: ProductInfo<'_>) -> ProductInfo<'static> {
            ProductInfo {
                product_id: own(p.product_id),
                product_name: own(p.product_name),
                category: own(p.category),
                price: p.price,
            }
        }
        let details = match self.details {
            Details::View { product, brand } => Details::View {
                product: own_product(product),
                brand: own(brand),
            },
            Details::AddToCart {
                product,
                brand,
                quantity,
            } => Details::AddToCart {
                product: own_product(product),
                brand: own(brand),
                quantity,
            },
            Details::RemoveFromCart {
                product,
                brand,
                quantity,
            } => Details::RemoveFromCart {
                product: own_product(product),
                brand: own(brand),
                quantity,
            },
            Details::Purchase {
                order_id,
                product,
                quantity,
                total,
                payment_method,
            } => Details::Purchase {
                order_id: own(order_id),
                product: own_product(product),
                quantity,
                total,
                payment_method,
            },
            Details::Login { device } => Details::Login { device },
            Details::Logout => Details::Logout,
            Details::Search {
                query,
                results_count,
            } => Details::Search {
                query: own(query),
                results_count,
            },
            Details::ProfileUpdate { fields_updated } => Details::ProfileUpdate {
                fields_updated: fields_updated.into_iter().map(own).collect(),
            },
        };
        Event {
            event_id: self.event_id,
            timestamp: self.timestamp,
            user_id: own(self.user_id),
            session_id: own(self.session_id),
            region: self.region,
            customer_type: self.customer_type,
            details,
        }
    }
}

impl Serialize for Event<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("event_id", &self.event_id)?;
        map.serialize_entry("event_type", &self.event_type())?;
        map.serialize_entry("timestamp", &self.timestamp)?;
        map.serialize_entry("user_id", &self.user_id)?;
        map.serialize_entry("session_id", &self.session_id)?;
        map.serialize_entry("region", &self.region)?;
        map.serialize_entry("customer_type", &self.customer_type)?;
        let product_fields = |map: &mut S::SerializeMap, p: &ProductInfo<'_>| {
            map.serialize_entry("product_id", &p.product_id)?;
            map.serialize_entry("product_name", &p.product_name)?;
            map.serialize_entry("category", &p.category)?;
            map.serialize_entry("price", &p.price)
        };
        match &self.details {
            Details::View { product, brand } => {
                product_fields(&mut map, product)?;
                map.serialize_entry("brand", brand)?;
            }
            Details::AddToCart {
                product,
                brand,
                quantity,
            }
            | Details::RemoveFromCart {
                product,
                brand,
                quantity,
            } => {
                product_fields(&mut map, product)?;
                map.serialize_entry("brand", brand)?;
                map.serialize_entry("quantity", quantity)?;
            }
            Details::Purchase {
                order_id,
                product,
                quantity,
                total,
                payment_method,
            } => {
                map.serialize_entry("order_id", order_id)?;
                product_fields(&mut map, product)?;
                map.serialize_entry("quantity", quantity)?;
                map.serialize_entry("total", total)?;
                map.serialize_entry("payment_method", payment_method)?;
            }
            Details::Login { device } => map.serialize_entry("device", device)?,
            Details::Logout => {}
            Details::Search {
                query,
                results_count,
            } => {
                map.serialize_entry("query", query)?;
                map.serialize_entry("results_count", results_count)?;
            }
            Details::ProfileUpdate { fields_updated } => {
                map.serialize_entry("fields_updated", fields_updated)?;
            }
        }
        map.end()
    }
}

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
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    let text = std::str::from_utf8(bytes).map_err(|e| DecodeError::InvalidUtf8 {
        offset: e.valid_up_to(),
    })?;
    if text.trim_start().as_bytes().first() != Some(&b'{') {
        return Err(explain_rejection(bytes));
    }
    let raw: RawEvent<'_> = serde_json::from_str(text).map_err(|e| json_error(text, e))?;
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

/// A string from the message: borrowed when it has no escapes (the common case), owned when
/// serde_json had to unescape it. serde's own `Cow` impl always copies inside an `Option`.
#[derive(Debug)]
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for Visitor<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(Visitor(std::marker::PhantomData))
    }
}

/// Every field any event type may carry, as it arrives; `validate` decides what is required.
#[derive(Deserialize)]
struct RawEvent<'a> {
    #[serde(borrow)]
    event_id: Option<Text<'a>>,
    #[serde(borrow)]
    event_type: Option<Text<'a>>,
    #[serde(borrow)]
    timestamp: Option<Text<'a>>,
    #[serde(borrow)]
    user_id: Option<Text<'a>>,
    #[serde(borrow)]
    session_id: Option<Text<'a>>,
    #[serde(borrow)]
    region: Option<Text<'a>>,
    #[serde(borrow)]
    customer_type: Option<Text<'a>>,
    #[serde(borrow)]
    product_id: Option<Text<'a>>,
    #[serde(borrow)]
    product_name: Option<Text<'a>>,
    #[serde(borrow)]
    category: Option<Text<'a>>,
    #[serde(borrow)]
    brand: Option<Text<'a>>,
    price: Option<f64>,
    quantity: Option<u32>,
    #[serde(borrow)]
    order_id: Option<Text<'a>>,
    total: Option<f64>,
    #[serde(borrow)]
    payment_method: Option<Text<'a>>,
    #[serde(borrow)]
    device: Option<Text<'a>>,
    #[serde(borrow)]
    query: Option<Text<'a>>,
    results_count: Option<u32>,
    #[serde(borrow)]
    fields_updated: Option<Vec<Text<'a>>>,
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
    let reason = if value.trim().is_empty() {
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
    fn validate(self) -> Result<Event<'a>, DecodeError> {
        let event_type_text = required(self.event_type, "event_type")?.0;
        let event_type: EventType = event_type_text.parse().map_err(|_| {
            DecodeError::UnknownEventType(event_type_text.chars().take(64).collect())
        })?;
        let event_id = required(self.event_id, "event_id")?.0;
        let event_id = Uuid::try_parse(&event_id).map_err(|_| DecodeError::InvalidValue {
            field: "event_id",
            reason: "is not a UUID".to_string(),
        })?;
        let timestamp =
            Timestamp::parse(&required(self.timestamp, "timestamp")?.0).map_err(|e| {
                DecodeError::InvalidValue {
                    field: "timestamp",
                    reason: e.to_string(),
                }
            })?;
        let user_id = text(self.user_id, "user_id")?;
        let session_id = text(self.session_id, "session_id")?;
        let region = word(self.region, "region")?;
        let customer_type = word(self.customer_type, "customer_type")?;

        let product = |raw_id, raw_name, raw_category, raw_price| -> Result<_, DecodeError> {
            Ok(ProductInfo {
                product_id: text(raw_id, "product_id")?,
                product_name: text(raw_name, "product_name")?,
                category: text(raw_category, "category")?,
                price: money(raw_price, "price")?,
            })
        };
        let details = match event_type {
            EventType::View | EventType::AddToCart | EventType::RemoveFromCart => {
                let product = product(
                    self.product_id,
                    self.product_name,
                    self.category,
                    self.price,
                )?;
                let brand = text(self.brand, "brand")?;
                match event_type {
                    EventType::View => Details::View { product, brand },
                    EventType::AddToCart => Details::AddToCart {
                        product,
                        brand,
                        quantity: quantity(self.quantity)?,
                    },
                    _ => Details::RemoveFromCart {
                        product,
                        brand,
                        quantity: quantity(self.quantity)?,
                    },
                }
            }
            EventType::Purchase => {
                let order_id = text(self.order_id, "order_id")?;
                let product = product(
                    self.product_id,
                    self.product_name,
                    self.category,
                    self.price,
                )?;
                let quantity = quantity(self.quantity)?;
                let total = money(self.total, "total")?;
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
                Details::Purchase {
                    order_id,
                    product,
                    quantity,
                    total,
                    payment_method: word(self.payment_method, "payment_method")?,
                }
            }
            EventType::Login => Details::Login {
                device: word(self.device, "device")?,
            },
            EventType::Logout => Details::Logout,
            EventType::Search => {
                let query = required(self.query, "query")?.0;
                if query.len() > MAX_TEXT_LEN {
                    check_text(&query, "query")?;
                }
                Details::Search {
                    query,
                    results_count: required(self.results_count, "results_count")?,
                }
            }
            EventType::ProfileUpdate => {
                let fields_updated: Vec<Cow<'a, str>> =
                    required(self.fields_updated, "fields_updated")?
                        .into_iter()
                        .map(|t| t.0)
                        .collect();
                for field in &fields_updated {
                    check_text(field, "fields_updated")?;
                }
                Details::ProfileUpdate { fields_updated }
            }
        };
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn product() -> ProductInfo<'static> {
        ProductInfo {
            product_id: "P001".into(),
            product_name: "Wireless Mouse \"Pro\"".into(),
            category: "Electronics".into(),
            price: Money::from_cents(2999),
        }
    }

    fn event(details: Details<'static>) -> Event<'static> {
        Event {
            event_id: Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
            timestamp: Timestamp::from_millis(1_764_247_399_123),
            user_id: "U007".into(),
            session_id: "S-00ff".into(),
            region: Region::West,
            customer_type: CustomerType::Vip,
            details,
        }
    }

    fn one_of_each() -> Vec<Event<'static>> {
        let brand = || Cow::Borrowed("Logi");
        vec![
            event(Details::View {
                product: product(),
                brand: brand(),
            }),
            event(Details::AddToCart {
                product: product(),
                brand: brand(),
                quantity: 2,
            }),
            event(Details::RemoveFromCart {
                product: product(),
                brand: brand(),
                quantity: 1,
            }),
            event(Details::Purchase {
                order_id: "ORD-1".into(),
                product: product(),
                quantity: 3,
                total: Money::from_cents(8997),
                payment_method: PaymentMethod::GiftCard,
            }),
            event(Details::Login {
                device: Device::Tablet,
            }),
            event(Details::Logout),
            event(Details::Search {
                query: "mouse ünïcode".into(),
                results_count: 4,
            }),
            event(Details::ProfileUpdate {
                fields_updated: vec!["email".into(), "address".into()],
            }),
        ]
    }

    #[test]
    fn every_event_type_round_trips() {
        for original in one_of_each() {
            let json = original.to_json();
            let decoded = decode(json.as_bytes(), Some(original.topic())).unwrap();
            assert_eq!(decoded, original, "{json}");
            assert_eq!(decoded.to_json(), json);
        }
    }

    #[test]
    fn json_has_exactly_the_fields_of_the_design() {
        let events = one_of_each();
        let common = [
            "event_id",
            "event_type",
            "timestamp",
            "user_id",
            "session_id",
            "region",
            "customer_type",
        ];
        let product = ["product_id", "product_name", "category", "price"];
        let expected: Vec<Vec<&str>> = vec![
            [&product[..], &["brand"]].concat(),
            [&product[..], &["brand", "quantity"]].concat(),
            [&product[..], &["brand", "quantity"]].concat(),
            [
                &["order_id"][..],
                &product,
                &["quantity", "total", "payment_method"],
            ]
            .concat(),
            vec!["device"],
            vec![],
            vec!["query", "results_count"],
            vec!["fields_updated"],
        ];
        for (event, extra) in events.iter().zip(expected) {
            let value: Value = serde_json::from_str(&event.to_json()).unwrap();
            let mut keys: Vec<&str> = value
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.as_str())
                .collect();
            let mut want: Vec<&str> = common.iter().copied().chain(extra).collect();
            keys.sort_unstable();
            want.sort_unstable();
            assert_eq!(keys, want, "{}", event.event_type());
        }
        let purchase: Value = serde_json::from_str(&events[3].to_json()).unwrap();
        assert_eq!(purchase["event_type"], "purchase");
        assert_eq!(purchase["timestamp"], "2025-11-27T12:43:19.123Z");
        assert_eq!(purchase["customer_type"], "VIP");
        assert_eq!(purchase["price"], json!(29.99));
        assert_eq!(purchase["total"], json!(89.97));
        assert_eq!(purchase["event_id"], "12345678-9abc-4def-8123-456789abcdef");
    }

    fn valid_purchase() -> Value {
        serde_json::from_str(&one_of_each()[3].to_json()).unwrap()
    }

    fn reject(value: &[u8]) -> DecodeError {
        decode(value, None).expect_err("must be rejected")
    }

    fn reject_json(value: &Value) -> DecodeError {
        reject(value.to_string().as_bytes())
    }

    #[test]
    fn rejects_each_kind_of_bad_message_with_its_reason() {
        assert_eq!(reject(b""), DecodeError::Empty);
        assert_eq!(
            reject(b"{\"a\":\"\xff\"}"),
            DecodeError::InvalidUtf8 { offset: 6 }
        );
        assert!(matches!(reject(b"{not json"), DecodeError::InvalidJson(_)));
        assert!(matches!(
            reject(b"{\"event_type\":\"view\"} trailing"),
            DecodeError::InvalidJson(_)
        ));
        assert_eq!(reject(b"[1,2,3]"), DecodeError::NotAnObject);
        assert_eq!(reject(b"\"text\""), DecodeError::NotAnObject);

        let mut wrong_type = valid_purchase();
        wrong_type["quantity"] = json!("two");
        assert!(
            matches!(reject_json(&wrong_type), DecodeError::WrongType { field, .. } if field == "quantity")
        );

        let mut out_of_range = valid_purchase();
        out_of_range["quantity"] = json!(5_000_000_000u64);
        assert!(
            matches!(reject_json(&out_of_range), DecodeError::WrongType { field, .. } if field == "quantity")
        );

        let mut missing = valid_purchase();
        missing.as_object_mut().unwrap().remove("payment_method");
        assert_eq!(
            reject_json(&missing),
            DecodeError::MissingField("payment_method")
        );

        let mut null_field = valid_purchase();
        null_field["user_id"] = Value::Null;
        assert_eq!(
            reject_json(&null_field),
            DecodeError::MissingField("user_id")
        );

        let mut unknown = valid_purchase();
        unknown["event_type"] = json!("refund");
        assert_eq!(
            reject_json(&unknown),
            DecodeError::UnknownEventType("refund".into())
        );

        let mut bad_total = valid_purchase();
        bad_total["total"] = json!(10.0);
        assert!(matches!(
            reject_json(&bad_total),
            DecodeError::InvalidValue { field: "total", .. }
        ));

        let mut negative = valid_purchase();
        negative["price"] = json!(-1.0);
        assert!(matches!(
            reject_json(&negative),
            DecodeError::InvalidValue { field: "price", .. }
        ));

        let mut zero = valid_purchase();
        zero["quantity"] = json!(0);
        assert!(matches!(
            reject_json(&zero),
            DecodeError::InvalidValue {
                field: "quantity",
                ..
            }
        ));

        let mut bad_region = valid_purchase();
        bad_region["region"] = json!("Mars");
        assert!(matches!(
            reject_json(&bad_region),
            DecodeError::InvalidValue {
                field: "region",
                ..
            }
        ));

        let mut bad_id = valid_purchase();
        bad_id["event_id"] = json!("not-a-uuid");
        assert!(matches!(
            reject_json(&bad_id),
            DecodeError::InvalidValue {
                field: "event_id",
                ..
            }
        ));

        let mut bad_time = valid_purchase();
        bad_time["timestamp"] = json!("yesterday");
        assert!(matches!(
            reject_json(&bad_time),
            DecodeError::InvalidValue {
                field: "timestamp",
                ..
            }
        ));

        let mut huge = valid_purchase();
        huge["user_id"] = json!("U".repeat(2000));
        assert!(matches!(
            reject_json(&huge),
            DecodeError::InvalidValue {
                field: "user_id",
                ..
            }
        ));

        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(reject(deep.as_bytes()), DecodeError::NotAnObject);
        let deep_field = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            reject(deep_field.as_bytes()),
            DecodeError::MissingField("event_type")
        );
    }

    #[test]
    fn rejects_an_event_on_the_wrong_topic() {
        let json = one_of_each()[3].to_json();
        assert_eq!(
            decode(json.as_bytes(), Some(TopicKind::UserEvents)),
            Err(DecodeError::WrongTopic {
                event_type: EventType::Purchase,
                topic: TopicKind::UserEvents
            })
        );
    }

    /// Every input of the fuzzer's minimized corpus (fuzz/regressions/decode.hex): never a panic,
    /// and what is accepted encodes back to itself.
    #[test]
    fn fuzz_corpus_regressions() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/regressions/decode.hex"
        );
        let corpus = std::fs::read_to_string(path).unwrap();
        let inputs: Vec<Vec<u8>> = corpus
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| hex::decode(l).unwrap())
            .collect();
        assert!(inputs.len() > 1000);
        for input in &inputs {
            if let Ok(event) = decode(input, None) {
                let json = event.to_json();
                assert_eq!(decode(json.as_bytes(), Some(event.topic())).unwrap(), event);
            }
        }
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(
            DecodeError::MissingField("total").to_string(),
            "missing field `total`"
        );
        let mut wrong_type = valid_purchase();
        wrong_type["quantity"] = json!("two");
        assert_eq!(
            reject_json(&wrong_type).to_string(),
            "field `quantity` has the wrong type: invalid type: string \"two\", expected u32"
        );
    }
}
