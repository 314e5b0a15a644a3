//! Sharded producer runs: N processes (on N machines, say) each write one shard of the same run,
//! and together they write what one run with the same counts would ask for.
//!
//! - Users: a user belongs to shard `fnv1a64(user_id) % N + 1`, a rule that depends only on the id
//!   (not on Rust's per-process hasher, nor on the order of users.json), so every machine agrees.
//!   A shard simulates only its own users, so a session never spans shards.
//! - Counts: shard I of N writes `total / N`, plus one when `I <= total % N`: the shards' counts
//!   add up to the total exactly. A count of 0 (without end) stays without end in every shard.
//! - Seeds: shard I of N runs with a seed mixed from (seed, I, N), so shards differ from each other
//!   but each is reproducible, whichever machine runs it. Shard 1/1 is the whole run, seed included.

use std::fmt;
use std::str::FromStr;

use std::borrow::Cow;

use crate::catalog::Catalog;
pub use crate::population::shard_of;
use crate::population::{Shop, Split, Users};
use crate::simulator::{Quota, Quotas};

/// Shard `index` (from 1) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    index: u32,
    count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("expected I/N with 1 <= I <= N, e.g. 2/3, not '{text}'")]
    Malformed { text: String },
    #[error(
        "shard {shard} gets none of the {users} users (users are split by a hash of their user_id): run fewer shards"
    )]
    NoUsers { shard: Shard, users: usize },
}

impl Shard {
    /// Shard `index` of `count`, with 1 <= index <= count.
    pub fn new(index: u32, count: u32) -> Option<Shard> {
        (1..=count)
            .contains(&index)
            .then_some(Shard { index, count })
    }

    /// From 1 to [`Shard::count`].
    pub fn index(&self) -> u32 {
        self.index
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    /// Whether this shard simulates the user with this id.
    pub fn owns(&self, user_id: &str) -> bool {
        shard_of(user_id, self.count) == self.index
    }

    /// This shard's part of `total` events: the parts of shards 1..=N add up to `total`.
    /// 0 (without end) stays 0.
    pub fn share(&self, total: u64) -> u64 {
        let count = u64::from(self.count);
        total / count + u64::from(u64::from(self.index) <= total % count)
    }

    /// This shard's part of every quota. A topic whose part is 0 of a positive count is not
    /// emitted by this shard (its events still happen, so the shard's stories stay whole).
    pub fn quotas(&self, quotas: Quotas) -> Quotas {
        let part = |quota| match quota {
            Quota::Exactly(total) => match self.share(total) {
                0 => Quota::Off,
                share => Quota::Exactly(share),
            },
            other => other,
        };
        Quotas {
            product_events: part(quotas.product_events),
            purchases: part(quotas.purchases),
            user_events: part(quotas.user_events),
        }
    }

    /// The seed this shard's simulator runs with for the run's `seed`: distinct for every shard
    /// of one run (each mixing step is a bijection of u64), and `seed` itself for shard 1/1.
    pub fn seed(&self, seed: u64) -> u64 {
        if self.count == 1 {
            return seed;
        }
        let run = splitmix64(splitmix64(seed) ^ u64::from(self.count));
        splitmix64(run.wrapping_add(u64::from(self.index)))
    }

    /// The catalog with only this shard's users (in their order in the file); an error if none.
    pub fn catalog(&self, catalog: Catalog) -> Result<Catalog, ShardError> {
        let users = catalog.users.len();
        let mine: Vec<_> = catalog
            .users
            .into_iter()
            .filter(|user| self.owns(&user.user_id))
            .collect();
        if mine.is_empty() {
            return Err(ShardError::NoUsers {
                shard: *self,
                users,
            });
        }
        Ok(Catalog {
            products: catalog.products,
            users: mine,
        })
    }

    /// The shop with only this shard's users: a listed population filtered (in its order), a
    /// generated one told which users are this shard's (none is listed); an error if none is.
    pub fn shop<'c>(&self, shop: Shop<'c>) -> Result<Shop<'c>, ShardError> {
        let users = shop.users.len();
        let mine = match shop.users {
            Users::Listed(listed) => {
                let mine: Vec<_> = listed
                    .iter()
                    .filter(|user| self.owns(&user.user_id))
                    .cloned()
                    .collect();
                (!mine.is_empty()).then_some(Users::Listed(Cow::Owned(mine)))
            }
            Users::Generated(mut generated) => {
                generated.split = Some(Split {
                    index: self.index,
                    count: self.count,
                });
                // One owned user is enough to know the shard is not empty: about N tries.
                (0..generated.count)
                    .any(|index| generated.owns(index))
                    .then_some(Users::Generated(generated))
            }
        };
        match mine {
            Some(users) => Ok(Shop {
                users,
                products: shop.products,
            }),
            None => Err(ShardError::NoUsers {
                shard: *self,
                users,
            }),
        }
    }
}

impl FromStr for Shard {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<Shard, ShardError> {
        let malformed = || ShardError::Malformed {
            text: text.to_string(),
        };
        let (index, count) = text.split_once('/').ok_or_else(malformed)?;
        let index = index.trim().parse().map_err(|_| malformed())?;
        let count = count.trim().parse().map_err(|_| malformed())?;
        Shard::new(index, count).ok_or_else(malformed)
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// SplitMix64's step and finaliser: a bijection of u64 that scatters nearby inputs.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests;
