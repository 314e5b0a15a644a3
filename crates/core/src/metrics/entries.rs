//! An engine's state as entries under keys of their own: the totals, one entry per product, the
//! windows of event time without their users, and the users of each window by hash bucket (or
//! the window's estimate): no entry grows past about 256 KB whatever the input (a product's is
//! small; a bucket holds at most `BUCKET_CAP` hashes; an estimate is 16 KB of registers). A commit writes only the entries that changed since the last one
//! (exactly-once changelog records, checkpoint log frames), so its cost follows what changed, not
//! the whole state; replaying the entries in the order they were written rebuilds the engine.

use std::collections::BTreeMap;

use enum_map::EnumMap;
use serde::{Deserialize, Serialize};

use super::marks::WrittenUsers;
use super::{Counts, MetricsEngine, ProductTally};
use crate::money::Money;
use crate::vocab::{CustomerType, EventType, Region};
use crate::windows::{ActiveUsers, BUCKETS, EventTimeWindows};

/// The key of the engine's totals.
pub const TOTALS_KEY: &str = "totals";
/// The key of the engine's windows of event time.
pub const WINDOWS_KEY: &str = "windows";
/// Keys of product entries start with this, then the product id.
pub const PRODUCT_PREFIX: &str = "product/";
/// Keys of a window's users start with this, then the window's start (ms since the epoch), a
/// slash, and the bucket (0 to 2047) or `estimate`.
pub const WINDOW_USERS_PREFIX: &str = "window-users/";
const ESTIMATE: &str = "estimate";

/// One entry of an engine's state: its key, and its JSON value or None when the entry is gone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntry {
    pub key: String,
    pub value: Option<Vec<u8>>,
}

#[derive(Debug, thiserror::Error)]
pub enum EntryError {
    #[error("unknown state entry key {0:?}")]
    UnknownKey(String),
    #[error("state entry {key:?}: {message}")]
    Value { key: String, message: String },
}

/// The engine's figures other than products and windows.
#[derive(Serialize, Deserialize)]
struct Totals {
    events: u64,
    by_type: EnumMap<EventType, u64>,
    by_region: EnumMap<Region, u64>,
    by_customer_type: EnumMap<CustomerType, u64>,
    #[serde(with = "crate::money::cents")]
    revenue: Money,
    #[serde(with = "super::cents_by_region")]
    revenue_by_region: EnumMap<Region, Money>,
    orders: u64,
    rejected: u64,
    rejected_by_reason: BTreeMap<String, u64>,
    #[serde(default)]
    floor: Counts,
    #[serde(default)]
    products_dropped: u64,
}

fn encode(key: &str, value: &impl Serialize) -> Result<StateEntry, EntryError> {
    let bytes = serde_json::to_vec(value).map_err(|e| EntryError::Value {
        key: key.to_string(),
        message: e.to_string(),
    })?;
    Ok(StateEntry {
        key: key.to_string(),
        value: Some(bytes),
    })
}

fn decode<'a, T: Deserialize<'a>>(key: &str, bytes: &'a [u8]) -> Result<T, EntryError> {
    serde_json::from_slice(bytes).map_err(|e| EntryError::Value {
        key: key.to_string(),
        message: e.to_string(),
    })
}

impl MetricsEngine {
    /// From now on, remembers which entries change, for [`Self::take_changes`].
    pub fn track_changes(&mut self) {
        if !self.changes.is_on() {
            self.changes.start();
            self.note_users_written();
        }
    }

    /// The entries that changed since the last call, the marks cleared. The first call (or any
    /// call on an engine that did not track its changes) returns every entry and starts tracking.
    pub fn take_changes(&mut self) -> Result<Vec<StateEntry>, EntryError> {
        let Some(marks) = self.changes.take() else {
            let entries = self.entries()?;
            self.note_users_written();
            return Ok(entries);
        };
        if marks.is_empty() {
            return Ok(Vec::new());
        }
        let mut entries = Vec::with_capacity(marks.products.len() + 2);
        if marks.totals {
            entries.push(self.totals_entry()?);
        }
        for id in marks.products.iter().chain(&marks.removed_products) {
            entries.push(self.product_entry(id)?);
        }
        // The windows also change without an event (partitions watched, windows closed): they
        // go with every commit that writes anything.
        entries.push(self.windows_entry()?);
        self.user_changes(&mut entries)?;
        Ok(entries)
    }

