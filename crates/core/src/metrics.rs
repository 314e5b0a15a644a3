//! The metrics engine: a plain struct fed decoded events (and rejections) that computes every
//! figure of the book's metrics-consumer section (docs/consumers.md). No Kafka in it; money is exact (cents).

use std::collections::BTreeMap;

use enum_map::{EnumArray, EnumMap};
use serde::{Deserialize, Serialize};

use crate::decode::DecodeError;
use crate::event::{Details, Event};
use crate::money::Money;
use crate::tallies::{MaxKeys, named, ratio};
use crate::vocab::{CustomerType, EventType, Region, TopicKind};
use crate::windows::{EventTimeWindows, Placement, WidthMismatch, WindowRules};

mod bounded;
mod counts;
mod entries;
mod marks;

pub use crate::tallies::DEFAULT_MAX_KEYS;
pub use bounded::Approximation;
use counts::{Counts, Miss};
pub use entries::{
    EntryError, PRODUCT_PREFIX, StateEntry, TOTALS_KEY, WINDOW_USERS_PREFIX, WINDOWS_KEY,
};
use marks::Tracking;

/// How many products each top list holds.
pub const TOP: usize = 5;

#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
struct ProductTally {
    /// The product's name in its latest event by event time (ties: the greater name), so that a
    /// name is the same whichever way a stream was split and merged. Boxed (and the key too): a
    /// million tallies fit in less memory.
    name: Box<str>,
    /// Event time of `name`, Unix milliseconds.
    #[serde(default)]
    name_at: i64,
    views: u64,
    add_to_carts: u64,
    purchases: u64,
    quantity_purchased: u64,
    /// How many events of each kind the product may have had before the engine held its tally
    /// (see metrics/bounded.rs): all 0 while the figures are exact.
    #[serde(default, skip_serializing_if = "Miss::is_zero")]
    miss: Miss,
}

/// Running totals; [`MetricsEngine::report`] turns them into the figures. Serializable, so that a
/// checkpoint can hold it together with the offsets it covers: tallies by event type, region and
/// customer type as objects keyed by their wire spelling, money as whole cents.
///
/// Mergeable: [`MetricsEngine::merge`] adds another engine's totals, and the engines of any split
/// of a stream merge into exactly the engine of the whole stream (so state can be kept per input
/// partition and the report computed from the merge).
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricsEngine {
    events: u64,
    by_type: EnumMap<EventType, u64>,
    by_region: EnumMap<Region, u64>,
    by_customer_type: EnumMap<CustomerType, u64>,
    /// foldhash: a lookup per product event, where SipHash showed in profiles; still seeded
    /// per process, as product ids come from messages.
    /// At most `max_keys` of them (see metrics/bounded.rs).
    products: foldhash::HashMap<Box<str>, ProductTally>,
    /// The most each counter of a product no longer held may have been (0 while exact).
    #[serde(default, skip_serializing_if = "Counts::is_zero")]
    floor: Counts,
    /// Product tallies dropped to stay within the bound.
    #[serde(default, skip_serializing_if = "is_zero")]
    products_dropped: u64,
    /// The distinct-key bound: products held, users counted exactly per window.
    #[serde(skip)]
    max_keys: MaxKeys,
    #[serde(with = "crate::money::cents")]
    revenue: Money,
    #[serde(with = "cents_by_region")]
    revenue_by_region: EnumMap<Region, Money>,
    orders: u64,
    rejected: u64,
    rejected_by_reason: BTreeMap<String, u64>,
    /// Figures per window of event time, when kept: saved and merged with the rest, so that a
    /// checkpoint, a group's state records and reader threads carry them too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    windows: Option<Box<EventTimeWindows>>,
    /// Users restored before their window's entry (see `apply_entry`), until it comes.
    #[serde(skip)]
    restoring_users: BTreeMap<i64, crate::windows::ActiveUsers>,
    /// What changed since the last commit, when the engine tracks it (see `take_changes`).
    #[serde(skip)]
    changes: Tracking,
}

/// One product in a top list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopProduct {
    pub product_id: String,
    pub product_name: String,
    pub count: u64,
    /// purchase events / view events of this product (only in the top viewed list).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub view_to_purchase: Option<f64>,
}

/// Every figure of a report, as `metrics-consumer --json` prints it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub events: u64,
    pub events_by_type: BTreeMap<&'static str, u64>,
    pub events_by_region: BTreeMap<&'static str, u64>,
    pub events_by_customer_type: BTreeMap<&'static str, u64>,
    pub top_viewed: Vec<TopProduct>,
    pub top_added_to_cart: Vec<TopProduct>,
    pub top_purchased: Vec<TopProduct>,
    /// purchase events / view events (0 when there are no views).
    pub view_to_purchase: f64,
    /// purchase events / add_to_cart events (0 when there are none).
    pub cart_to_purchase: f64,
    pub revenue: Money,
    pub revenue_by_region: BTreeMap<&'static str, Money>,
    pub orders: u64,
    /// revenue / orders, rounded to the cent (half up).
    pub average_order_value: Money,
    pub rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Which figures are approximate and by how much at most (the top lists, once more distinct
    /// products came than the bound); absent while every figure is exact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub approximate: Option<Approximation>,
}

