//! Which product a shopper looks at: a Zipf-like popularity (a few products draw most views; the
//! ranking is fixed by product id, not by the run's seed) times the interest weight for the
//! categories the user is interested in.
//!
//! User u's weight of product p is pop(p) times interest_weight when category(p) is one of u's
//! interests, else pop(p). Kept per user, that is a table of users x products. Instead the same
//! distribution is drawn as a mixture of shared tables, since the weight is also pop(p) plus
//! (interest_weight - 1) pop(p) for the interest categories: the part "every product" weighs
//! P_all (the sum of all popularities), each interest category c weighs (interest_weight - 1) P_c
//! (the sum of its products' popularities); a draw picks a part in proportion to its weight, then
//! a product from that part's popularity table. Memory and start-up grow with users + products.

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::{Error as WeightError, WeightedIndex};

use crate::behaviour::Popularity;
use crate::catalog::Catalog;

/// The products of one category and a choice among them by popularity.
struct Category {
    products: Vec<usize>,
    choice: WeightedIndex<f64>,
    /// The sum of its products' popularities.
    popularity: f64,
}

pub struct ProductChoice {
    /// Every product, by popularity.
    all: WeightedIndex<f64>,
    /// The sum of every product's popularity.
    all_popularity: f64,
    categories: Vec<Category>,
    /// interest_weight - 1: what an interest adds to a product's weight, per unit of popularity.
    extra: f64,
    /// Per user, the categories of its interests that have products (each once, in the order of
    /// the interests), flat: user u's are `interests[starts[u]..starts[u + 1]]`.
    interests: Vec<u32>,
    starts: Vec<u32>,
}

impl ProductChoice {
    /// Fails for a catalog without products, or an interest weight below 1 (which the behaviour
    /// model's validation rules out).
    pub fn new(catalog: &Catalog, skew: Popularity) -> Result<ProductChoice, WeightError> {
        if !(skew.interest_weight >= 1.0 && skew.interest_weight.is_finite()) {
            return Err(WeightError::InvalidWeight);
        }
        let popularity = popularities(catalog, skew.popularity_exponent);
        let mut category_ids: HashMap<&str, u32> = HashMap::new();
        let mut members: Vec<Vec<usize>> = Vec::new();
        for (index, product) in catalog.products.iter().enumerate() {
            let next = u32::try_from(members.len()).map_err(|_| WeightError::Overflow)?;
            let id = *category_ids
                .entry(product.category.as_str())
                .or_insert(next);
            if id == next {
                members.push(Vec::new());
            }
            members[id as usize].push(index);
        }
        let categories = members
            .into_iter()
            .map(|products| category(products, &popularity))
            .collect::<Result<Vec<_>, _>>()?;
        let (interests, starts) = user_interests(catalog, &category_ids)?;
        let all = WeightedIndex::new(&popularity)?;
        Ok(ProductChoice {
            all_popularity: all.total_weight(),
            all,
            categories,
            extra: skew.interest_weight - 1.0,
            interests,
            starts,
        })
    }

    /// A product (index into the catalog) that `user` looks at.
    pub fn sample(&self, user: usize, rng: &mut impl Rng) -> usize {
        let interests = self.interests_of(user);
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

    fn interests_of(&self, user: usize) -> &[u32] {
        &self.interests[self.starts[user] as usize..self.starts[user + 1] as usize]
    }

    /// The weight of each interest category's part of the mixture.
    fn interest_weights<'a>(&'a self, interests: &'a [u32]) -> impl Iterator<Item = f64> + 'a {
        interests
            .iter()
            .map(|&id| self.extra * self.categories[id as usize].popularity)
    }

    /// The chance that `user` looks at `product`, from the mixture's parts.
    #[cfg(test)]
    pub fn probability(&self, user: usize, product: usize) -> f64 {
        let interests = self.interests_of(user);
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
pub(super) fn popularities(catalog: &Catalog, exponent: f64) -> Vec<f64> {
    let mut ranked: Vec<usize> = (0..catalog.products.len()).collect();
    ranked.sort_by_key(|&i| stable_hash(&catalog.products[i].product_id));
    let mut popularity = vec![0.0; catalog.products.len()];
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

/// Every user's interest categories (those with products, each once), flat, and where each
/// user's start.
fn user_interests(
    catalog: &Catalog,
    category_ids: &HashMap<&str, u32>,
) -> Result<(Vec<u32>, Vec<u32>), WeightError> {
    let mut interests: Vec<u32> = Vec::new();
    let mut starts: Vec<u32> = Vec::with_capacity(catalog.users.len() + 1);
    starts.push(0);
    for user in &catalog.users {
        let start = interests.len();
        for interest in &user.interests {
            if let Some(&id) = category_ids.get(interest.as_str())
                && !interests[start..].contains(&id)
            {
                interests.push(id);
            }
        }
        starts.push(u32::try_from(interests.len()).map_err(|_| WeightError::Overflow)?);
    }
    Ok((interests, starts))
}

/// FNV-1a: a hash that is the same on every platform and Rust version.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests;
