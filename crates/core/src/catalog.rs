//! The product catalog and user base (data/products.json, data/users.json), loaded and validated so
//! that every error names the file, the entry and the field.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::money::Money;
use crate::vocab::{CustomerType, Region};

#[derive(Debug)]
pub struct Product {
    pub product_id: String,
    pub name: String,
    pub category: String,
    pub price: Money,
    pub brand: String,
    pub stock: u32,
}

#[derive(Debug, Clone)]
pub struct User {
    pub user_id: String,
    pub name: String,
    pub email: String,
    pub region: Region,
    pub customer_type: CustomerType,
    pub age: u8,
    pub interests: Vec<String>,
}

/// Products and users, validated.
#[derive(Debug)]
pub struct Catalog {
    pub products: Vec<Product>,
    pub users: Vec<User>,
}

/// Which entry of a catalog file an error is about: its position, and its id when it has one.
#[derive(Debug, Clone)]
pub struct Entry {
    pub index: usize,
    pub id: Option<String>,
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(f, "entry {} ({id})", self.index),
            None => write!(f, "entry {}", self.index),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{path}: cannot read")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid JSON: {message}")]
    Malformed { path: PathBuf, message: String },
    #[error("{path}: expected a JSON array of entries")]
    NotAnArray { path: PathBuf },
    #[error("{path}: the file has no entries")]
    Empty { path: PathBuf },
    #[error("{path}: {entry}: expected a JSON object")]
    NotAnObject { path: PathBuf, entry: Entry },
    #[error("{path}: {entry}: missing field `{field}`")]
    MissingField {
        path: PathBuf,
        entry: Entry,
        field: &'static str,
    },
    #[error("{path}: {entry}: field `{field}` {reason}")]
    InvalidField {
        path: PathBuf,
        entry: Entry,
        field: &'static str,
        reason: String,
    },
    #[error("{path}: {entry}: field `{field}` duplicates the id of entry {first}")]
    DuplicateId {
        path: PathBuf,
        entry: Entry,
        field: &'static str,
        first: usize,
    },
}

impl Catalog {
    pub fn load(products_file: &Path, users_file: &Path) -> Result<Catalog, CatalogError> {
        Ok(Catalog {
            products: load_products(products_file)?,
            users: load_users(users_file)?,
        })
    }

    pub fn product(&self, product_id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.product_id == product_id)
    }

    pub fn user(&self, user_id: &str) -> Option<&User> {
        self.users.iter().find(|u| u.user_id == user_id)
    }
}

pub fn load_products(path: &Path) -> Result<Vec<Product>, CatalogError> {
    let text = read(path)?;
    parse_products(path, &text)
}

pub fn load_users(path: &Path) -> Result<Vec<User>, CatalogError> {
    let text = read(path)?;
    parse_users(path, &text)
}

fn read(path: &Path) -> Result<String, CatalogError> {
    std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses products.json text; `path` only names the file in errors.
pub fn parse_products(path: &Path, text: &str) -> Result<Vec<Product>, CatalogError> {
    parse_entries(path, text, "product_id", |fields| {
        let price: f64 = fields.get("price")?;
        let price =
            Money::from_decimal(price).map_err(|e| fields.invalid("price", e.to_string()))?;
        if price == Money::ZERO {
            return Err(fields.invalid("price", "must be greater than 0".to_string()));
        }
        Ok(Product {
            product_id: fields.text("product_id")?,
            name: fields.text("name")?,
            category: fields.text("category")?,
            price,
            brand: fields.text("brand")?,
            stock: fields.get("stock")?,
        })
    })
}

/// Parses users.json text; `path` only names the file in errors.
pub fn parse_users(path: &Path, text: &str) -> Result<Vec<User>, CatalogError> {
    parse_entries(path, text, "user_id", |fields| {
        let interests: Vec<String> = fields.get("interests")?;
        Ok(User {
            user_id: fields.text("user_id")?,
            name: fields.text("name")?,
            email: fields.text("email")?,
            region: fields.word("region")?,
            customer_type: fields.word("customer_type")?,
            age: fields.get("age")?,
            interests,
        })
    })
}

/// One entry's fields, with the context an error needs.
struct Fields<'a> {
    path: &'a Path,
    entry: Entry,
    object: &'a Map<String, Value>,
}