fn is_zero(count: &u64) -> bool {
    *count == 0
}

/// How [`MetricsEngine::resume_windows`] took up the windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowsResumed {
    /// Saved windows go on.
    Saved,
    /// None were saved: they start now, with nothing counted before.
    Started,
    /// None were saved, but figures were: the windows start now, without the events counted.
    StartedAfterCounts,
}

impl MetricsEngine {
    /// An engine with the default distinct-key bound ([`DEFAULT_MAX_KEYS`]).
    pub fn new() -> MetricsEngine {
        MetricsEngine::default()
    }

    /// An engine that holds at most `max_keys` product tallies (at least 1), and counts the users
    /// of each window exactly up to that many (see [`MetricsEngine::set_max_keys`]).
    pub fn with_max_keys(max_keys: usize) -> MetricsEngine {
        let mut engine = MetricsEngine::new();
        engine.set_max_keys(max_keys);
        engine
    }

    /// Sets the distinct-key bound (at least 1): beyond it the top lists become approximate, with
    /// their error in [`Report::approximate`], and a window's active users an estimate. Drops
    /// tallies at once if more are held. Not saved: a restored engine takes the reader's.
    pub fn set_max_keys(&mut self, max_keys: usize) {
        self.max_keys = MaxKeys::new(max_keys);
        if let Some(windows) = &mut self.windows {
            windows.set_max_users(self.max_keys);
        }
        self.shrink_to(self.max_keys.get());
    }

    pub fn max_keys(&self) -> usize {
        self.max_keys.get()
    }

    /// Counts one valid event.
    pub fn record(&mut self, event: &Event<'_>) {
        self.events += 1;
        self.by_type[event.event_type()] += 1;
        self.by_region[event.region] += 1;
        self.by_customer_type[event.customer_type] += 1;
        let Some(product) = event.details.product() else {
            if let Some(marks) = self.changes.marks() {
                marks.totals = true;
            }
            return;
        };
        if let Some(marks) = self.changes.marks() {
            marks.product(&product.product_id);
        }
        let tally = match self.products.get_mut(product.product_id.as_ref()) {
            Some(tally) => tally,
            None => {
                if self.products.len() >= self.max_keys.get() {
                    self.make_room();
                }
                let tally = self
                    .products
                    .entry(product.product_id.as_ref().into())
                    .or_default();
                tally.miss = Miss::new(self.floor);
                tally
            }
        };
        let at = event.timestamp.millis();
        if at > tally.name_at
            || tally.name.is_empty()
            || (at == tally.name_at && *product.product_name > *tally.name)
        {
            tally.name_at = at;
            if *tally.name != *product.product_name {
                tally.name = product.product_name.as_ref().into();
            }
        }
        match &event.details {
            Details::View { .. } => tally.views += 1,
            Details::AddToCart { .. } => tally.add_to_carts += 1,
            Details::Purchase {
                quantity, total, ..
            } => {
                tally.purchases += 1;
                tally.quantity_purchased += u64::from(*quantity);
                self.orders += 1;
                self.revenue += *total;
                self.revenue_by_region[event.region] += *total;
            }
            _ => {}
        }
    }

    /// An engine that keeps figures per window of event time too.
    pub fn with_windows(windows: EventTimeWindows) -> MetricsEngine {
        let mut engine = MetricsEngine::default();
        engine.set_windows(Some(windows));
        engine
    }

    /// Counts one valid event of `topic`'s `partition` (a topic of kind `kind`) read at `now`
    /// (the caller's wall clock, ms), in its window of event time too when windows are kept.
    pub fn record_at(
        &mut self,
        kind: TopicKind,
        topic: &str,
        partition: i32,
        event: &Event<'_>,
        now: i64,
    ) -> Placement {
        self.record(event);
        if let Some(marks) = self.changes.marks() {
            marks.windows = true;
        }
        match &mut self.windows {
            Some(windows) => windows.record(kind, topic, partition, event, now),
            None => Placement::Counted,
        }
    }

    pub fn windows(&self) -> Option<&EventTimeWindows> {
        self.windows.as_deref()
    }

    pub fn windows_mut(&mut self) -> Option<&mut EventTimeWindows> {
        self.windows.as_deref_mut()
    }

    /// Keeps (or stops keeping, with None) figures per window of event time.
    pub fn set_windows(&mut self, windows: Option<EventTimeWindows>) {
        self.windows = windows.map(Box::new);
        if let Some(windows) = &mut self.windows {
            windows.set_max_users(self.max_keys);
        }
        if let Some(marks) = self.changes.marks() {
            marks.windows = true;
        }
    }

