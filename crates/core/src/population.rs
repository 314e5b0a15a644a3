//! Generated populations and catalogs: user i and product j as pure functions of (seed, index),
//! in the shape of data/users.json and data/products.json, so that a shop of any size needs no
//! file and shards on different machines agree on it without sharing one.
//!
//! Each entity draws from its own small RNG, seeded by a hash of (seed, kind, index): entity i
//! never depends on entity i - 1, and ids are unique by construction (`U00000001`, `P0000001`:
//! room for 99,999,999 users and 9,999,999 products).

use std::io::{self, Write};
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use strum::VariantArray;

use crate::catalog::{Catalog, CatalogError, Product, User, load_products, load_users};
use crate::money::Money;
use crate::vocab::{CustomerType, Region};

mod words;

use words::{CATEGORIES, FIRST_NAMES, LAST_NAMES, VARIANTS};

/// The population seed of a run without `--seed`: such runs of one size all get the same shop.
pub const UNSEEDED: u64 = 0;

/// The largest generated population and catalog (the widths of their ids).
pub const MAX_USERS: u64 = 99_999_999;
pub const MAX_PRODUCTS: u64 = 9_999_999;

/// Customer types in the shipped users' proportions (24 / 17 / 7 of 48: about 50 / 35 / 15 %).
const CUSTOMER_TYPES: [(CustomerType, u32); 3] = [
    (CustomerType::Regular, 10),
    (CustomerType::Premium, 7),
    (CustomerType::Vip, 3),
];
/// How many interests a user has (1, 2, 3), in the shipped users' proportions.
const INTEREST_COUNTS: [(usize, u32); 3] = [(1, 10), (2, 7), (3, 3)];
/// Age bands (first, last, weight) in the shipped users' proportions.
const AGE_BANDS: [(u8, u8, u32); 4] = [(18, 29, 18), (30, 44, 8), (45, 59, 13), (60, 75, 9)];
/// Endings of prices in cents (x.99 mostly, as shops price).
const PRICE_ENDINGS: [i64; 6] = [99, 99, 99, 95, 49, 0];

/// The sizes of a run's shop: 0 = the file (USERS_FILE, PRODUCTS_FILE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sizes {
    pub users: u64,
    pub products: u64,
}

/// Which kind of entity a hash is for, so that user i and product i draw differently.
#[derive(Clone, Copy)]
enum Kind {
    User = 1,
    Product = 2,
}

/// The RNG of entity `index` of `kind` in the population of `seed`.
fn entity_rng(seed: u64, kind: Kind, index: u64) -> ChaCha8Rng {
    let key = splitmix64(splitmix64(splitmix64(seed) ^ kind as u64) ^ index);
    ChaCha8Rng::seed_from_u64(key)
}

