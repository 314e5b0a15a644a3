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
pub(crate) mod tests;
