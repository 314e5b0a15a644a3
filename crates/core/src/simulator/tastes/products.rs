//! Which product a shopper looks at: a Zipf-like popularity (a few products draw most views)
//! times the interest weight for the categories the user is interested in.
//!
//! User u's weight of product p is pop(p) times interest_weight when category(p) is one of u's
//! interests, else pop(p). Kept per user, that is a table of users x products. Instead:
//! - a listed catalog (the files; the ranking fixed by product id, not by the run's seed) draws
//!   the same distribution as a mixture of shared tables, since the weight is also pop(p) plus
//!   (interest_weight - 1) pop(p) for the interest categories: the part "every product" weighs
//!   P_all (the sum of all popularities), each interest category c weighs (interest_weight - 1)
//!   P_c (the sum of its products' popularities); a draw picks a part in proportion to its
//!   weight, then a product from that part's popularity table. Memory grows with the products.
//! - a generated catalog holds no table at all: a rank is drawn from the Zipf law (rejection
//!   inversion), a fixed permutation of the catalog (from its seed) turns it into a product, and
//!   a product outside the user's interests is kept with chance 1 / interest_weight (rejection
//!   sampling: the kept draws follow the same weights exactly).

mod zipf;

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::{Error as WeightError, WeightedIndex};

use self::zipf::Zipf;
use crate::behaviour::Popularity;
use crate::catalog::{Product, User};
use crate::population::{self, GeneratedProducts, Products};

pub enum ProductChoice {
    Listed(ListedChoice),
    Generated(GeneratedChoice),
}

impl ProductChoice {
    /// Fails for a catalog without products, or an interest weight below 1 (which the behaviour
    /// model's validation rules out).
    pub fn new(products: &Products<'_>, skew: Popularity) -> Result<ProductChoice, WeightError> {
        if !(skew.interest_weight >= 1.0 && skew.interest_weight.is_finite()) {
            return Err(WeightError::InvalidWeight);
        }
        Ok(match products {
            Products::Listed(products) => ProductChoice::Listed(ListedChoice::new(products, skew)?),
            Products::Generated(products) => {
                ProductChoice::Generated(GeneratedChoice::new(*products, skew)?)
            }
        })
    }

    /// `user`'s interests as this choice numbers categories (those with products, each once, in
    /// the order of the interests), into `out`.
    pub fn interests(&self, user: &User, out: &mut Vec<u32>) {
        out.clear();
        for interest in &user.interests {
            let id = match self {
                ProductChoice::Listed(listed) => listed.category_ids.get(interest).copied(),
                ProductChoice::Generated(_) => {
                    population::category_index(interest).and_then(|index| u32::try_from(index).ok())
                }
            };
            if let Some(id) = id
                && !out.contains(&id)
            {
                out.push(id);
            }
        }
    }

    /// A product (index into the catalog) that a user of these `interests` looks at.
    pub fn sample(&self, interests: &[u32], rng: &mut impl Rng) -> usize {
        match self {
            ProductChoice::Listed(listed) => listed.sample(interests, rng),
            ProductChoice::Generated(generated) => generated.sample(interests, rng),
        }
    }
}

/// The products of one category and a choice among them by popularity.
struct Category {
    products: Vec<usize>,
    choice: WeightedIndex<f64>,
    /// The sum of its products' popularities.
    popularity: f64,
}

/// The mixture of a listed catalog.
pub struct ListedChoice {
    /// Every product, by popularity.
    all: WeightedIndex<f64>,
    /// The sum of every product's popularity.
    all_popularity: f64,
    categories: Vec<Category>,
    /// interest_weight - 1: what an interest adds to a product's weight, per unit of popularity.
    extra: f64,
    /// Categories by name, numbered in the order their first product comes.
    category_ids: HashMap<String, u32>,
}

impl ListedChoice {
    fn new(products: &[Product], skew: Popularity) -> Result<ListedChoice, WeightError> {
        let popularity = popularities(products, skew.popularity_exponent);
        let mut category_ids: HashMap<String, u32> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (index, product) in products.iter().enumerate() {
            let next = u32::try_from(members.len()).map_err(|_| WeightError::Overflow)?;
            let id = *category_ids.entry(product.category.clone()).or_insert(next);
            if id == next {
                members.push(Vec::new());
            }
            members[id as usize].push(index);
        }
        let categories = members
            .into_iter()
            .map(|products| category(products, &popularity))
            .collect::<Result<Vec<_>, _>>()?;
        let all = WeightedIndex::new(&popularity)?;
        Ok(ListedChoice {
            all_popularity: all.total_weight(),
            all,
            categories,
            extra: skew.interest_weight - 1.0,
            category_ids,
        })
    }

    fn sample(&self, interests: &[u32], rng: &mut impl Rng) -> usize {
        if interests.is_empty() || self.extra == 0.0 {
            return self.all.sample(rng);
        }
        let total = self.all_popularity + self.interest_weights(interests).sum::<f64>();
        let x = rng.random::<f64>() * total;
        let mut bound = self.all_popularity;
        if x < bound {
            return self.all.sample(rng);
        }
        let mut chosen = &self.categories[interests[interests.len() - 1] as usize];
        for (&id, weight) in interests.iter().zip(self.interest_weights(interests)) {
            bound += weight;
            if x < bound {
                chosen = &self.categories[id as usize];
                break;
            }
        }
        // Past every bound (rounding at the very top): the last category, as above.
        chosen.products[chosen.choice.sample(rng)]
    }

