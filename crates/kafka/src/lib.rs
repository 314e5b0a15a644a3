//! ShopStream on Apache Kafka: everything that talks to a broker, built on rdkafka (librdkafka).
//! Typed errors, no printing; the binaries in the root package decide what a person sees.
//!
//! - [`settings`]: the one table of settings, layered environment > .env > default
//! - [`client`]: librdkafka configuration, the shared client context and the connection probe
//! - [`admin`]: topic administration (create, describe, delete; [`admin::ensure_topic`] for a
//!   topic a tool needs)
//! - [`retry`]: the one retry loop (a `Schedule`: a pause, and a deadline or a number of attempts)
//! - [`commit_cadence`]: when to commit: every N messages, or once a second at the latest
//! - [`producer`]: the idempotent event producer, accounting for every delivery report
//! - [`group_consumer`]: the group consumer with offsets stored after processing, and lag
//! - [`consume_loop`]: the consume loop and the [`consume_loop::Handler`] a tool plugs into it
//!   (on several threads: [`consume_loop::threads`])
//! - [`dead_letter`]: copies rejected messages, untouched, to a dead-letter topic
//! - [`exactly_once`]: exact metrics across a consumer group, on Kafka transactions and a
//!   compacted state topic (restore on assignment, commit on revocation, the group's figures)

pub mod admin;
pub mod client;
pub mod commit_cadence;
pub mod consume_loop;
pub mod dead_letter;
pub mod exactly_once;
pub mod group_consumer;
pub mod producer;
pub mod retry;
pub mod settings;
pub mod topic_reader;

#[cfg(test)]
mod test_support;

pub use settings::{Settings, TopicNames};
