//! The search queries of a generated catalog, with how many of its products match each, taken
//! from the generator's word structure instead of a scan of the products: a product's category,
//! item, variant and brand are independent draws from fixed lists, so the chance that a product
//! matches a query is exact, and its count is that chance times the catalog's size (rounded).
//! Start-up and memory stay the same at any catalog size.

use std::collections::BTreeSet;

use super::product_name;
use super::words::{CATEGORIES, Category, VARIANTS};

/// Every product name, brand and category the generator makes, in lower case, sorted, each with
/// the expected number of the `products` products whose name, brand or category contains it.
pub fn query_counts(products: u64) -> Vec<(String, u32)> {
    let categories: Vec<Words> = CATEGORIES.iter().map(Words::new).collect();
    let texts: BTreeSet<&str> = categories
        .iter()
        .flat_map(|words| {
            std::iter::once(words.category.as_str())
                .chain(words.brands.iter().map(String::as_str))
                .chain(words.names.iter().map(String::as_str))
        })
        .collect();
    let total_weight: f64 = CATEGORIES.iter().map(|c| f64::from(c.products)).sum();
    texts
        .into_iter()
        .map(|text| {
            let chance: f64 = categories
                .iter()
                .zip(&CATEGORIES)
                .map(|(words, category)| {
                    f64::from(category.products) / total_weight * words.match_chance(text)
                })
                .sum();
            let expected = (products as f64 * chance).round().min(f64::from(u32::MAX));
            (text.to_string(), expected as u32)
        })
        .collect()
}

/// One category's texts in lower case: its name, its brands, and its items with every variant.
struct Words {
    category: String,
    brands: Vec<String>,
    names: Vec<String>,
}

impl Words {
    fn new(category: &Category) -> Words {
        Words {
            category: category.name.to_lowercase(),
            brands: category.brands.iter().map(|b| b.to_lowercase()).collect(),
            names: category
                .items
                .iter()
                .flat_map(|(item, _, _)| VARIANTS.iter().map(|v| product_name(item, v)))
                .map(|name| name.to_lowercase())
                .collect(),
        }
    }

    /// The chance that a product of this category matches `text`: the item (with its variant)
    /// and the brand are drawn independently and uniformly.
    fn match_chance(&self, text: &str) -> f64 {
        if self.category.contains(text) {
            return 1.0;
        }
        let share = |fields: &[String]| {
            fields.iter().filter(|field| field.contains(text)).count() as f64
                / fields.len().max(1) as f64
        };
        1.0 - (1.0 - share(&self.names)) * (1.0 - share(&self.brands))
    }
}
