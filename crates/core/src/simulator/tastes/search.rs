//! The search queries shoppers type, with how many catalog products match each: counted over a
//! listed catalog, expected from the word structure of a generated one.

use aho_corasick::AhoCorasick;

use crate::catalog::Product;
use crate::population;

/// A search query and how many catalog products match it.
#[derive(Debug, Clone)]
pub struct Query {
    pub text: String,
    pub results: u32,
}

/// Search queries shoppers type: product names, brands and categories, in lower case, each with
/// the number of products whose name, brand or category contains it.
///
/// Every query is looked for in every product at once (Aho-Corasick, every overlapping match), so
/// that start-up grows with the catalog's text, not with queries x products.
pub fn queries(products: &[Product]) -> Vec<Query> {
    let fields = |p: &Product| {
        [
            p.name.to_lowercase(),
            p.brand.to_lowercase(),
            p.category.to_lowercase(),
        ]
    };
    let mut texts: Vec<String> = products.iter().flat_map(fields).collect();
    texts.sort();
    texts.dedup();
    let mut results = vec![0u32; texts.len()];
    match AhoCorasick::new(&texts) {
        Ok(matcher) => {
            // The last product counted for each query: a product counts once per query.
            let mut counted_for = vec![usize::MAX; texts.len()];
            for (index, product) in products.iter().enumerate() {
                for field in fields(product) {
                    for found in matcher.find_overlapping_iter(&field) {
                        let query = found.pattern().as_usize();
                        if counted_for[query] != index {
                            counted_for[query] = index;
                            results[query] += 1;
                        }
                    }
                }
            }
        }
        // Only for more text than the matcher can index: count product by product.
        Err(_) => count_each(products, &texts, &mut results),
    }
    texts
        .into_iter()
        .zip(results)
        .map(|(text, results)| Query { text, results })
        .collect()
}

/// The queries of a generated catalog of `products` products, with their expected counts (see
/// [`population::query_counts`]): no scan of the catalog.
pub fn generated_queries(products: u64) -> Vec<Query> {
    population::query_counts(products)
        .into_iter()
        .map(|(text, results)| Query { text, results })
        .collect()
}

/// The plain count: for each query, the products one of whose fields contains it.
fn count_each(products: &[Product], texts: &[String], results: &mut [u32]) {
    for (text, count) in texts.iter().zip(results) {
        *count = products
            .iter()
            .filter(|p| {
                [&p.name, &p.brand, &p.category]
                    .iter()
                    .any(|field| field.to_lowercase().contains(text.as_str()))
            })
            .count() as u32;
    }
}

#[cfg(test)]
mod tests;
