use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::*;
use crate::catalog::{parse_products, parse_users};
use crate::simulator::{Quota, Quotas, Simulator};
use crate::stories;

fn users_text(users: &[User]) -> String {
    let mut out = Vec::new();
    write_users(&mut out, users).unwrap();
    String::from_utf8(out).unwrap()
}

fn products_text(products: &[Product]) -> String {
    let mut out = Vec::new();
    write_products(&mut out, products).unwrap();
    String::from_utf8(out).unwrap()
}

#[test]
fn the_same_seed_and_index_give_the_same_entity() {
    assert_eq!(
        users_text(&[user(7, 12_345)]),
        users_text(&[user(7, 12_345)])
    );
    assert_eq!(
        products_text(&[product(7, 4_321)]),
        products_text(&[product(7, 4_321)])
    );
}

#[test]
fn an_entity_does_not_depend_on_the_ones_before_it() {
    let all = users(3, 1_000);
    assert_eq!(users_text(&all[700..701]), users_text(&[user(3, 700)]));
    let all = products(3, 1_000);
    assert_eq!(
        products_text(&all[999..]),
        products_text(&[product(3, 999)])
    );
}

#[test]
fn different_seeds_give_different_populations() {
    assert_ne!(users_text(&users(1, 100)), users_text(&users(2, 100)));
    assert_ne!(
        products_text(&products(1, 100)),
        products_text(&products(2, 100))
    );
    // The ids are the same: they only number the entities.
    assert_eq!(user(1, 41).user_id, user(2, 41).user_id);
}

#[test]
fn ids_are_numbered_from_one_and_wide_enough() {
    assert_eq!(user(0, 0).user_id, "U00000001");
    assert_eq!(user(0, MAX_USERS - 1).user_id, "U99999999");
    assert_eq!(product(0, 0).product_id, "P0000001");
    assert_eq!(product(0, MAX_PRODUCTS - 1).product_id, "P9999999");
}

#[test]
fn generated_files_pass_the_catalog_validation() {
    for seed in [0, 1, 42] {
        let users = users(seed, 5_000);
        let parsed = parse_users(Path::new("users.json"), &users_text(&users)).unwrap();
        assert_eq!(parsed.len(), 5_000);
        assert_eq!(users_text(&parsed), users_text(&users));
        let products = products(seed, 5_000);
        let parsed = parse_products(Path::new("products.json"), &products_text(&products)).unwrap();
        assert_eq!(products_text(&parsed), products_text(&products));
    }
}

#[test]
fn emails_come_from_the_name_and_are_unique() {
    let users = users(5, 10_000);
    let emails: HashSet<&str> = users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails.len(), users.len());
    let ana = &users[0];
    let (first, last) = ana.name.split_once(' ').unwrap();
    assert_eq!(
        ana.email,
        format!(
            "{}.{}1@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        )
    );
}

/// Each count's share of `total`.
fn shares<K: std::hash::Hash + Eq>(items: impl Iterator<Item = K>) -> HashMap<K, f64> {
    let mut counts: HashMap<K, u64> = HashMap::new();
    let mut total = 0;
    for item in items {
        *counts.entry(item).or_default() += 1;
        total += 1;
    }
    counts
        .into_iter()
        .map(|(k, n)| (k, n as f64 / total as f64))
        .collect()
}

fn assert_near(what: &str, got: f64, expected: f64) {
    assert!(
        (got - expected).abs() < 0.01,
        "{what}: {got:.4}, expected about {expected:.4}"
    );
}

#[test]
fn users_come_in_the_shipped_data_proportions() {
    let users = users(11, 100_000);
    let regions = shares(users.iter().map(|u| <&str>::from(u.region)));
    for region in Region::VARIANTS {
        let name = <&str>::from(*region);
        assert_near(name, regions[name], 0.25);
    }
    let types = shares(users.iter().map(|u| <&str>::from(u.customer_type)));
    assert_near("Regular", types["Regular"], 0.50);
    assert_near("Premium", types["Premium"], 0.35);
    assert_near("VIP", types["VIP"], 0.15);
    let counts = shares(users.iter().map(|u| u.interests.len()));
    assert_near("1 interest", counts[&1], 0.50);
    assert_near("3 interests", counts[&3], 0.15);
    assert!(users.iter().all(|u| (18..=75).contains(&u.age)));
    let young = users.iter().filter(|u| u.age < 30).count() as f64 / users.len() as f64;
    assert_near("under 30", young, 18.0 / 48.0);
    // Distinct interests, the popular categories (Toys) far ahead of the rare (Electronics).
    assert!(users.iter().all(|u| {
        let distinct: HashSet<_> = u.interests.iter().collect();
        distinct.len() == u.interests.len()
    }));
    let interests = shares(users.iter().flat_map(|u| u.interests.iter().cloned()));
    assert!(
        interests["Toys"] > 2.0 * interests["Electronics"],
        "{interests:?}"
    );
    assert_eq!(interests.len(), CATEGORIES.len());
}

#[test]
fn products_come_in_the_shipped_data_proportions_and_prices() {
    let products = products(11, 100_000);
    let categories = shares(products.iter().map(|p| p.category.clone()));
    assert_near("Electronics", categories["Electronics"], 7.0 / 38.0);
    assert_near("Grocery", categories["Grocery"], 3.0 / 38.0);
    for product in &products {
        let category = CATEGORIES
            .iter()
            .find(|c| c.name == product.category)
            .unwrap();
        let (_, reference, _) = category
            .items
            .iter()
            .find(|item| product.name.starts_with(item.0))
            .unwrap();
        let cents = product.price.cents();
        assert!(cents > 0, "{product:?}");
        assert!(
            cents * 10 >= reference * 5 && cents * 10 <= reference * 17,
            "{product:?}"
        );
        assert!(category.brands.contains(&product.brand.as_str()));
        assert!(product.stock >= 1);
    }
}