    /// The weight of each interest category's part of the mixture.
    fn interest_weights<'a>(&'a self, interests: &'a [u32]) -> impl Iterator<Item = f64> + 'a {
        interests
            .iter()
            .map(|&id| self.extra * self.categories[id as usize].popularity)
    }

    /// The chance that a user of these `interests` looks at `product`, from the mixture's parts.
    #[cfg(test)]
    pub fn probability(&self, interests: &[u32], product: usize) -> f64 {
        let total = self.all_popularity + self.interest_weights(interests).sum::<f64>();
        let share = |choice: &WeightedIndex<f64>, index: usize| {
            choice.weight(index).unwrap_or(0.0) / choice.total_weight()
        };
        let mut chance = self.all_popularity / total * share(&self.all, product);
        for (&id, weight) in interests.iter().zip(self.interest_weights(interests)) {
            let category = &self.categories[id as usize];
            if let Some(index) = category.products.iter().position(|&p| p == product) {
                chance += weight / total * share(&category.choice, index);
            }
        }
        chance
    }
}

/// Per product, its popularity: 1 / rank^exponent, products ranked by a hash of their id.
pub(super) fn popularities(products: &[Product], exponent: f64) -> Vec<f64> {
    let mut ranked: Vec<usize> = (0..products.len()).collect();
    ranked.sort_by_key(|&i| stable_hash(&products[i].product_id));
    let mut popularity = vec![0.0; products.len()];
    for (rank, &product) in ranked.iter().enumerate() {
        popularity[product] = 1.0 / (rank as f64 + 1.0).powf(exponent);
    }
    popularity
}

fn category(products: Vec<usize>, popularity: &[f64]) -> Result<Category, WeightError> {
    let choice = WeightedIndex::new(products.iter().map(|&p| popularity[p]))?;
    Ok(Category {
        popularity: choice.total_weight(),
        choice,
        products,
    })
}

/// FNV-1a: a hash that is the same on every platform and Rust version.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The choice of a generated catalog: nothing per product.
pub struct GeneratedChoice {
    products: GeneratedProducts,
    ranks: Zipf,
    /// Rank r (from 0) is product (r * step + offset) mod count: a permutation, as step and
    /// count are coprime.
    step: u64,
    offset: u64,
    /// 1 / interest_weight: the chance to keep a product outside the user's interests.
    keep_other: f64,
}

impl GeneratedChoice {
    fn new(products: GeneratedProducts, skew: Popularity) -> Result<GeneratedChoice, WeightError> {
        let count = products.count;
        if count == 0 || !skew.popularity_exponent.is_finite() {
            return Err(WeightError::InvalidInput);
        }
        let mut step = population::splitmix64(products.seed) % count;
        while gcd(step, count) != 1 {
            step = (step + 1) % count;
        }
        Ok(GeneratedChoice {
            products,
            ranks: Zipf::new(count, skew.popularity_exponent),
            step,
            offset: population::splitmix64(products.seed ^ 0x5a49_5046) % count,
            keep_other: 1.0 / skew.interest_weight,
        })
    }

    /// The product of popularity rank `rank` (from 0).
    fn product_of_rank(&self, rank: u64) -> u64 {
        let count = u128::from(self.products.count);
        let index = (u128::from(rank) * u128::from(self.step) + u128::from(self.offset)) % count;
        // Below the count, a u64.
        u64::try_from(index).unwrap_or(0)
    }

    fn sample(&self, interests: &[u32], rng: &mut impl Rng) -> usize {
        loop {
            let product = self.product_of_rank(self.ranks.sample(rng) - 1);
            let keep = interests.is_empty()
                || self.keep_other >= 1.0
                || u32::try_from(self.products.category(product))
                    .is_ok_and(|category| interests.contains(&category))
                || rng.random::<f64>() < self.keep_other;
            if keep {
                // Below the catalog's size, which came from a usize.
                return usize::try_from(product).unwrap_or(0);
            }
        }
    }

    /// The chance of each product for a user of these `interests` (the weights this choice
    /// draws by, normalised), by brute force over the catalog: for tests of small catalogs.
    #[cfg(test)]
    pub fn probabilities(&self, interests: &[u32], exponent: f64) -> Vec<f64> {
        let count = self.products.count;
        let mut weights = vec![0.0; count as usize];
        for rank in 0..count {
            let product = self.product_of_rank(rank);
            let interested = u32::try_from(self.products.category(product))
                .is_ok_and(|category| interests.contains(&category));
            let factor = if interested || interests.is_empty() {
                1.0
            } else {
                self.keep_other
            };
            weights[product as usize] = factor / (rank as f64 + 1.0).powf(exponent);
        }
        let total: f64 = weights.iter().sum();
        weights.iter().map(|w| w / total).collect()
    }
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests;
