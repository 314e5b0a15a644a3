//! The distinct users of one window, in bounded memory: exact up to a bound, then an estimate.
//!
//! Users are kept as 64-bit hashes of their ids ([`user_hash`], the same in every process and
//! version, so that saved sets and the sets of other readers merge): 8 bytes a user whatever the
//! id's length. Two different ids collide with odds of about n^2 / 2^65 for n users in a window
//! (under 3 in 100 million for a million users), and a collision counts two users as one: that
//! is the only way an exact count can be off.
//!
//! Beyond the bound (or when one of the 2048 hash buckets the state entries are split by would
//! exceed [`BUCKET_CAP`] users, which a stream of random ids does not do below 10 million users)
//! the window switches to a HyperLogLog of 2^14 one-byte registers (16 KB, mergeable by taking
//! the larger register), whose relative standard error is 1.04 / sqrt(2^14) = 0.81%
//! ([`ESTIMATE_ERROR`]). Hand-rolled: the crates on crates.io hash the items themselves with
//! hashers of their own (seeded per process or unstable across versions), while here the registers
//! must be fed the same stable hashes as the exact set, so that an exact set turns into an
//! estimate, and sets of other processes merge into one, without the ids.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Buckets of hashes, by their top 11 bits: each window's users are saved as one state entry
/// per bucket, so that no entry holds more than [`BUCKET_CAP`] users (about 210 KB of JSON).
pub const BUCKETS: usize = 2048;
const BUCKET_SHIFT: u32 = 64 - 11;
/// The most users one bucket holds before the window becomes an estimate.
pub const BUCKET_CAP: usize = 10_000;
const REGISTER_BITS: u32 = 14;
const REGISTERS: usize = 1 << REGISTER_BITS;
/// The relative standard error of an estimated count of users: 1.04 / sqrt(2^14).
pub const ESTIMATE_ERROR: f64 = 0.0081;

/// A user id's 64-bit hash: FNV-1a, then MurmurHash3's finalizer so that every bit (the bucket
/// and register bits above all) depends on every byte. Fixed forever: sets are saved.
pub fn user_hash(id: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}

/// The bucket (state entry) a hash is saved in.
pub fn bucket(hash: u64) -> usize {
    (hash >> BUCKET_SHIFT) as usize
}

/// Which buckets changed since last taken (bookkeeping for commits, not a figure).
#[derive(Debug, Clone, Default)]
pub struct Dirty {
    pub buckets: Vec<u64>,
    pub estimate: bool,
}

impl Dirty {
    fn mark(&mut self, bucket: usize) {
        if self.buckets.is_empty() {
            self.buckets = vec![0; BUCKETS / 64];
        }
        self.buckets[bucket / 64] |= 1 << (bucket % 64);
    }

    pub fn contains(&self, bucket: usize) -> bool {
        self.buckets
            .get(bucket / 64)
            .is_some_and(|word| word & (1 << (bucket % 64)) != 0)
    }
}

#[derive(Debug, Clone)]
enum Users {
    Exact {
        hashes: foldhash::HashSet<u64>,
        /// Users per bucket, kept once the window holds more than [`BUCKET_CAP`] users.
        per_bucket: Option<Box<[u16]>>,
    },
    /// HyperLogLog registers.
    Estimate(Box<[u8]>),
}

/// The distinct users of a window.
#[derive(Debug, Clone)]
pub struct ActiveUsers {
    users: Users,
    dirty: Dirty,
}

impl Default for ActiveUsers {
    fn default() -> ActiveUsers {
        ActiveUsers::exact(foldhash::HashSet::default())
    }
}

impl PartialEq for ActiveUsers {
    fn eq(&self, other: &ActiveUsers) -> bool {
        match (&self.users, &other.users) {
            (Users::Exact { hashes: a, .. }, Users::Exact { hashes: b, .. }) => a == b,
            (Users::Estimate(a), Users::Estimate(b)) => a == b,
            _ => false,
        }
    }
}

impl ActiveUsers {
    fn exact(hashes: foldhash::HashSet<u64>) -> ActiveUsers {
        let mut users = ActiveUsers {
            users: Users::Exact {
                hashes,
                per_bucket: None,
            },
            dirty: Dirty::default(),
        };
        users.count_buckets();
        users
    }

