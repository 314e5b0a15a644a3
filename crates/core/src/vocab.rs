//! The closed sets of words the events and catalogs use. Each spelling here is the spelling on the
//! wire and in data/*.json.

use serde::{Serialize, Serializer};
use strum::{EnumCount, EnumIter, EnumString, IntoStaticStr, VariantArray};

macro_rules! serialize_as_str {
    ($($name:ty),*) => {$(
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
        impl $name {
            pub fn as_str(self) -> &'static str {
                self.into()
            }
        }
        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
pub enum Region {
    North,
    South,
    East,
    West,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
pub enum CustomerType {
    Regular,
    Premium,
    #[strum(serialize = "VIP")]
    Vip,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Device {
    Web,
    Mobile,
    Tablet,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum PaymentMethod {
    CreditCard,
    DebitCard,
    Paypal,
    BankTransfer,
    GiftCard,
}

/// Every event_type, in report order.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum EventType {
    View,
    AddToCart,
    RemoveFromCart,
    Purchase,
    Login,
    Logout,
    Search,
    ProfileUpdate,
}

/// The three topics, by role; their names come from configuration.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumString,
    IntoStaticStr,
    EnumIter,
    EnumCount,
    VariantArray,
)]
#[strum(serialize_all = "kebab-case")]
pub enum TopicKind {
    ProductEvents,
    Purchases,
    UserEvents,
}

serialize_as_str!(
    Region,
    CustomerType,
    Device,
    PaymentMethod,
    EventType,
    TopicKind
);

impl EventType {
    /// The topic an event of this type belongs on.
    pub fn topic(self) -> TopicKind {
        match self {
            EventType::View | EventType::AddToCart | EventType::RemoveFromCart => {
                TopicKind::ProductEvents
            }
            EventType::Purchase => TopicKind::Purchases,
            EventType::Login | EventType::Logout | EventType::Search | EventType::ProfileUpdate => {
                TopicKind::UserEvents
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn spellings_match_the_wire_format() {
        assert_eq!(CustomerType::Vip.as_str(), "VIP");
        assert_eq!(CustomerType::from_str("VIP"), Ok(CustomerType::Vip));
        assert_eq!(EventType::AddToCart.as_str(), "add_to_cart");
        assert_eq!(PaymentMethod::BankTransfer.as_str(), "bank_transfer");
        assert_eq!(TopicKind::ProductEvents.as_str(), "product-events");
        assert_eq!(serde_json::to_string(&Region::North).unwrap(), "\"North\"");
        assert!(Region::from_str("north").is_err());
    }

    #[test]
    fn each_event_type_has_its_topic() {
        assert_eq!(EventType::Purchase.topic(), TopicKind::Purchases);
        assert_eq!(EventType::RemoveFromCart.topic(), TopicKind::ProductEvents);
        assert_eq!(EventType::ProfileUpdate.topic(), TopicKind::UserEvents);
    }
}