    /// Takes up windows of event time under `rules` again, watching `partitions` from `now` (the
    /// caller's wall clock, ms): saved windows go on (at the same width only), an engine without
    /// any starts them now. Says which, so that the caller can warn when figures were kept
    /// without windows; the one way checkpoints and exactly-once state resume their windows.
    pub fn resume_windows<'a>(
        &mut self,
        rules: WindowRules,
        now: i64,
        partitions: impl IntoIterator<Item = (&'a str, i32)>,
    ) -> Result<WindowsResumed, WidthMismatch> {
        let (mut windows, resumed) = match self.windows.clone() {
            Some(saved) => (saved.resume(rules, now)?, WindowsResumed::Saved),
            None if self.messages() > 0 => (
                EventTimeWindows::new(rules),
                WindowsResumed::StartedAfterCounts,
            ),
            None => (EventTimeWindows::new(rules), WindowsResumed::Started),
        };
        for (topic, partition) in partitions {
            windows.watch(topic, partition, now);
        }
        self.set_windows(Some(windows));
        Ok(resumed)
    }

    /// Counts one rejected message; no business figure changes.
    pub fn record_rejected(&mut self, reason: &DecodeError) {
        self.rejected += 1;
        if let Some(marks) = self.changes.marks() {
            marks.totals = true;
        }
        match self.rejected_by_reason.get_mut(reason.kind()) {
            Some(count) => *count += 1,
            None => {
                self.rejected_by_reason.insert(reason.kind().to_string(), 1);
            }
        }
    }

    /// Adds the totals of `other` (for instance another partition's): every count, tally and
    /// amount adds; a product's name is the one of its latest event, as in [`Self::record`].
    pub fn merge(&mut self, other: &MetricsEngine) {
        fn add<K: EnumArray<V>, V: Copy + std::ops::AddAssign>(
            into: &mut EnumMap<K, V>,
            from: &EnumMap<K, V>,
        ) {
            for (key, value) in from {
                into[key] += *value;
            }
        }
        self.events += other.events;
        add(&mut self.by_type, &other.by_type);
        add(&mut self.by_region, &other.by_region);
        add(&mut self.by_customer_type, &other.by_customer_type);
        if let Some(marks) = self.changes.marks() {
            marks.totals = true;
            marks.windows = true;
            for id in other.products.keys() {
                marks.product(id);
            }
        }
        self.merge_products(other);
        self.revenue += other.revenue;
        add(&mut self.revenue_by_region, &other.revenue_by_region);
        self.orders += other.orders;
        self.rejected += other.rejected;
        for (reason, count) in &other.rejected_by_reason {
            *self.rejected_by_reason.entry(reason.clone()).or_default() += count;
        }
        if let Some(theirs) = &other.windows {
            match &mut self.windows {
                Some(ours) => ours.merge(theirs),
                None => {
                    let mut windows = theirs.clone();
                    windows.set_max_users(self.max_keys);
                    self.windows = Some(windows);
                }
            }
        }
    }

    /// Valid events plus rejected messages seen so far.
    pub fn messages(&self) -> u64 {
        self.events + self.rejected
    }

    pub fn report(&self) -> Report {
        let views = self.by_type[EventType::View];
        let carts = self.by_type[EventType::AddToCart];
        let purchases = self.by_type[EventType::Purchase];
        let average_order_value = if self.orders == 0 {
            Money::ZERO
        } else {
            let orders = self.orders as i64;
            Money::from_cents((self.revenue.cents() + orders / 2) / orders)
        };
        Report {
            events: self.events,
            events_by_type: named(&self.by_type, EventType::as_str),
            events_by_region: named(&self.by_region, Region::as_str),
            events_by_customer_type: named(&self.by_customer_type, CustomerType::as_str),
            top_viewed: self.top(|t| t.views, true),
            top_added_to_cart: self.top(|t| t.add_to_carts, false),
            top_purchased: self.top(|t| t.quantity_purchased, false),
            view_to_purchase: ratio(purchases, views),
            cart_to_purchase: ratio(purchases, carts),
            revenue: self.revenue,
            revenue_by_region: named(&self.revenue_by_region, Region::as_str),
            orders: self.orders,
            average_order_value,
            rejected: self.rejected,
            rejected_by_reason: self.rejected_by_reason.clone(),
            approximate: self.approximation(),
        }
    }

    /// The top products by `count` (ties: product_id ascending); products with a count of 0 are
    /// left out.
    fn top(&self, count: impl Fn(&ProductTally) -> u64, with_conversion: bool) -> Vec<TopProduct> {
        self.ranked(TOP, &count)
            .into_iter()
            .map(|(id, tally)| TopProduct {
                product_id: id.to_string(),
                product_name: tally.name.to_string(),
                count: count(tally),
                view_to_purchase: with_conversion.then(|| ratio(tally.purchases, tally.views)),
            })
            .collect()
    }
}

/// The revenue of each region as whole cents (see [`crate::money::cents`]).
mod cents_by_region {
    use enum_map::EnumMap;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::money::Money;
    use crate::vocab::Region;

    #[derive(Serialize, Deserialize)]
    #[serde(transparent)]
    struct Cents(#[serde(with = "crate::money::cents")] Money);

    pub fn serialize<S: Serializer>(
        revenue: &EnumMap<Region, Money>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        revenue.map(|_, money| Cents(money)).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<EnumMap<Region, Money>, D::Error> {
        Ok(EnumMap::<Region, Cents>::deserialize(deserializer)?.map(|_, cents| cents.0))
    }
}

#[cfg(test)]
mod tests;