    /// Keeps per-bucket counts once a bucket could exceed its cap.
    fn count_buckets(&mut self) {
        if let Users::Exact { hashes, per_bucket } = &mut self.users
            && per_bucket.is_none()
            && hashes.len() > BUCKET_CAP
        {
            let mut counts = vec![0u16; BUCKETS].into_boxed_slice();
            for hash in hashes.iter() {
                let count = &mut counts[bucket(*hash)];
                *count = count.saturating_add(1);
            }
            *per_bucket = Some(counts);
        }
    }

    /// Counts a user (by [`user_hash`]); `limit`: how many are counted exactly at most (None:
    /// always exact, with no bucket cap either: the ground truth).
    pub fn insert(&mut self, hash: u64, limit: Option<usize>) {
        let (hashes, per_bucket) = match &mut self.users {
            Users::Estimate(registers) => {
                if add_to_registers(registers, hash) {
                    self.dirty.estimate = true;
                }
                return;
            }
            Users::Exact { hashes, per_bucket } => (hashes, per_bucket),
        };
        if !hashes.insert(hash) {
            return;
        }
        self.dirty.mark(bucket(hash));
        let Some(limit) = limit else {
            return;
        };
        let over = match per_bucket.as_deref_mut() {
            Some(counts) => {
                let count = &mut counts[bucket(hash)];
                *count = count.saturating_add(1);
                usize::from(*count) > BUCKET_CAP
            }
            None => false,
        };
        if over || hashes.len() > limit {
            self.become_estimate();
        } else if hashes.len() == BUCKET_CAP + 1 {
            self.count_buckets();
            if self.bucket_len(bucket(hash)) > BUCKET_CAP {
                self.become_estimate();
            }
        }
    }

    fn bucket_len(&self, index: usize) -> usize {
        match &self.users {
            Users::Exact {
                per_bucket: Some(counts),
                ..
            } => usize::from(counts[index]),
            _ => 0,
        }
    }

    /// From now on an estimate.
    fn become_estimate(&mut self) {
        if let Users::Exact { hashes, .. } = &self.users {
            let mut registers = vec![0u8; REGISTERS].into_boxed_slice();
            for hash in hashes.iter() {
                add_to_registers(&mut registers, *hash);
            }
            self.users = Users::Estimate(registers);
            self.dirty.estimate = true;
        }
    }

    /// Adds the users of `other` (another split of the same window).
    pub fn merge(&mut self, other: &ActiveUsers, limit: Option<usize>) {
        match &other.users {
            Users::Exact { hashes, .. } => {
                for hash in hashes.iter() {
                    self.insert(*hash, limit);
                }
            }
            Users::Estimate(theirs) => {
                self.become_estimate();
                if let Users::Estimate(ours) = &mut self.users {
                    for (ours, theirs) in ours.iter_mut().zip(theirs.iter()) {
                        *ours = (*ours).max(*theirs);
                    }
                }
                self.dirty.estimate = true;
            }
        }
    }

    /// Distinct users: exact, or the estimate.
    pub fn count(&self) -> u64 {
        match &self.users {
            Users::Exact { hashes, .. } => hashes.len() as u64,
            Users::Estimate(registers) => estimate(registers),
        }
    }

    pub fn is_estimate(&self) -> bool {
        matches!(self.users, Users::Estimate(_))
    }

    /// The changes since last taken, cleared.
    pub fn take_dirty(&mut self) -> Dirty {
        std::mem::take(&mut self.dirty)
    }

    /// The hashes of each bucket in `wanted`, sorted (an exact set; nothing for an estimate).
    pub fn buckets(&self, wanted: impl Fn(usize) -> bool) -> Vec<Vec<u64>> {
        let mut buckets = vec![Vec::new(); BUCKETS];
        if let Users::Exact { hashes, .. } = &self.users {
            for hash in hashes.iter() {
                if wanted(bucket(*hash)) {
                    buckets[bucket(*hash)].push(*hash);
                }
            }
        }
        for hashes in &mut buckets {
            hashes.sort_unstable();
        }
        buckets
    }