#[test]
fn the_simulator_tells_whole_stories_in_a_generated_shop() {
    let catalog = Catalog::generated(9, 2_000, 500);
    let quotas = Quotas {
        product_events: Quota::Exactly(3_000),
        purchases: Quota::Exactly(300),
        user_events: Quota::Exactly(1_500),
    };
    let mut simulator = Simulator::new(&catalog, Some(9), quotas).unwrap();
    let mut events = Vec::new();
    while let Some(event) = simulator.next_event() {
        events.push(event.into_owned());
    }
    assert_eq!(events.len(), 4_800);
    stories::check(&events, true).unwrap();
    let ids: HashSet<&str> = catalog.users.iter().map(|u| u.user_id.as_str()).collect();
    assert!(events.iter().all(|e| ids.contains(&*e.user_id)));
}

#[test]
fn sizes_of_0_load_the_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let products_file = root.join("data/products.json");
    let users_file = root.join("data/users.json");
    let files = Shop::load_or_generate(&products_file, &users_file, 1, Sizes::default()).unwrap();
    assert_eq!((files.users.len(), files.products.len()), (48, 38));
    assert!(matches!(
        (&files.users, &files.products),
        (Users::Listed(_), Products::Listed(_))
    ));
    let sizes = Sizes {
        users: 1_000,
        products: 0,
    };
    let mixed = Shop::load_or_generate(&products_file, Path::new("/nowhere"), 1, sizes).unwrap();
    assert_eq!((mixed.users.len(), mixed.products.len()), (1_000, 38));
    assert_eq!(mixed.users.get(999).user_id, "U00001000");
    assert!(matches!(mixed.users, Users::Generated(_)));
}

/// A generated shop makes each user and product on demand, the same as the materialized ones.
#[test]
fn a_generated_shop_gives_the_materialized_entities() {
    let sizes = Sizes {
        users: 2_000,
        products: 700,
    };
    let shop =
        Shop::load_or_generate(Path::new("/nowhere"), Path::new("/nowhere"), 8, sizes).unwrap();
    let catalog = Catalog::generated(8, 2_000, 700);
    assert_eq!((shop.users.len(), shop.products.len()), (2_000, 700));
    for index in [0, 1, 999, 1_999] {
        let made = shop.users.get(index).into_owned();
        assert_eq!(
            users_text(&[made]),
            users_text(&catalog.users[index..=index])
        );
    }
    for index in [0, 350, 699] {
        let made = shop.products.get(index).into_owned();
        assert_eq!(
            products_text(&[made]),
            products_text(&catalog.products[index..=index])
        );
        assert_eq!(
            shop.products.list_price(index),
            catalog.products[index].price
        );
        assert_eq!(shop.products.stock(index), catalog.products[index].stock);
    }
}

/// The draws made without an RNG agree with the entities: region, category, id, shard.
#[test]
fn hashed_draws_agree_with_the_entities() {
    for index in (0..5_000).step_by(37) {
        let made = user(4, index);
        assert_eq!(user_region(4, index), made.region);
        assert_eq!(user_id(index), made.user_id);
        for count in [1, 2, 3, 7] {
            assert_eq!(user_shard(index, count), shard_of(&made.user_id, count));
        }
        let product = product(4, index);
        assert_eq!(
            CATEGORIES[product_category(4, index)].name,
            product.category
        );
        assert_eq!(
            category_index(&product.category),
            Some(product_category(4, index))
        );
    }
}

/// Expected search counts from the word structure are close to the counts over the products.
#[test]
fn expected_query_counts_match_a_generated_catalog() {
    let count = 20_000;
    let products = products(6, count);
    let expected = query_counts(count);
    for (text, results) in expected.iter().step_by(7) {
        let counted = products
            .iter()
            .filter(|p| {
                [&p.name, &p.brand, &p.category]
                    .iter()
                    .any(|field| field.to_lowercase().contains(text.as_str()))
            })
            .count() as f64;
        // Binomial noise: a few standard deviations of the count.
        let bound = 5.0 * counted.max(1.0).sqrt() + 2.0;
        assert!(
            (f64::from(*results) - counted).abs() <= bound,
            "{text}: expected {results}, counted {counted}"
        );
    }
    assert!(expected.iter().any(|(text, _)| text == "electronics"));
}

/// A generated shop of a million users and a hundred thousand products, steered: whole stories
/// about its users and products, nothing held per user.
#[test]
fn the_simulator_tells_whole_stories_in_a_lazy_generated_shop() {
    let sizes = Sizes {
        users: 1_000_000,
        products: 100_000,
    };
    let shop =
        Shop::load_or_generate(Path::new("/nowhere"), Path::new("/nowhere"), 9, sizes).unwrap();
    let quotas = Quotas {
        product_events: Quota::Exactly(3_000),
        purchases: Quota::Exactly(300),
        user_events: Quota::Exactly(1_500),
    };
    let mut simulator = Simulator::new(&shop, Some(9), quotas).unwrap();
    let mut events = Vec::new();
    while let Some(event) = simulator.next_event() {
        events.push(event.into_owned());
    }
    assert_eq!(events.len(), 4_800);
    stories::check(&events, true).unwrap();
    for event in &events {
        let index: u64 = event.user_id[1..].parse::<u64>().unwrap() - 1;
        assert_eq!(event.region, user(9, index).region);
        if let Some(info) = event.details.product() {
            let index: u64 = info.product_id[1..].parse::<u64>().unwrap() - 1;
            assert_eq!(info.product_name, product(9, index).name.as_str());
        }
    }
}
