//! Product tallies within a distinct-key bound: exact until the engine holds the bound of
//! products, then a mergeable summary with a stated error (Misra-Gries / Space-Saving style).
//!
//! When a new product would exceed the bound, the least-counted tenth of the tallies is dropped
//! at once (so the cost of a drop is spread over the admissions that follow), and the engine
//! remembers, per counter, a `floor`: the largest count a dropped product may have had. A
//! product (re)admitted afterwards gets the floor at its admission as its `miss`.
//!
//! Why the bound holds. Invariant, for every counter k (views, add_to_carts, purchases,
//! quantity purchased) and every product p, with true_k(p) the events of p in the stream so far:
//! - p held: c_k(p) <= true_k(p) <= c_k(p) + miss_k(p);
//! - p not held: true_k(p) <= floor_k.
//!
//! It holds for the empty engine (nothing counted, floors 0) and is kept by every step:
//! - an event of a held p adds 1 (or its quantity) to both c_k(p) and true_k(p);
//! - admitting p: it was not held, so true_k(p) <= floor_k = its new miss_k, with c_k(p) = 0;
//! - dropping p: true_k(p) <= c_k(p) + miss_k(p) <= the new floor_k, which only grows, so every
//!   product not held stays below it;
//! - merging A and B (disjoint parts of a stream, true = true_A + true_B): p held by both gets
//!   c = c_A + c_B and miss = miss_A + miss_B; p held by A only gets miss_A + floor_B (B did not
//!   hold it, so true_B(p) <= floor_B), and the other way round; p held by neither is below
//!   floor_A + floor_B, the merged floor. Floors add, then the merge drops down to the bound.
//!
//! So a top list's counts are each short by at most its counter's floor (miss <= floor always:
//! a miss is the floor at admission, and merged misses add as the floors do), and a product left
//! out of the list, or not held, may have had at most that many more events than counted.

use serde::Serialize;

use super::counts::Counts;
use super::{MetricsEngine, ProductTally};

impl ProductTally {
    /// The most each counter may be: what was counted plus what may have been missed.
    fn upper(&self) -> Counts {
        let miss = self.miss.get();
        Counts {
            views: self.views + miss.views,
            add_to_carts: self.add_to_carts + miss.add_to_carts,
            purchases: self.purchases + miss.purchases,
            quantity_purchased: self.quantity_purchased + miss.quantity_purchased,
        }
    }

    /// What decides which tallies go first: the least counted, so that the floors stay low.
    fn weight(&self) -> u64 {
        let upper = self.upper();
        upper.views + upper.add_to_carts + upper.quantity_purchased
    }
}

/// Which figures of a report are approximate, and by how much at most: present only once the
/// engine (or an engine merged into it) has dropped product tallies to stay within its bound.
/// Every other figure (counts by type, region and customer type, revenue, orders, conversion
/// overall, rejections) stays exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approximation {
    /// The distinct-product bound: product tallies held at most.
    pub max_products: u64,
    /// Product tallies held now.
    pub products_held: u64,
    /// Product tallies dropped to stay within the bound (a product dropped, seen again and
    /// dropped again counts twice): at least this many distinct products were seen beyond what
    /// is held.
    pub products_dropped: u64,
    /// A count in the top viewed list may be short by at most this many views, and a product
    /// not listed may have had at most this many more views than counted (0 if not held).
    pub top_viewed_max_miss: u64,
    /// The same for the top added to cart list.
    pub top_added_to_cart_max_miss: u64,
    /// The same for the top purchased list (units purchased).
    pub top_purchased_max_miss: u64,
}

impl MetricsEngine {
    /// Room for one more product: drops the least-counted tenth of the tallies (at least one).
    pub(super) fn make_room(&mut self) {
        let max = self.max_keys.get();
        self.shrink_to(max.saturating_sub((max / 10).max(1)));
    }

