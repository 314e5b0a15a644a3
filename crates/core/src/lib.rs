//! ShopStream core: everything the tools share, with no printing and typed errors.
//!
//! - [`config`]: settings, layered flag > environment > .env > default
//! - [`event`]: the event model, its JSON encoding and a strict decoder
//! - [`catalog`]: products and users from data/*.json, validated
//! - [`kafka`], [`admin`]: Kafka client configuration and topic administration

pub mod admin;
pub mod catalog;
pub mod checkpoint;
pub mod config;
pub mod consumer;
pub mod dead_letter;
pub mod decode;
pub mod event;
pub mod kafka;
pub mod metrics;
pub mod money;
pub mod producer;
pub mod simulator;
pub mod stories;
pub mod timestamp;
pub mod vocab;

pub use catalog::{Catalog, Product, User};
pub use config::{Settings, TopicNames};
pub use decode::{DecodeError, decode};
pub use event::{Details, Event, ProductInfo};
pub use money::Money;
pub use timestamp::Timestamp;
pub use vocab::{CustomerType, Device, EventType, PaymentMethod, Region, TopicKind};
