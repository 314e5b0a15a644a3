//! The product catalog and user base (data/products.json, data/users.json), loaded and validated so
//! that every error names the file, the entry and the field.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::money::Money;
use crate::vocab::{CustomerType, Region};

#[derive(Debug, Clone)]
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

/// Parses a JSON array of entries one entry at a time: each entry's JSON tree is dropped once it
/// is parsed, so a million users take about their own size in memory, not a whole document tree.
fn parse_entries<T>(
    path: &Path,
    text: &str,
    id_field: &'static str,
    parse_one: impl Fn(&Fields<'_>) -> Result<T, CatalogError>,
) -> Result<Vec<T>, CatalogError> {
    let mut entries = Entries {
        path,
        id_field,
        parse_one,
        failure: None,
    };
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = serde::Deserializer::deserialize_any(&mut deserializer, &mut entries)
        .and_then(|parsed| deserializer.end().map(|()| parsed));
    match (parsed, entries.failure) {
        (_, Some(failure)) => Err(failure),
        (Ok(parsed), None) if parsed.is_empty() => Err(CatalogError::Empty {
            path: path.to_path_buf(),
        }),
        (Ok(parsed), None) => Ok(parsed),
        (Err(error), None) => Err(CatalogError::Malformed {
            path: path.to_path_buf(),
            message: error.to_string(),
        }),
    }
}

/// The visitor of a catalog file's array; a catalog error stops it and waits in `failure`.
struct Entries<'a, F> {
    path: &'a Path,
    id_field: &'static str,
    parse_one: F,
    failure: Option<CatalogError>,
}

impl<'de, T, F> serde::de::Visitor<'de> for &mut Entries<'_, F>
where
    F: Fn(&Fields<'_>) -> Result<T, CatalogError>,
{
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of entries")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let mut seen = std::collections::HashMap::new();
        let mut parsed = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element::<Value>()? {
            let index = parsed.len();
            match self.entry(index, value, &seen) {
                Ok((entry, id)) => {
                    parsed.push(entry);
                    if let Some(id) = id {
                        seen.insert(id, index);
                    }
                }
                Err(failure) => {
                    self.failure = Some(failure);
                    return Err(serde::de::Error::custom("invalid entry"));
                }
            }
        }
        Ok(parsed)
    }

    // Anything but an array: a catalog error, whatever the JSON holds.
    fn visit_map<A: serde::de::MapAccess<'de>>(self, _: A) -> Result<Vec<T>, A::Error> {
        Err(self.not_an_array())
    }

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Vec<T>, E> {
        Err(self.not_an_array())
    }
}

impl<T, F> Entries<'_, F>
where
    F: Fn(&Fields<'_>) -> Result<T, CatalogError>,
{
    fn not_an_array<E: serde::de::Error>(&mut self) -> E {
        self.failure = Some(CatalogError::NotAnArray {
            path: self.path.to_path_buf(),
        });
        E::custom("not an array")
    }

    /// Entry `index` parsed, with its id; an error for a non-object or a duplicate id.
    fn entry(
        &self,
        index: usize,
        value: Value,
        seen: &std::collections::HashMap<String, usize>,
    ) -> Result<(T, Option<String>), CatalogError> {
        let path = self.path;
        let id = value
            .get(self.id_field)
            .and_then(Value::as_str)
            .map(str::to_string);
        let entry = Entry {
            index,
            id: id.clone(),
        };
        let Value::Object(object) = &value else {
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
                field: self.id_field,
                first,
            });
        }
        let parsed = (self.parse_one)(&Fields {
            path,
            entry,
            object,
        })?;
        Ok((parsed, id))
    }
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
mod tests;
