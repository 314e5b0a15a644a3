//! A product's counters, and what may have been missed of them (see metrics/bounded.rs).

use serde::{Deserialize, Serialize};

/// One product's counters (or bounds on them).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Counts {
    #[serde(default)]
    pub(crate) views: u64,
    #[serde(default)]
    pub(crate) add_to_carts: u64,
    #[serde(default)]
    pub(crate) purchases: u64,
    #[serde(default)]
    pub(crate) quantity_purchased: u64,
}

impl Counts {
    pub(crate) fn is_zero(&self) -> bool {
        *self == Counts::default()
    }

    pub(crate) fn add(&mut self, other: &Counts) {
        self.views += other.views;
        self.add_to_carts += other.add_to_carts;
        self.purchases += other.purchases;
        self.quantity_purchased += other.quantity_purchased;
    }

    pub(crate) fn raise_to(&mut self, other: &Counts) {
        self.views = self.views.max(other.views);
        self.add_to_carts = self.add_to_carts.max(other.add_to_carts);
        self.purchases = self.purchases.max(other.purchases);
        self.quantity_purchased = self.quantity_purchased.max(other.quantity_purchased);
    }
}

/// A product's miss: nothing allocated while it is 0 (an exact tally), 8 bytes a tally.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "Counts", into = "Counts")]
pub(crate) struct Miss(Option<Box<Counts>>);

impl Miss {
    pub(crate) fn new(counts: Counts) -> Miss {
        Miss((!counts.is_zero()).then(|| Box::new(counts)))
    }

    pub(crate) fn get(&self) -> Counts {
        self.0.as_deref().copied().unwrap_or_default()
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.get().is_zero()
    }

    pub(crate) fn add(&mut self, other: &Counts) {
        let mut sum = self.get();
        sum.add(other);
        *self = Miss::new(sum);
    }
}

impl From<Counts> for Miss {
    fn from(counts: Counts) -> Miss {
        Miss::new(counts)
    }
}

impl From<Miss> for Counts {
    fn from(miss: Miss) -> Counts {
        miss.get()
    }
}
