//! ShopStream's domain: the shop, its events and its figures, with no Kafka in it (no rdkafka,
//! tokio or clap), so fuzz targets and benches build without librdkafka.
//!
//! - [`vocab`]: the closed vocabularies (topics, event types, regions, customer types, ...)
//! - [`money`], [`timestamp`]: exact cents and RFC 3339 millisecond timestamps
//! - [`event`]: the event model and its JSON encoding; [`decode`]: the strict decoder
//! - [`catalog`]: products and users from data/*.json, validated; [`population`]: generated
//!   users and products of any size, each a pure function of (seed, index)
//! - [`simulator`]: shoppers living sessions, steered to exact per-topic quotas or free-running
//!   along the [`behaviour`] model (with [`campaign`]s)
//! - [`shard`]: one of N disjoint parts of a producer run (its users, counts and seed)
//! - [`stories`]: checks that a stream tells coherent shopper stories
//! - [`metrics`]: the metrics engine; [`checkpoint`]: its state and offsets saved to a file;
//!   [`group_state`]: its state per input partition on the exactly-once state topic, merged

pub mod behaviour;
pub mod campaign;
pub mod catalog;
pub mod checkpoint;
pub mod decode;
pub mod event;
pub mod group_state;
pub mod lateness;
pub mod metrics;
pub mod money;
pub mod population;
pub mod shard;
pub mod simulator;
pub mod stories;
mod tallies;
pub mod timestamp;
pub mod truth_check;
pub mod vocab;
pub mod windows;

pub use catalog::{Catalog, Product, User};
pub use decode::{DecodeError, decode};
pub use event::{Details, Event, ProductInfo};
pub use money::Money;
pub use timestamp::Timestamp;
pub use vocab::{CustomerType, Device, EventType, PaymentMethod, PerTopic, Region, TopicKind};
