//! The catalog as it changes during a free-running run: stock goes down with purchases and a
//! sold-out product comes back after a while; prices change now and then, each change in force
//! from the moment it happens (events carry the price in force).

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::arrivals::{DAY_MS, HOUR_MS, exponential};
use crate::behaviour::CatalogDynamics;
use crate::catalog::Catalog;
use crate::money::Money;

pub struct Shelf {
    stock: Vec<u32>,
    /// The catalog's stock: what a restock brings a product back to.
    full_stock: Vec<u32>,
    prices: Vec<Money>,
    list_prices: Vec<Money>,
    /// Sold-out products waiting for their restock: (when, product).
    restocks: BinaryHeap<Reverse<(i64, usize)>>,
    restock_count: Vec<u32>,
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
    pub fn new(
        catalog: &Catalog,
        dynamics: &CatalogDynamics,
        start: i64,
        rng: &mut ChaCha8Rng,
    ) -> Shelf {
        let stock: Vec<u32> = catalog.products.iter().map(|p| p.stock).collect();
        let prices: Vec<Money> = catalog.products.iter().map(|p| p.price).collect();
        let price_change_gap_ms = (dynamics.price_changes_per_day > 0.0)
            .then(|| DAY_MS as f64 / dynamics.price_changes_per_day);
        let mut shelf = Shelf {
            full_stock: stock.clone(),
            restock_count: vec![0; stock.len()],
            stock,
            list_prices: prices.clone(),
            prices,
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

    /// Per product, the price in force.
    pub fn prices(&self) -> &[Money] {
        &self.prices
    }

    pub fn stock(&self, product: usize) -> u32 {
        self.stock[product]
    }

    /// How many times `product` has been restocked.
    #[cfg(test)]
    pub fn restock_count(&self, product: usize) -> u32 {
        self.restock_count[product]
    }

    /// Sells up to `wanted` of `product` at `now`: how many were sold (0 when sold out). Selling
    /// the last one schedules the restock.
    pub fn sell(&mut self, product: usize, wanted: u32, now: i64, rng: &mut ChaCha8Rng) -> u32 {
        let sold = wanted.min(self.stock[product]);
        if sold == 0 {
            return 0;
        }
        self.stock[product] -= sold;
        if self.stock[product] == 0 {
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
    pub fn apply_next_change(&mut self, rng: &mut ChaCha8Rng) {
        let price_change = self.next_price_change;
        match self.restocks.peek() {
            Some(Reverse((at, product))) if *at <= price_change => {
                let product = *product;
                self.restocks.pop();
                self.stock[product] = self.full_stock[product];
                self.restock_count[product] += 1;
            }
            _ if price_change != i64::MAX => {
                self.change_a_price(rng);
                self.next_price_change = self.after(price_change, self.price_change_gap_ms, rng);
            }
            _ => {}
        }
    }

    /// One product gets a new price within the bounds around its list price, or (half the
    /// time, when it is off its list price) goes back to it: a promotion ends.
    fn change_a_price(&mut self, rng: &mut ChaCha8Rng) {
        let product = rng.random_range(0..self.prices.len());
        let list = self.list_prices[product];
        if self.prices[product] != list && rng.random_bool(0.5) {
            self.prices[product] = list;
            return;
        }
        let change = rng.random_range(-self.max_price_cut..=self.max_price_rise);
        let cents = (list.cents() as f64 * (1.0 + change)).round() as i64;
        self.prices[product] = Money::from_cents(cents.max(1));
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
