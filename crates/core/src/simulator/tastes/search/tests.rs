use super::*;
use crate::catalog::Product;
use crate::money::Money;

fn product(id: &str, name: &str, brand: &str, category: &str) -> Product {
    Product {
        product_id: id.to_string(),
        name: name.to_string(),
        category: category.to_string(),
        price: Money::from_cents(100),
        brand: brand.to_string(),
        stock: 1,
    }
}

fn counts(products: &[Product]) -> Vec<(String, u32)> {
    queries(products)
        .into_iter()
        .map(|q| (q.text, q.results))
        .collect()
}

fn plain_counts(products: &[Product]) -> Vec<(String, u32)> {
    let texts: Vec<String> = queries(products).into_iter().map(|q| q.text).collect();
    let mut results = vec![0; texts.len()];
    count_each(products, &texts, &mut results);
    texts.into_iter().zip(results).collect()
}

/// The matcher counts what the plain product-by-product count does: overlapping texts, a text
/// in several fields of one product (counted once), case, non-ASCII.
#[test]
fn the_matcher_counts_as_the_plain_count_does() {
    let products = vec![
        product("P1", "Toy Box", "Toys", "Toy"),
        product("P2", "Box", "ToyBoxCo", "Toys"),
        product("P3", "Ökö Tee", "ÖKÖ", "Apparel"),
        product("P4", "aaa", "aa", "a"),
        product("P5", "Bookshelf", "Book", "Books"),
    ];
    assert_eq!(counts(&products), plain_counts(&products));
    let shipped = crate::catalog::shipped();
    assert_eq!(counts(&shipped.products), plain_counts(&shipped.products));
    let expected: &[(&str, u32)] = &[("a", 2), ("box", 2), ("toy", 2), ("ökö", 1)];
    let found = counts(&products);
    for (text, results) in expected {
        assert!(found.contains(&(text.to_string(), *results)), "{text}");
    }
}