/// SplitMix64's step and finaliser: a bijection of u64 that scatters nearby inputs.
fn splitmix64(value: u64) -> u64 {
    let mut z = value.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An index into `weights` drawn in proportion to them (integers: the same on every platform).
fn weighted(rng: &mut impl Rng, weights: impl Iterator<Item = u32> + Clone) -> usize {
    let total: u32 = weights.clone().sum();
    let mut ticket = rng.random_range(0..total.max(1));
    for (index, weight) in weights.enumerate() {
        if ticket < weight {
            return index;
        }
        ticket -= weight;
    }
    0
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// User `index` (from 0) of the population of `seed`; its id is `U` and index + 1 in 8 digits.
pub fn user(seed: u64, index: u64) -> User {
    let mut rng = entity_rng(seed, Kind::User, index);
    let number = index + 1;
    let first = *pick(&mut rng, &FIRST_NAMES);
    let last = *pick(&mut rng, &LAST_NAMES);
    let region = *pick(&mut rng, Region::VARIANTS);
    let customer_type = CUSTOMER_TYPES[weighted(&mut rng, CUSTOMER_TYPES.iter().map(|c| c.1))].0;
    let (youngest, oldest, _) = AGE_BANDS[weighted(&mut rng, AGE_BANDS.iter().map(|b| b.2))];
    let age = rng.random_range(youngest..=oldest);
    User {
        user_id: format!("U{number:08}"),
        name: format!("{first} {last}"),
        email: format!("{}.{}{number}@example.com", first, last).to_lowercase(),
        region,
        customer_type,
        age,
        interests: interests(&mut rng),
    }
}

/// One to three distinct categories, drawn in the shipped users' proportions.
fn interests(rng: &mut impl Rng) -> Vec<String> {
    let count = INTEREST_COUNTS[weighted(rng, INTEREST_COUNTS.iter().map(|c| c.1))].0;
    let mut taken = [false; CATEGORIES.len()];
    let mut interests = Vec::with_capacity(count);
    for _ in 0..count {
        let weights = CATEGORIES
            .iter()
            .zip(taken)
            .map(|(category, taken)| if taken { 0 } else { category.interest });
        let chosen = weighted(rng, weights);
        taken[chosen] = true;
        interests.push(CATEGORIES[chosen].name.to_string());
    }
    interests
}

/// Product `index` (from 0) of the catalog of `seed`; its id is `P` and index + 1 in 7 digits.
pub fn product(seed: u64, index: u64) -> Product {
    let mut rng = entity_rng(seed, Kind::Product, index);
    let category = &CATEGORIES[weighted(&mut rng, CATEGORIES.iter().map(|c| c.products))];
    let &(item, reference_cents, reference_stock) = pick(&mut rng, category.items);
    let brand = *pick(&mut rng, category.brands);
    let variant = *pick(&mut rng, &VARIANTS);
    // From 60 % to 160 % of the reference price, in whole units, with a shop's ending.
    let permille = rng.random_range(600..=1600);
    let whole = ((reference_cents * permille / 1000 + 50) / 100).max(1);
    let cents = match *pick(&mut rng, &PRICE_ENDINGS) {
        0 => whole * 100,
        ending => (whole - 1) * 100 + ending,
    };
    let stock_permille = rng.random_range(300..=2000);
    let stock = (u64::from(reference_stock) * stock_permille / 1000).max(1);
    Product {
        product_id: format!("P{:07}", index + 1),
        name: if variant.is_empty() {
            item.to_string()
        } else {
            format!("{item} {variant}")
        },
        category: category.name.to_string(),
        price: Money::from_cents(cents),
        brand: brand.to_string(),
        stock: u32::try_from(stock).unwrap_or(u32::MAX),
    }
}

/// The first `count` users of the population of `seed`.
pub fn users(seed: u64, count: u64) -> Vec<User> {
    (0..count).map(|index| user(seed, index)).collect()
}

/// The first `count` products of the catalog of `seed`.
pub fn products(seed: u64, count: u64) -> Vec<Product> {
    (0..count).map(|index| product(seed, index)).collect()
}

impl Catalog {
    /// A generated catalog of `products` products and `users` users (both at least 1 for a
    /// simulator to run), held in memory.
    pub fn generated(seed: u64, users: u64, products: u64) -> Catalog {
        Catalog {
            products: self::products(seed, products),
            users: self::users(seed, users),
        }
    }

    /// The files' products and users, or generated ones where `sizes` asks for them (not 0).
    pub fn load_or_generate(
        products_file: &Path,
        users_file: &Path,
        seed: u64,
        sizes: Sizes,
    ) -> Result<Catalog, CatalogError> {
        Ok(Catalog {
            products: match sizes.products {
                0 => load_products(products_file)?,
                count => products(seed, count),
            },
            users: match sizes.users {
                0 => load_users(users_file)?,
                count => users(seed, count),
            },
        })
    }
}

/// Writes `users` as a users.json file (one entry a line), which USERS_FILE can read back.
pub fn write_users(out: &mut impl Write, users: &[User]) -> io::Result<()> {
    write_array(out, users, |user| {
        serde_json::json!({
            "user_id": user.user_id,
            "name": user.name,
            "email": user.email,
            "region": <&str>::from(user.region),
            "customer_type": <&str>::from(user.customer_type),
            "age": user.age,
            "interests": user.interests,
        })
    })
}

/// Writes `products` as a products.json file (one entry a line), which PRODUCTS_FILE can read.
pub fn write_products(out: &mut impl Write, products: &[Product]) -> io::Result<()> {
    write_array(out, products, |product| {
        serde_json::json!({
            "product_id": product.product_id,
            "name": product.name,
            "category": product.category,
            "price": product.price,
            "brand": product.brand,
            "stock": product.stock,
        })
    })
}

fn write_array<T>(
    out: &mut impl Write,
    entries: &[T],
    entry: impl Fn(&T) -> serde_json::Value,
) -> io::Result<()> {
    out.write_all(b"[\n")?;
    for (index, item) in entries.iter().enumerate() {
        if index > 0 {
            out.write_all(b",\n")?;
        }
        serde_json::to_writer(&mut *out, &entry(item))?;
    }
    out.write_all(b"\n]\n")
}

#[cfg(test)]
mod tests;
