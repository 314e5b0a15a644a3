//! An engine's state as entries under keys of their own: the totals, one entry per product and
//! the windows of event time. A commit writes only the entries that changed since the last one
//! (exactly-once changelog records, checkpoint log frames), so its cost follows what changed, not
//! the whole state; replaying the entries in the order they were written rebuilds the engine.

use std::collections::BTreeMap;

use enum_map::EnumMap;
use serde::{Deserialize, Serialize};

use super::{MetricsEngine, ProductTally};
use crate::money::Money;
use crate::vocab::{CustomerType, EventType, Region};
use crate::windows::EventTimeWindows;

/// The key of the engine's totals.
pub const TOTALS_KEY: &str = "totals";
/// The key of the engine's windows of event time.
pub const WINDOWS_KEY: &str = "windows";
/// Keys of product entries start with this, then the product id.
pub const PRODUCT_PREFIX: &str = "product/";

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
struct Totals<M> {
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
    rejected_by_reason: M,
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
        self.changes.start();
    }

    /// The entries that changed since the last call, the marks cleared. The first call (or any
    /// call on an engine that did not track its changes) returns every entry and starts tracking.
    pub fn take_changes(&mut self) -> Result<Vec<StateEntry>, EntryError> {
        let Some(marks) = self.changes.take() else {
            return self.entries();
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
        Ok(entries)
    }

    /// Every entry of the state: the totals, each product, the windows (when kept).
    pub fn entries(&self) -> Result<Vec<StateEntry>, EntryError> {
        let mut entries = Vec::with_capacity(self.products.len() + 2);
        entries.push(self.totals_entry()?);
        for id in self.products.keys() {
            entries.push(self.product_entry(id)?);
        }
        if self.windows.is_some() {
            entries.push(self.windows_entry()?);
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
                    self.products.insert(id.to_string(), tally);
                }
                None => {
                    self.products.remove(id);
                }
            }
            return Ok(());
        }
        match (key, value) {
            (TOTALS_KEY, Some(bytes)) => self.set_totals(decode(key, bytes)?),
            (TOTALS_KEY, None) => self.set_totals(MetricsEngine::default().totals()),
            (WINDOWS_KEY, Some(bytes)) => {
                let windows: EventTimeWindows = decode(key, bytes)?;
                self.windows = Some(Box::new(windows));
            }
            (WINDOWS_KEY, None) => self.windows = None,
            _ => return Err(EntryError::UnknownKey(key.to_string())),
        }
        Ok(())
    }

    fn totals(&self) -> Totals<BTreeMap<String, u64>> {
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
        }
    }

    fn set_totals(&mut self, totals: Totals<BTreeMap<String, u64>>) {
        self.events = totals.events;
        self.by_type = totals.by_type;
        self.by_region = totals.by_region;
        self.by_customer_type = totals.by_customer_type;
        self.revenue = totals.revenue;
        self.revenue_by_region = totals.revenue_by_region;
        self.orders = totals.orders;
        self.rejected = totals.rejected;
        self.rejected_by_reason = totals.rejected_by_reason;
    }

    fn totals_entry(&self) -> Result<StateEntry, EntryError> {
        let totals = Totals {
            events: self.events,
            by_type: self.by_type,
            by_region: self.by_region,
            by_customer_type: self.by_customer_type,
            revenue: self.revenue,
            revenue_by_region: self.revenue_by_region,
            orders: self.orders,
            rejected: self.rejected,
            rejected_by_reason: &self.rejected_by_reason,
        };
        encode(TOTALS_KEY, &totals)
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
            Some(windows) => encode(WINDOWS_KEY, windows),
            None => Ok(StateEntry {
                key: WINDOWS_KEY.to_string(),
                value: None,
            }),
        }
    }
}
