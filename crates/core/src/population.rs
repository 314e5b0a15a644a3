//! Generated populations and catalogs: user i and product j as pure functions of (seed, index),
//! in the shape of data/users.json and data/products.json, so that a shop of any size needs no
//! file and shards on different machines agree on it without sharing one.
//!
//! Each entity draws from its own small RNG, seeded by a hash of (seed, kind, index): entity i
//! never depends on entity i - 1, and ids are unique by construction (`U00000001`, `P0000001`:
//! room for 99,999,999 users and 9,999,999 products).

use std::io::{self, Write};

use rand::Rng;
use strum::VariantArray;

use crate::catalog::{Catalog, Product, User};
use crate::money::Money;
use crate::vocab::{CustomerType, Region};

mod queries;
mod shop;
mod words;

pub use self::queries::query_counts;
pub use self::shop::{GeneratedProducts, GeneratedUsers, Products, Shop, Split, Users};
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

/// Mixed into an entity's key for the draws made without its RNG (see [`user_region`]).
const REGION_SALT: u64 = 0x5245_4749_4f4e;
const CATEGORY_SALT: u64 = 0x4341_5445_474f_5259;

/// The key of entity `index` of `kind` in the population of `seed`.
fn entity_key(seed: u64, kind: Kind, index: u64) -> u64 {
    splitmix64(splitmix64(splitmix64(seed) ^ kind as u64) ^ index)
}

/// The RNG of entity `index` of `kind` in the population of `seed`.
fn entity_rng(seed: u64, kind: Kind, index: u64) -> EntityRng {
    EntityRng(entity_key(seed, kind, index))
}

/// SplitMix64 as a generator: an entity draws a handful of numbers, and a generated shop makes
/// an entity per product event, so its set-up must cost nothing (a ChaCha generator's block
/// would cost more than the rest of the event).
struct EntityRng(u64);

impl rand::RngCore for EntityRng {
    fn next_u32(&mut self) -> u32 {
        // The high half: SplitMix64's best bits.
        (self.next_u64() >> 32) as u32
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        splitmix64(self.0)
    }

    fn fill_bytes(&mut self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// The region of user `index`: a hash of its key, not a draw of its RNG, so that the simulator's
/// rejection sampling (a user of this region, of this shard) costs a hash per candidate.
pub fn user_region(seed: u64, index: u64) -> Region {
    let hash = splitmix64(entity_key(seed, Kind::User, index) ^ REGION_SALT);
    // Below the number of regions, so the conversion never fails.
    let slot = usize::try_from(hash % Region::VARIANTS.len() as u64).unwrap_or(0);
    Region::VARIANTS[slot]
}

/// The category of product `index` (an index into the generator's categories, see
/// [`category_index`]): a hash of its key, so that sampling products by interest costs a hash.
pub fn product_category(seed: u64, index: u64) -> usize {
    let hash = splitmix64(entity_key(seed, Kind::Product, index) ^ CATEGORY_SALT);
    let total: u64 = CATEGORIES.iter().map(|c| u64::from(c.products)).sum();
    let mut ticket = hash % total.max(1);
    for (category, weight) in CATEGORIES.iter().enumerate() {
        let weight = u64::from(weight.products);
        if ticket < weight {
            return category;
        }
        ticket -= weight;
    }
    0
}

/// How many categories generated products have (category indexes are below it).
pub const CATEGORY_COUNT: usize = CATEGORIES.len();

/// The generator's index of a category name (an interest of a generated user, say).
pub fn category_index(name: &str) -> Option<usize> {
    CATEGORIES.iter().position(|category| category.name == name)
}

/// The id of user `index`: `U` and index + 1 in 8 digits.
pub fn user_id(index: u64) -> String {
    format!("U{:08}", index + 1)
}

/// The shard (from 1 to `count`) that owns user `index` of a generated population: the same as
/// [`shard_of`] its id, without building the id.
pub fn user_shard(index: u64, count: u32) -> u32 {
    let mut id = [b'0'; 9];
    id[0] = b'U';
    let mut number = index + 1;
    for digit in id[1..].iter_mut().rev() {
        // A decimal digit: below 10, so the conversion never fails.
        *digit = b'0' + u8::try_from(number % 10).unwrap_or(0);
        number /= 10;
    }
    slot_of(fnv1a64(&id), count)
}

/// The shard (from 1 to `count`) a user belongs to when users are split `count` ways: a hash of
/// the id alone (FNV-1a, not Rust's per-process hasher), so every machine agrees. The rule of
/// `crate::shard`, kept here so that a generated population can apply it too.
pub fn shard_of(user_id: &str, count: u32) -> u32 {
    slot_of(fnv1a64(user_id.as_bytes()), count)
}

fn slot_of(hash: u64, count: u32) -> u32 {
    // Below u32::MAX, so the conversion back never fails.
    u32::try_from(hash % u64::from(count.max(1))).unwrap_or(0) + 1
}

/// FNV-1a, 64 bits: tiny, and the same on every platform and Rust version.
pub(crate) fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// SplitMix64's step and finaliser: a bijection of u64 that scatters nearby inputs.
pub(crate) fn splitmix64(value: u64) -> u64 {
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
    let region = user_region(seed, index);
    let customer_type = CUSTOMER_TYPES[weighted(&mut rng, CUSTOMER_TYPES.iter().map(|c| c.1))].0;
    let (youngest, oldest, _) = AGE_BANDS[weighted(&mut rng, AGE_BANDS.iter().map(|b| b.2))];
    let age = rng.random_range(youngest..=oldest);
    User {
        user_id: user_id(index),
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
    let category = &CATEGORIES[product_category(seed, index)];
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
        product_id: product_id(index),
        name: product_name(item, variant),
        category: category.name.to_string(),
        price: Money::from_cents(cents),
        brand: brand.to_string(),
        stock: u32::try_from(stock).unwrap_or(u32::MAX),
    }
}

/// An item's name with its variant (some products have none).
fn product_name(item: &str, variant: &str) -> String {
    if variant.is_empty() {
        item.to_string()
    } else {
        format!("{item} {variant}")
    }
}

/// The id of product `index`: `P` and index + 1 in 7 digits.
pub fn product_id(index: u64) -> String {
    format!("P{:07}", index + 1)
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