    /// The registers of an estimate.
    pub fn registers(&self) -> Option<&[u8]> {
        match &self.users {
            Users::Estimate(registers) => Some(registers),
            Users::Exact { .. } => None,
        }
    }

    /// Restores one bucket of an exact set (None: empty), replacing what it held.
    pub fn set_bucket(&mut self, index: usize, saved: Option<Vec<u64>>) {
        if let Users::Exact { hashes, per_bucket } = &mut self.users {
            hashes.retain(|hash| bucket(*hash) != index);
            hashes.extend(saved.into_iter().flatten());
            *per_bucket = None;
            self.count_buckets();
        }
    }

    /// Restores an estimate (None: back to an empty exact set, its buckets to come).
    pub fn set_registers(&mut self, saved: Option<Vec<u8>>) -> Result<(), String> {
        self.users = match saved {
            Some(registers) if registers.len() == REGISTERS => {
                Users::Estimate(registers.into_boxed_slice())
            }
            Some(registers) => {
                return Err(format!(
                    "{} registers, expected {REGISTERS}",
                    registers.len()
                ));
            }
            None => ActiveUsers::default().users,
        };
        Ok(())
    }

    /// Whether nothing is held (an empty exact set).
    pub fn is_empty(&self) -> bool {
        matches!(&self.users, Users::Exact { hashes, .. } if hashes.is_empty())
    }

    /// Buckets holding users (an exact set).
    pub fn filled_buckets(&self) -> Vec<bool> {
        let mut filled = vec![false; BUCKETS];
        if let Users::Exact { hashes, .. } = &self.users {
            for hash in hashes.iter() {
                filled[bucket(*hash)] = true;
            }
        }
        filled
    }
}

/// Sets a hash's register to its rank if higher; says whether it changed.
fn add_to_registers(registers: &mut [u8], hash: u64) -> bool {
    let index = (hash >> (64 - REGISTER_BITS)) as usize;
    // The rest of the hash, with a stop bit so that the rank is at most 64 - 14 + 1.
    let rest = (hash << REGISTER_BITS) | (1 << (REGISTER_BITS - 1));
    let rank = (rest.leading_zeros() + 1) as u8;
    if registers[index] < rank {
        registers[index] = rank;
        return true;
    }
    false
}

/// The HyperLogLog estimate, with linear counting for small counts (Flajolet et al. 2007).
fn estimate(registers: &[u8]) -> u64 {
    let m = registers.len() as f64;
    let alpha = 0.7213 / (1.0 + 1.079 / m);
    let sum: f64 = registers.iter().map(|&r| 2f64.powi(-i32::from(r))).sum();
    let raw = alpha * m * m / sum;
    let zeros = registers.iter().filter(|&&r| r == 0).count();
    let estimate = if raw <= 2.5 * m && zeros > 0 {
        m * (m / zeros as f64).ln()
    } else {
        raw
    };
    estimate.round() as u64
}

/// As saved: sorted hashes, an estimate's registers, or (saved before hashes) the user ids.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum Saved {
    Hashes { hashes: Vec<u64> },
    Estimate { estimate: Vec<u8> },
    Ids(Vec<String>),
}

impl Serialize for ActiveUsers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let saved = match &self.users {
            Users::Exact { hashes, .. } => {
                let mut hashes: Vec<u64> = hashes.iter().copied().collect();
                hashes.sort_unstable();
                Saved::Hashes { hashes }
            }
            Users::Estimate(registers) => Saved::Estimate {
                estimate: registers.to_vec(),
            },
        };
        saved.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ActiveUsers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<ActiveUsers, D::Error> {
        let mut users = ActiveUsers::default();
        match Saved::deserialize(deserializer)? {
            Saved::Hashes { hashes } => users = ActiveUsers::exact(hashes.into_iter().collect()),
            Saved::Ids(ids) => {
                users = ActiveUsers::exact(ids.iter().map(|id| user_hash(id)).collect())
            }
            Saved::Estimate { estimate } => users
                .set_registers(Some(estimate))
                .map_err(serde::de::Error::custom)?,
        }
        Ok(users)
    }
}

#[cfg(test)]
mod tests;