    /// Every entry of the state: the totals, each product, the windows (when kept).
    pub fn entries(&self) -> Result<Vec<StateEntry>, EntryError> {
        let mut entries = Vec::with_capacity(self.products.len() + 2);
        entries.push(self.totals_entry()?);
        for id in self.products.keys() {
            entries.push(self.product_entry(id)?);
        }
        if let Some(windows) = &self.windows {
            entries.push(self.windows_entry()?);
            for (start, tally) in windows.tallies() {
                let users = tally.users();
                if users.is_estimate() {
                    entries.push(estimate_entry(start, users)?);
                    continue;
                }
                for (index, hashes) in users.buckets(|_| true).iter().enumerate() {
                    if !hashes.is_empty() {
                        entries.push(encode(&bucket_key(start, index), hashes)?);
                    }
                }
            }
        }
        Ok(entries)
    }

    /// Takes one entry back (restoring: apply the entries in the order they were written; a
    /// None value removes the entry). Marks nothing as changed.
    pub fn apply_entry(&mut self, key: &str, value: Option<&[u8]>) -> Result<(), EntryError> {
        if let Some(id) = key.strip_prefix(PRODUCT_PREFIX) {
            match value {
                Some(bytes) => {
                    let tally: ProductTally = decode(key, bytes)?;
                    self.products.insert(id.into(), tally);
                }
                None => {
                    self.products.remove(id);
                }
            }
            return Ok(());
        }
        if let Some(rest) = key.strip_prefix(WINDOW_USERS_PREFIX) {
            return self.apply_users(key, rest, value);
        }
        match (key, value) {
            (TOTALS_KEY, Some(bytes)) => self.set_totals(decode(key, bytes)?),
            (TOTALS_KEY, None) => self.set_totals(MetricsEngine::default().totals()),
            (WINDOWS_KEY, Some(bytes)) => {
                let mut windows: EventTimeWindows = decode(key, bytes)?;
                // Users restored before (or with) earlier windows entries go on.
                if let Some(old) = &mut self.windows {
                    windows.adopt_users(old);
                }
                for (start, users) in std::mem::take(&mut self.restoring_users) {
                    match windows.tally_mut(start) {
                        Some(tally) => *tally.users_mut() = users,
                        None => {
                            self.restoring_users.insert(start, users);
                        }
                    }
                }
                windows.set_max_users(self.max_keys);
                self.windows = Some(Box::new(windows));
            }
            (WINDOWS_KEY, None) => self.windows = None,
            _ => return Err(EntryError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    fn totals(&self) -> Totals {
        Totals {
            events: self.events,
            by_type: self.by_type,
            by_region: self.by_region,
            by_customer_type: self.by_customer_type,
            revenue: self.revenue,
            revenue_by_region: self.revenue_by_region,
            orders: self.orders,
            rejected: self.rejected,
            rejected_by_reason: self.rejected_by_reason.clone(),
            floor: self.floor,
            products_dropped: self.products_dropped,
        }
    }

    fn set_totals(&mut self, totals: Totals) {
        self.events = totals.events;
        self.by_type = totals.by_type;
        self.by_region = totals.by_region;
        self.by_customer_type = totals.by_customer_type;
        self.revenue = totals.revenue;
        self.revenue_by_region = totals.revenue_by_region;
        self.orders = totals.orders;
        self.rejected = totals.rejected;
        self.rejected_by_reason = totals.rejected_by_reason;
        self.floor = totals.floor;
        self.products_dropped = totals.products_dropped;
    }

    fn totals_entry(&self) -> Result<StateEntry, EntryError> {
        // The one copy is of the rejection reasons: a handful of names, once per commit.
        encode(TOTALS_KEY, &self.totals())
    }

    /// A product's entry, or its removal when the engine no longer holds it.
    fn product_entry(&self, id: &str) -> Result<StateEntry, EntryError> {
        let key = format!("{PRODUCT_PREFIX}{id}");
        match self.products.get(id) {
            Some(tally) => encode(&key, tally),
            None => Ok(StateEntry { key, value: None }),
        }
    }

    fn windows_entry(&self) -> Result<StateEntry, EntryError> {
        match &self.windows {
            Some(windows) => encode(WINDOWS_KEY, &windows.without_users()),
            None => Ok(StateEntry {
                key: WINDOWS_KEY.to_string(),
                value: None,
            }),
        }
    }
}

fn bucket_key(start: i64, bucket: usize) -> String {
    format!("{WINDOW_USERS_PREFIX}{start}/{bucket}")
}

fn estimate_key(start: i64) -> String {
    format!("{WINDOW_USERS_PREFIX}{start}/{ESTIMATE}")
}

fn estimate_entry(start: i64, users: &ActiveUsers) -> Result<StateEntry, EntryError> {
    encode(&estimate_key(start), &users.registers())
}

fn removed(key: String) -> StateEntry {
    StateEntry { key, value: None }
}

impl MetricsEngine {
    /// From now on the log holds the users of every window as they are (all written, or just
    /// restored): what later commits update or remove.
    fn note_users_written(&mut self) {
        self.changes.written_users.clear();
        let Some(windows) = &mut self.windows else {
            return;
        };
        for (start, tally) in windows.tallies_mut() {
            let users = tally.users_mut();
            users.take_dirty();
            let written = WrittenUsers {
                buckets: users.filled_buckets(),
                estimate: users.is_estimate(),
            };
            self.changes.written_users.insert(start, written);
        }
    }

    /// The user entries changed since the last commit: buckets with new users, estimates that
    /// changed, and removals for windows gone (or turned into estimates).
    fn user_changes(&mut self, entries: &mut Vec<StateEntry>) -> Result<(), EntryError> {
        let mut gone = std::mem::take(&mut self.changes.written_users);
        let mut written_now = std::collections::BTreeMap::new();
        if let Some(windows) = &mut self.windows {
            for (start, tally) in windows.tallies_mut() {
                let mut written = gone.remove(&start).unwrap_or_else(|| WrittenUsers {
                    buckets: vec![false; BUCKETS],
                    estimate: false,
                });
                write_users(start, tally.users_mut(), &mut written, entries)?;
                written_now.insert(start, written);
            }
        }
        for (start, written) in gone {
            remove_users(start, &written, entries);
        }
        self.changes.written_users = written_now;
        Ok(())
    }

    /// Restores the users of a window (`rest`: the key after the prefix).
    fn apply_users(
        &mut self,
        key: &str,
        rest: &str,
        value: Option<&[u8]>,
    ) -> Result<(), EntryError> {
        let unknown = || EntryError::UnknownKey(key.to_string());
        let (start, part) = rest.split_once('/').ok_or_else(unknown)?;
        let start: i64 = start.parse().map_err(|_| unknown())?;
        let held = self
            .windows
            .as_deref_mut()
            .and_then(|windows| windows.tally_mut(start))
            .map(|tally| tally.users_mut());
        // Users may come before their window's entry (a compacted log keeps each key's latest).
        let users = match held {
            Some(users) => users,
            None if value.is_none() => return Ok(()),
            None => self.restoring_users.entry(start).or_default(),
        };
        if part == ESTIMATE {
            let registers: Option<Vec<u8>> = match value {
                Some(bytes) => decode(key, bytes)?,
                None if users.is_estimate() => None,
                None => return Ok(()),
            };
            return users
                .set_registers(registers)
                .map_err(|message| EntryError::Value {
                    key: key.to_string(),
                    message,
                });
        }
        let bucket: usize = part.parse().map_err(|_| unknown())?;
        if bucket >= BUCKETS {
            return Err(unknown());
        }
        let hashes: Option<Vec<u64>> = value.map(|bytes| decode(key, bytes)).transpose()?;
        users.set_bucket(bucket, hashes);
        Ok(())
    }
}

/// A window's changed user entries, `written` updated.
fn write_users(
    start: i64,
    users: &mut ActiveUsers,
    written: &mut WrittenUsers,
    entries: &mut Vec<StateEntry>,
) -> Result<(), EntryError> {
    let dirty = users.take_dirty();
    if users.is_estimate() {
        if dirty.estimate || !written.estimate {
            entries.push(estimate_entry(start, users)?);
        }
        for (index, filled) in written.buckets.iter_mut().enumerate() {
            if std::mem::take(filled) {
                entries.push(removed(bucket_key(start, index)));
            }
        }
        written.estimate = true;
        return Ok(());
    }
    if written.estimate {
        entries.push(removed(estimate_key(start)));
        written.estimate = false;
    }
    for (index, hashes) in users.buckets(|b| dirty.contains(b)).into_iter().enumerate() {
        if !dirty.contains(index) {
            continue;
        }
        written.buckets[index] = !hashes.is_empty();
        entries.push(encode(&bucket_key(start, index), &hashes)?);
    }
    Ok(())
}

/// Removals for every user entry of a window gone.
fn remove_users(start: i64, written: &WrittenUsers, entries: &mut Vec<StateEntry>) {
    if written.estimate {
        entries.push(removed(estimate_key(start)));
    }
    for (index, filled) in written.buckets.iter().enumerate() {
        if *filled {
            entries.push(removed(bucket_key(start, index)));
        }
    }
}
