use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::catalog::{Product, User};
use crate::money::Money;
use crate::vocab::{CustomerType, Region};

const SKEW: Popularity = Popularity {
    popularity_exponent: 1.1,
    interest_weight: 6.0,
};

/// A small catalog with the awkward cases: duplicate interests, interests no product has, a
/// user without interests, a category of one product.
fn small_catalog() -> Catalog {
    let categories = ["Books", "Toys", "Books", "Garden", "Toys", "Books", "Solo"];
    let products = (0..14)
        .map(|i| Product {
            product_id: format!("P{i:03}"),
            name: format!("Thing {i}"),
            category: categories[i % categories.len()].to_string(),
            price: Money::from_cents(100 + i as i64),
            brand: "Acme".to_string(),
            stock: 10,
        })
        .collect();
    let interests: [&[&str]; 6] = [
        &["Books"],
        &["Toys", "Garden"],
        &["Books", "Books", "Toys"],
        &[],
        &["Pets", "Solo"],
        &["Garden", "Solo", "Toys", "Books"],
    ];
    let users = interests
        .iter()
        .enumerate()
        .map(|(i, interests)| User {
            user_id: format!("U{i:03}"),
            name: format!("User {i}"),
            email: format!("user{i}@example.com"),
            region: Region::North,
            customer_type: CustomerType::Regular,
            age: 30,
            interests: interests.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    Catalog { products, users }
}

/// The chance of each product for `user` as the per-user table gave it: popularity times the
/// interest weight for the user's categories, over the sum of those weights.
fn table_probabilities(catalog: &Catalog, skew: Popularity, user: usize) -> Vec<f64> {
    let popularity = popularities(catalog, skew.popularity_exponent);
    let weights: Vec<f64> = catalog
        .products
        .iter()
        .zip(&popularity)
        .map(|(product, base)| {
            let interested = catalog.users[user].interests.contains(&product.category);
            base * if interested {
                skew.interest_weight
            } else {
                1.0
            }
        })
        .collect();
    let total: f64 = weights.iter().sum();
    weights.iter().map(|w| w / total).collect()
}

fn assert_same_distribution(catalog: &Catalog, skew: Popularity) {
    let choice = ProductChoice::new(catalog, skew).unwrap();
    for user in 0..catalog.users.len() {
        let table = table_probabilities(catalog, skew, user);
        let mut sum = 0.0;
        for (product, expected) in table.iter().enumerate() {
            let mixture = choice.probability(user, product);
            assert!(
                (mixture - expected).abs() < 1e-12,
                "user {user}, product {product}: mixture {mixture}, table {expected}"
            );
            sum += mixture;
        }
        assert!(
            (sum - 1.0).abs() < 1e-12,
            "user {user}: chances sum to {sum}"
        );
    }
}

#[test]
fn the_mixture_gives_each_product_the_tables_chance() {
    assert_same_distribution(&small_catalog(), SKEW);
    assert_same_distribution(&crate::catalog::shipped(), SKEW);
    for skew in [(0.0, 1.0), (0.0, 1000.0), (2.5, 1.0), (5.0, 37.5)] {
        let skew = Popularity {
            popularity_exponent: skew.0,
            interest_weight: skew.1,
        };
        assert_same_distribution(&small_catalog(), skew);
        assert_same_distribution(&crate::catalog::shipped(), skew);
    }
}

/// Draws follow the chances: a chi-squared test per user, seeded, so it cannot flake.
#[test]
fn draws_follow_the_chances() {
    for catalog in [small_catalog(), crate::catalog::shipped()] {
        let choice = ProductChoice::new(&catalog, SKEW).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let draws = 100_000;
        for user in 0..catalog.users.len().min(8) {
            let mut counts = vec![0u32; catalog.products.len()];
            for _ in 0..draws {
                counts[choice.sample(user, &mut rng)] += 1;
            }
            let table = table_probabilities(&catalog, SKEW, user);
            let chi_squared: f64 = counts
                .iter()
                .zip(&table)
                .map(|(&seen, chance)| {
                    let expected = chance * draws as f64;
                    (seen as f64 - expected).powi(2) / expected
                })
                .sum();
            // Degrees of freedom + 6 standard deviations: a real mismatch goes far beyond.
            let freedom = (catalog.products.len() - 1) as f64;
            let bound = freedom + 6.0 * (2.0 * freedom).sqrt();
            assert!(
                chi_squared < bound,
                "user {user}: chi² {chi_squared} ≥ {bound}"
            );
        }
    }
}

#[test]
fn interest_weights_below_one_are_refused() {
    let skew = Popularity {
        popularity_exponent: 1.0,
        interest_weight: 0.5,
    };
    assert!(ProductChoice::new(&small_catalog(), skew).is_err());
    let empty = Catalog {
        products: Vec::new(),
        users: small_catalog().users,
    };
    assert!(ProductChoice::new(&empty, SKEW).is_err());
}
