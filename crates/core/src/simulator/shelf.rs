//! The catalog as it changes during a free-running run: stock goes down with purchases and a
//! sold-out product comes back after a while; prices change now and then, each change in force
//! from the moment it happens (events carry the price in force).
//!
//! Only what differs from the catalog is held (the stock of products sold since their restock,
//! the prices off the list), so memory grows with what the run touched, not with the catalog.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::arrivals::{DAY_MS, HOUR_MS, exponential};
use crate::behaviour::CatalogDynamics;
use crate::money::Money;
use crate::population::Products;

pub struct Shelf {
    /// The stock left of products sold since their last restock (the others have the
    /// catalog's).
    stock_left: HashMap<usize, u32>,
    /// The prices in force of products whose price has changed (the others have the catalog's).
    prices: HashMap<usize, Money>,
    /// Sold-out products waiting for their restock: (when, product).
    restocks: BinaryHeap<Reverse<(i64, usize)>>,
    restock_count: HashMap<usize, u32>,
    next_price_change: i64,
    /// Mean milliseconds from selling out to the restock.
    restock_delay_ms: f64,
    /// Mean milliseconds between two price changes, None without price changes.
    price_change_gap_ms: Option<f64>,
    max_price_cut: f64,
    max_price_rise: f64,
}

impl Shelf {
    /// The catalog's stock and list prices at `start`; draws the first price change.
    pub fn new(dynamics: &CatalogDynamics, start: i64, rng: &mut ChaCha8Rng) -> Shelf {
        let price_change_gap_ms = (dynamics.price_changes_per_day > 0.0)
            .then(|| DAY_MS as f64 / dynamics.price_changes_per_day);
        let mut shelf = Shelf {
            stock_left: HashMap::new(),
            restock_count: HashMap::new(),
            prices: HashMap::new(),
            restocks: BinaryHeap::new(),
            next_price_change: i64::MAX,
            restock_delay_ms: dynamics.restock_delay_hours * HOUR_MS as f64,
            price_change_gap_ms,
            max_price_cut: dynamics.max_price_cut,
            max_price_rise: dynamics.max_price_rise,
        };
        shelf.next_price_change = shelf.after(start, shelf.price_change_gap_ms, rng);
        shelf
    }

    /// The price in force of `product` when it is off the catalog's (None: the catalog's).
    pub fn changed_price(&self, product: usize) -> Option<Money> {
        self.prices.get(&product).copied()
    }

    /// The price in force of `product` of `products`.
    #[cfg(test)]
    pub fn price(&self, product: usize, products: &Products<'_>) -> Money {
        self.changed_price(product)
            .unwrap_or_else(|| products.list_price(product))
    }

    pub fn stock(&self, product: usize, products: &Products<'_>) -> u32 {
        match self.stock_left.get(&product) {
            Some(left) => *left,
            None => products.stock(product),
        }
    }

    /// How many times `product` has been restocked.
    #[cfg(test)]
    pub fn restock_count(&self, product: usize) -> u32 {
        self.restock_count.get(&product).copied().unwrap_or(0)
    }

    /// Sells up to `wanted` of `product` of `products` at `now`: how many were sold (0 when sold
    /// out). Selling the last one schedules the restock.
    pub fn sell(
        &mut self,
        product: usize,
        wanted: u32,
        now: i64,
        rng: &mut ChaCha8Rng,
        products: &Products<'_>,
    ) -> u32 {
        let stock = self.stock(product, products);
        let sold = wanted.min(stock);
        if sold == 0 {
            return 0;
        }
        self.stock_left.insert(product, stock - sold);
        if stock == sold {
            let at = self.after(now, Some(self.restock_delay_ms), rng);
            self.restocks.push(Reverse((at, product)));
        }
        sold
    }

    /// When the next restock or price change happens (i64::MAX: none is due).
    pub fn next_change_at(&self) -> i64 {
        let restock = self
            .restocks
            .peek()
            .map_or(i64::MAX, |Reverse((at, _))| *at);
        restock.min(self.next_price_change)
    }

    /// Carries out the change at [`Shelf::next_change_at`]: a restock first when both are due.
    pub fn apply_next_change(&mut self, rng: &mut ChaCha8Rng, products: &Products<'_>) {
        let price_change = self.next_price_change;
        match self.restocks.peek() {
            Some(Reverse((at, product))) if *at <= price_change => {
                let product = *product;
                self.restocks.pop();
                // Back to the catalog's stock.
                self.stock_left.remove(&product);
                *self.restock_count.entry(product).or_default() += 1;
            }
            _ if price_change != i64::MAX => {
                self.change_a_price(rng, products);
                self.next_price_change = self.after(price_change, self.price_change_gap_ms, rng);
            }
            _ => {}
        }
    }

    /// One product gets a new price within the bounds around its list price, or (half the
    /// time, when it is off its list price) goes back to it: a promotion ends.
    fn change_a_price(&mut self, rng: &mut ChaCha8Rng, products: &Products<'_>) {
        let product = rng.random_range(0..products.len());
        let list = products.list_price(product);
        let off_list = self
            .prices
            .get(&product)
            .is_some_and(|price| *price != list);
        if off_list && rng.random_bool(0.5) {
            self.prices.remove(&product);
            return;
        }
        let change = rng.random_range(-self.max_price_cut..=self.max_price_rise);
        let cents = (list.cents() as f64 * (1.0 + change)).round() as i64;
        let price = Money::from_cents(cents.max(1));
        if price == list {
            self.prices.remove(&product);
        } else {
            self.prices.insert(product, price);
        }
    }

    /// `from` plus an exponential delay of mean `mean_ms` (i64::MAX without one).
    fn after(&self, from: i64, mean_ms: Option<f64>, rng: &mut ChaCha8Rng) -> i64 {
        match mean_ms {
            Some(mean) => from.saturating_add((exponential(rng) * mean) as i64),
            None => i64::MAX,
        }
    }
}

#[cfg(test)]
mod tests;
