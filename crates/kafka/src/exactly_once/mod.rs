//! Exact metrics across a group of metrics-consumers, on Kafka's own transactions (the Kafka
//! Streams model, with no coordination of ShopStream's own):
//!
//! - the group shares the input partitions; each instance keeps one metrics engine per partition
//!   it owns ([`owned`]), and the next offset that engine covers;
//! - every commit is ONE transaction ([`commit`], [`changelog`], [`transactor`]): what each
//!   partition touched since the last commit changed goes to the compacted state topic as
//!   changelog records (one per engine entry, then the partition's position), and the offsets go
//!   to the group with its metadata (KIP-447), so a member the group has moved on from is fenced
//!   and its transaction aborts;
//! - on assignment a partition is restored ([`restore`], [`windows`]) from its changelog replayed
//!   up to the position that matches the group's committed offset, before it is read; on
//!   revocation the instance commits first ([`rebalance`]); a lost partition (the group moved
//!   on) is dropped uncommitted;
//! - every instance (and `--view`) reads the state topic ([`state_reader`]) and merges the latest
//!   state of every partition: the whole group's figures.
//!
//! The public face is [`ExactlyOnce`] ([`member`]); what it holds behind its lock is
//! [`member_state`], shared with the rebalance callbacks through [`shared`].

mod activity;
mod changelog;
mod commit;
mod config;
mod error;
mod member;
mod member_state;
mod owned;
mod rebalance;
mod restore;
mod shared;
pub mod state_reader;
pub mod transactor;
mod windows;

pub use activity::Activity;
pub use config::Config;
pub use error::ExactlyOnceError;
pub use member::ExactlyOnce;
pub use state_reader::StateReader;

#[cfg(test)]
mod tests;