    /// Drops the least-counted tallies (by weight, then id, so that every split of a stream
    /// drops the same ones) until at most `keep` are held, raising the floors.
    pub(super) fn shrink_to(&mut self, keep: usize) {
        let excess = self.products.len().saturating_sub(keep);
        if excess == 0 {
            return;
        }
        let cut = {
            let mut ranked: Vec<(u64, &str)> = self
                .products
                .iter()
                .map(|(id, tally)| (tally.weight(), &**id))
                .collect();
            let (_, cut, _) = ranked.select_nth_unstable(excess - 1);
            (cut.0, cut.1.to_string())
        };
        let (floor, dropped) = (&mut self.floor, &mut self.products_dropped);
        let mut marks = self.changes.marks();
        self.products.retain(|id, tally| {
            if (tally.weight(), &**id) > (cut.0, cut.1.as_str()) {
                return true;
            }
            floor.raise_to(&tally.upper());
            *dropped += 1;
            if let Some(marks) = marks.as_deref_mut() {
                marks.removed(id);
            }
            false
        });
    }

    /// Adds another engine's product tallies (see the module's comment for why the bound holds),
    /// then drops down to this engine's bound.
    pub(super) fn merge_products(&mut self, other: &MetricsEngine) {
        if !other.floor.is_zero() {
            let mut marks = self.changes.marks();
            for (id, ours) in &mut self.products {
                if !other.products.contains_key(id) {
                    ours.miss.add(&other.floor);
                    if let Some(marks) = marks.as_deref_mut() {
                        marks.product(id);
                    }
                }
            }
        }
        for (id, theirs) in &other.products {
            let Some(ours) = self.products.get_mut(id) else {
                let mut tally = theirs.clone();
                tally.miss.add(&self.floor);
                self.products.insert(id.clone(), tally);
                continue;
            };
            if (theirs.name_at, &theirs.name) > (ours.name_at, &ours.name) {
                ours.name_at = theirs.name_at;
                ours.name.clone_from(&theirs.name);
            }
            ours.views += theirs.views;
            ours.add_to_carts += theirs.add_to_carts;
            ours.purchases += theirs.purchases;
            ours.quantity_purchased += theirs.quantity_purchased;
            ours.miss.add(&theirs.miss.get());
        }
        self.floor.add(&other.floor);
        self.products_dropped += other.products_dropped;
        self.shrink_to(self.max_keys.get());
    }

    /// What is approximate in a report, when anything is.
    pub(super) fn approximation(&self) -> Option<Approximation> {
        (self.products_dropped > 0).then(|| Approximation {
            max_products: self.max_keys.get() as u64,
            products_held: self.products.len() as u64,
            products_dropped: self.products_dropped,
            top_viewed_max_miss: self.floor.views,
            top_added_to_cart_max_miss: self.floor.add_to_carts,
            top_purchased_max_miss: self.floor.quantity_purchased,
        })
    }

    /// The `n` products with the highest `count` (ties: product_id ascending), best first;
    /// products with a count of 0 are left out. One pass, no sort of every product.
    pub(super) fn ranked(
        &self,
        n: usize,
        count: impl Fn(&ProductTally) -> u64,
    ) -> Vec<(&str, &ProductTally)> {
        let mut best: Vec<(&str, &ProductTally)> = Vec::with_capacity(n + 1);
        // Whether a comes before b in the list.
        let before = |a: (&str, &ProductTally), b: (&str, &ProductTally)| {
            (count(a.1), std::cmp::Reverse(a.0)) > (count(b.1), std::cmp::Reverse(b.0))
        };
        for (id, tally) in &self.products {
            let entry = (&**id, tally);
            if n == 0 || count(entry.1) == 0 {
                continue;
            }
            if best.len() == n && !best.last().is_some_and(|&last| before(entry, last)) {
                continue;
            }
            let at = best.partition_point(|&held| before(held, entry));
            best.insert(at, entry);
            best.truncate(n);
        }
        best
    }
}

#[cfg(test)]
mod tests;