impl Fields<'_> {
    fn invalid(&self, field: &'static str, reason: String) -> CatalogError {
        CatalogError::InvalidField {
            path: self.path.to_path_buf(),
            entry: self.entry.clone(),
            field,
            reason,
        }
    }

    fn get<T: DeserializeOwned>(&self, field: &'static str) -> Result<T, CatalogError> {
        let value = self
            .object
            .get(field)
            .filter(|v| !v.is_null())
            .ok_or_else(|| CatalogError::MissingField {
                path: self.path.to_path_buf(),
                entry: self.entry.clone(),
                field,
            })?;
        T::deserialize(value).map_err(|e| self.invalid(field, format!("has the wrong type: {e}")))
    }

    fn text(&self, field: &'static str) -> Result<String, CatalogError> {
        let value: String = self.get(field)?;
        if value.trim().is_empty() {
            return Err(self.invalid(field, "is empty".to_string()));
        }
        Ok(value)
    }

    fn word<T: std::str::FromStr>(&self, field: &'static str) -> Result<T, CatalogError> {
        let value = self.text(field)?;
        value
            .parse()
            .map_err(|_| self.invalid(field, format!("has unknown value \"{value}\"")))
    }
}

fn parse_entries<T>(
    path: &Path,
    text: &str,
    id_field: &'static str,
    parse_one: impl Fn(&Fields<'_>) -> Result<T, CatalogError>,
) -> Result<Vec<T>, CatalogError> {
    let document: Value = serde_json::from_str(text).map_err(|e| CatalogError::Malformed {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let Value::Array(entries) = document else {
        return Err(CatalogError::NotAnArray {
            path: path.to_path_buf(),
        });
    };
    if entries.is_empty() {
        return Err(CatalogError::Empty {
            path: path.to_path_buf(),
        });
    }
    let mut seen = std::collections::HashMap::new();
    let mut parsed = Vec::with_capacity(entries.len());
    for (index, value) in entries.iter().enumerate() {
        let id = value
            .get(id_field)
            .and_then(Value::as_str)
            .map(str::to_string);
        let entry = Entry {
            index,
            id: id.clone(),
        };
        let Value::Object(object) = value else {
            return Err(CatalogError::NotAnObject {
                path: path.to_path_buf(),
                entry,
            });
        };
        if let Some(id) = &id
            && let Some(&first) = seen.get(id)
        {
            return Err(CatalogError::DuplicateId {
                path: path.to_path_buf(),
                entry,
                field: id_field,
                first,
            });
        }
        parsed.push(parse_one(&Fields {
            path,
            entry,
            object,
        })?);
        if let Some(id) = id {
            seen.insert(id, index);
        }
    }
    Ok(parsed)
}

/// The catalog shipped in data/, for tests across the crate.
#[cfg(test)]
pub(crate) fn shipped() -> Catalog {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Catalog::load(
        &root.join("data/products.json"),
        &root.join("data/users.json"),
    )
    .expect("the shipped catalog loads")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    const PRODUCTS: &str = r#"[
      {"product_id": "P001", "name": "Laptop", "category": "Electronics", "price": 1299.99, "brand": "Dell", "stock": 10},
      {"product_id": "P002", "name": "Mouse", "category": "Electronics", "price": 29.99, "brand": "Logitech", "stock": 150}
    ]"#;

    const USERS: &str = r#"[
      {"user_id": "U001", "name": "Ana", "email": "ana@example.com", "region": "North", "customer_type": "VIP", "age": 34, "interests": ["Electronics"]}
    ]"#;

    fn products(text: &str) -> Result<Vec<Product>, CatalogError> {
        parse_products(Path::new("products.json"), text)
    }

    fn users(text: &str) -> Result<Vec<User>, CatalogError> {
        parse_users(Path::new("users.json"), text)
    }

    #[test]
    fn parses_valid_files() {
        let products = products(PRODUCTS).unwrap();
        assert_eq!(products.len(), 2);
        assert_eq!(products[0].price, Money::from_cents(129_999));
        let users = users(USERS).unwrap();
        assert_eq!(users[0].customer_type, CustomerType::Vip);
        assert_eq!(users[0].region, Region::North);
    }

    #[test]
    fn malformed_json_names_the_file() {
        let err = products("[{\"product_id\": ").unwrap_err();
        assert!(matches!(err, CatalogError::Malformed { .. }));
        assert!(
            err.to_string()
                .starts_with("products.json: not valid JSON: "),
            "{err}"
        );
    }

    #[test]
    fn missing_field_names_file_entry_and_field() {
        let err = products(&PRODUCTS.replace("\"brand\": \"Logitech\", ", "")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "products.json: entry 1 (P002): missing field `brand`"
        );
    }

    #[test]
    fn duplicate_id_is_named() {
        let err = products(&PRODUCTS.replace("P002", "P001")).unwrap_err();
        assert!(matches!(err, CatalogError::DuplicateId { first: 0, .. }));
        assert_eq!(
            err.to_string(),
            "products.json: entry 1 (P001): field `product_id` duplicates the id of entry 0"
        );
    }

    #[test]
    fn negative_and_zero_prices_are_rejected() {
        let err = products(&PRODUCTS.replace("29.99", "-29.99")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "products.json: entry 1 (P002): field `price` is negative"
        );
        let err = products(&PRODUCTS.replace("29.99", "0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "products.json: entry 1 (P002): field `price` must be greater than 0"
        );
    }

    #[test]
    fn unknown_region_and_customer_type_are_rejected() {
        let err = users(&USERS.replace("North", "Norht")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "users.json: entry 0 (U001): field `region` has unknown value \"Norht\""
        );
        let err = users(&USERS.replace("VIP", "Gold")).unwrap_err();
        assert!(matches!(
            err,
            CatalogError::InvalidField {
                field: "customer_type",
                ..
            }
        ));
    }

    #[test]
    fn wrong_types_empty_names_and_empty_files_are_rejected() {
        let err = users(&USERS.replace("34", "\"old\"")).unwrap_err();
        assert!(
            matches!(err, CatalogError::InvalidField { field: "age", .. }),
            "{err}"
        );
        let err = users(&USERS.replace("\"Ana\"", "\"  \"")).unwrap_err();
        assert!(
            matches!(err, CatalogError::InvalidField { field: "name", .. }),
            "{err}"
        );
        assert!(matches!(
            users("[]").unwrap_err(),
            CatalogError::Empty { .. }
        ));
        assert!(matches!(
            users("{}").unwrap_err(),
            CatalogError::NotAnArray { .. }
        ));
        assert!(matches!(
            users("[42]").unwrap_err(),
            CatalogError::NotAnObject { .. }
        ));
    }

    /// Every input of the fuzzer's minimized corpus (fuzz/regressions/catalog.hex): a catalog or
    /// an error, never a panic.
    #[test]
    fn fuzz_corpus_regressions() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/regressions/catalog.hex"
        );
        let corpus = std::fs::read_to_string(path).unwrap();
        let mut count = 0;
        for line in corpus.lines().filter(|l| !l.starts_with('#')) {
            let input = hex::decode(line).unwrap();
            if let Ok(text) = std::str::from_utf8(&input) {
                let _ = products(text);
                let _ = users(text);
            }
            count += 1;
        }
        assert!(count > 100);
    }

    #[test]
    fn missing_file_is_a_read_error() {
        let err = load_products(Path::new("/nonexistent/products.json")).unwrap_err();
        assert!(matches!(err, CatalogError::Read { .. }));
        assert_eq!(err.to_string(), "/nonexistent/products.json: cannot read");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(cause.is_some_and(|text| text.contains("No such file")));
    }

    #[test]
    fn shipped_data_is_valid_and_rich_enough() {
        let catalog = shipped();
        assert!(catalog.products.len() >= 30);
        let cats: HashSet<&str> = catalog
            .products
            .iter()
            .map(|p| p.category.as_str())
            .collect();
        assert!(cats.len() >= 6);
        assert!(catalog.users.len() >= 40);
        for region in <Region as strum::VariantArray>::VARIANTS {
            assert!(
                catalog.users.iter().any(|u| u.region == *region),
                "{region}"
            );
        }
        for kind in <CustomerType as strum::VariantArray>::VARIANTS {
            assert!(
                catalog.users.iter().any(|u| u.customer_type == *kind),
                "{kind}"
            );
        }
        for user in &catalog.users {
            assert!(!user.interests.is_empty(), "{}", user.user_id);
            for interest in &user.interests {
                assert!(
                    cats.contains(interest.as_str()),
                    "{}: {interest}",
                    user.user_id
                );
            }
        }
    }
}
