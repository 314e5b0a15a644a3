use rand::SeedableRng;

use super::*;
use crate::population::Shop;

fn dynamics(price_changes_per_day: f64) -> CatalogDynamics {
    CatalogDynamics {
        restock_delay_hours: 2.0,
        price_changes_per_day,
        max_price_cut: 0.3,
        max_price_rise: 0.1,
    }
}

#[test]
fn selling_out_stops_sales_until_the_restock() {
    let catalog = crate::catalog::shipped();
    let products = &Shop::from(&catalog).products;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut shelf = Shelf::new(&dynamics(0.0), 0, &mut rng);
    let full = shelf.stock(0, products);
    assert_eq!(full, catalog.products[0].stock);
    assert_eq!(shelf.next_change_at(), i64::MAX);
    assert_eq!(shelf.sell(0, full - 1, 10, &mut rng, products), full - 1);
    assert_eq!(shelf.next_change_at(), i64::MAX, "not sold out yet");
    // Only what is left is sold.
    assert_eq!(shelf.sell(0, 5, 20, &mut rng, products), 1);
    assert_eq!(shelf.stock(0, products), 0);
    assert_eq!(shelf.sell(0, 1, 30, &mut rng, products), 0);
    let restock = shelf.next_change_at();
    assert!(restock > 20 && restock < 20 + 100 * HOUR_MS, "{restock}");
    shelf.apply_next_change(&mut rng, products);
    assert_eq!(
        (shelf.stock(0, products), shelf.restock_count(0)),
        (full, 1)
    );
    assert_eq!(shelf.next_change_at(), i64::MAX);
}

#[test]
fn price_changes_stay_within_bounds_and_come_at_the_configured_rate() {
    let catalog = crate::catalog::shipped();
    let products = &Shop::from(&catalog).products;
    let prices = |shelf: &Shelf| -> Vec<Money> {
        (0..catalog.products.len())
            .map(|product| shelf.price(product, products))
            .collect()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let mut shelf = Shelf::new(&dynamics(50.0), 0, &mut rng);
    let mut changes = 0;
    while shelf.next_change_at() < 100 * DAY_MS {
        shelf.apply_next_change(&mut rng, products);
        changes += 1;
        for (price, product) in prices(&shelf).iter().zip(&catalog.products) {
            let list = product.price.cents() as f64;
            let cents = price.cents() as f64;
            assert!(cents >= (list * 0.7).floor() && cents <= (list * 1.1).ceil());
        }
    }
    assert!(
        (4500..5500).contains(&changes),
        "{changes} changes in 100 days"
    );
    let changed = prices(&shelf)
        .iter()
        .zip(&catalog.products)
        .filter(|(price, product)| **price != product.price)
        .count();
    assert!(changed > 0);
}
