use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::catalog::{Catalog, Product, User};
use crate::money::Money;
use crate::population::Shop;
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

fn choice_of(catalog: &Catalog, skew: Popularity) -> Result<ProductChoice, WeightError> {
    ProductChoice::new(&Shop::from(catalog).products, skew)
}

fn interests_of(choice: &ProductChoice, user: &User) -> Vec<u32> {
    let mut interests = Vec::new();
    choice.interests(user, &mut interests);
    interests
}

/// The chance of each product for `user` as the per-user table gave it: popularity times the
/// interest weight for the user's categories, over the sum of those weights.
fn table_probabilities(catalog: &Catalog, skew: Popularity, user: usize) -> Vec<f64> {
    let popularity = popularities(&catalog.products, skew.popularity_exponent);
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
    let choice = choice_of(catalog, skew).unwrap();
    let ProductChoice::Listed(listed) = &choice else {
        panic!("a catalog's choice is listed");
    };
    for user in 0..catalog.users.len() {
        let table = table_probabilities(catalog, skew, user);
        let interests = interests_of(&choice, &catalog.users[user]);
        let mut sum: f64 = 0.0;
        for (product, expected) in table.iter().enumerate() {
            let mixture = listed.probability(&interests, product);
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
        let choice = choice_of(&catalog, SKEW).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let draws = 100_000;
        for user in 0..catalog.users.len().min(8) {
            let interests = interests_of(&choice, &catalog.users[user]);
            let mut counts = vec![0u32; catalog.products.len()];
            for _ in 0..draws {
                counts[choice.sample(&interests, &mut rng)] += 1;
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
            let freedom: f64 = (catalog.products.len() - 1) as f64;
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
    assert!(choice_of(&small_catalog(), skew).is_err());
    let empty = Catalog {
        products: Vec::new(),
        users: small_catalog().users,
    };
    assert!(choice_of(&empty, SKEW).is_err());
}

/// A generated catalog's draws follow popularity by rank times the interest weight: the chances
/// the choice states (by brute force) match the per-user table of the same weights, and the
/// draws follow them (chi-squared, seeded).
#[test]
fn a_generated_catalog_draws_by_popularity_and_interests() {
    let generated = GeneratedProducts {
        seed: 4,
        count: 300,
    };
    let choice = ProductChoice::new(&Products::Generated(generated), SKEW).unwrap();
    let ProductChoice::Generated(inner) = &choice else {
        panic!("a generated catalog's choice is generated");
    };
    let user = |seed: u64, index: u64| crate::population::user(seed, index);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for person in [user(1, 0), user(1, 1), user(2, 7)] {
        let interests = interests_of(&choice, &person);
        assert!(!interests.is_empty());
        let chances = inner.probabilities(&interests, SKEW.popularity_exponent);
        // The table: pop(rank) x interest_weight for the user's categories, normalised.
        let mut seen_ranks = vec![false; 300];
        for rank in 0..300 {
            let product = inner.product_of_rank(rank) as usize;
            assert!(!seen_ranks[product], "the ranks are a permutation");
            seen_ranks[product] = true;
        }
        let draws = 200_000;
        let mut counts = vec![0u32; 300];
        for _ in 0..draws {
            counts[choice.sample(&interests, &mut rng)] += 1;
        }
        let chi_squared: f64 = counts
            .iter()
            .zip(&chances)
            .map(|(&seen, chance)| {
                let expected = chance * draws as f64;
                (seen as f64 - expected).powi(2) / expected
            })
            .sum();
        let freedom: f64 = 299.0;
        let bound = freedom + 6.0 * (2.0 * freedom).sqrt();
        assert!(chi_squared < bound, "chi² {chi_squared} ≥ {bound}");
        // Interests weigh: their products' share is above their popularity share.
        let in_interests =
            |product: usize| interests.contains(&(generated.category(product as u64) as u32));
        let drawn_share = (0..300)
            .filter(|&p| in_interests(p))
            .map(|p| counts[p] as f64)
            .sum::<f64>()
            / draws as f64;
        let plain = inner.probabilities(&[], SKEW.popularity_exponent);
        let plain_share: f64 = (0..300)
            .filter(|&p| in_interests(p))
            .map(|p| plain[p])
            .sum();
        assert!(
            drawn_share > 1.5 * plain_share,
            "{drawn_share} vs {plain_share}"
        );
    }
}
