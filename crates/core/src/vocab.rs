//! The closed sets of words the events and catalogs use. Each spelling here is the spelling on the
//! wire and in data/*.json.

use std::marker::PhantomData;
use std::str::FromStr;

use enum_map::{Enum, EnumMap};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use strum::{EnumString, IntoStaticStr, VariantArray};

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

/// Reads the spelling [`Serialize`] writes (for the keys of saved tallies).
macro_rules! deserialize_from_str {
    ($($name:ident),*) => {$(
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(Spelling::<$name>(stringify!($name), PhantomData))
            }
        }
    )*};
}

/// Visits a string that must be one spelling of `T` (named by the `&'static str`).
struct Spelling<T>(&'static str, PhantomData<T>);

impl<T: FromStr> Visitor<'_> for Spelling<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a {}", self.0)
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
        T::from_str(value).map_err(|_| E::invalid_value(de::Unexpected::Str(value), &self))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantArray, Enum)]
pub enum Region {
    North,
    South,
    East,
    West,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantArray, Enum)]
pub enum CustomerType {
    Regular,
    Premium,
    #[strum(serialize = "VIP")]
    Vip,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Device {
    Web,
    Mobile,
    Tablet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr)]
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
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumString, IntoStaticStr, VariantArray, Enum,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumString, IntoStaticStr, VariantArray, Enum)]
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
deserialize_from_str!(Region, CustomerType, EventType, TopicKind);

/// One value per topic, indexed by [`TopicKind`] (a fixed-size array underneath).
pub type PerTopic<V> = EnumMap<TopicKind, V>;

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
mod tests;
