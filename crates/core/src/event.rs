//! The event model: one type for the three topics and its JSON encoding (the decoder is in
//! [`crate::decode`]).
//!
//! Strings borrow from the catalog when producing and from the message when decoding, so neither
//! side allocates per field on its hot path.

use std::borrow::Cow;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
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

    /// Appends the JSON form to `buf` (which the caller reuses between events): the same bytes
    /// as `serde_json` writes, written by sonic-rs, whose vector string escaping makes the
    /// producers' hottest step a quarter faster.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        // Serializing plain strings and numbers into a Vec cannot fail.
        let _ = sonic_rs::to_writer(buf, self);
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::decode::decode;
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

    /// One event of each type, with an escaped quote and non-ASCII text among the strings.
    pub(crate) fn one_of_each() -> Vec<Event<'static>> {
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

    /// The encoder is sonic-rs; what it writes must stay byte for byte what serde_json writes
    /// (the pinned digests and every reader rely on one form): escapes, control characters,
    /// non-ASCII text, and money from a cent to the largest amount a message may carry.
    #[test]
    fn encoding_writes_exactly_what_serde_json_writes() {
        let texts = [
            "plain",
            "quote \" backslash \\ slash /",
            "tab\tnew line\ncarriage\rbell\u{7}nul\u{0}del\u{7f}",
            "ünïcode € 日本 🛒 \u{2028}\u{2029}",
            "",
        ];
        let max = crate::money::MAX_CENTS;
        let cents = [
            0,
            1,
            5,
            10,
            99,
            100,
            2999,
            123_456_789,
            999_999_999_999,
            max,
        ];
        let mut events = one_of_each();
        for (i, text) in texts.iter().enumerate() {
            for &c in &cents {
                let mut product = product();
                product.product_name = Cow::Owned((*text).to_string());
                product.price = Money::from_cents(c);
                events.push(Event {
                    user_id: Cow::Owned(format!("{text}{i}")),
                    details: Details::Purchase {
                        order_id: Cow::Owned((*text).to_string()),
                        product,
                        quantity: u32::MAX,
                        total: Money::from_cents(c),
                        payment_method: PaymentMethod::Paypal,
                    },
                    ..event(Details::Logout)
                });
            }
            events.push(event(Details::ProfileUpdate {
                fields_updated: vec![Cow::Owned((*text).to_string()), "email".into()],
            }));
        }
        let mut buf = Vec::new();
        for event in &events {
            buf.clear();
            event.encode_into(&mut buf);
            let expected = serde_json::to_vec(event).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&buf),
                String::from_utf8_lossy(&expected)
            );
        }
    }
}
