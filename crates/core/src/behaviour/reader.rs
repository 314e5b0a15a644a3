//! Walks the TOML tables of a behaviour file, keeping the dotted key of every value for errors,
//! and noticing keys that are missing, unknown or of the wrong type. Ranges are `checks`' job.

use std::path::Path;

use toml::{Table, Value};

use super::model::BehaviourError;

/// One table of the file and the keys read from it so far.
pub(super) struct Section<'a> {
    file: &'a Path,
    /// The table's dotted key followed by a dot ("sessions."), empty for the whole file.
    prefix: String,
    table: &'a Table,
    read: Vec<&'static str>,
}

impl<'a> Section<'a> {
    pub fn root(file: &'a Path, table: &'a Table) -> Section<'a> {
        Section {
            file,
            prefix: String::new(),
            table,
            read: Vec::new(),
        }
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    fn value(&mut self, key: &'static str) -> Result<&'a Value, BehaviourError> {
        self.read.push(key);
        self.table
            .get(key)
            .ok_or_else(|| BehaviourError::MissingKey {
                path: self.file.to_path_buf(),
                key: self.key(key),
            })
    }

    fn wrong_type(&self, key: String, expected: &'static str) -> BehaviourError {
        BehaviourError::WrongType {
            path: self.file.to_path_buf(),
            key,
            expected,
        }
    }

    /// A number (TOML integer or float).
    pub fn number(&mut self, key: &'static str) -> Result<f64, BehaviourError> {
        let value = self.value(key)?;
        as_number(value).ok_or_else(|| self.wrong_type(self.key(key), "a number"))
    }

    /// An array of exactly N numbers.
    pub fn numbers<const N: usize>(
        &mut self,
        key: &'static str,
    ) -> Result<[f64; N], BehaviourError> {
        let Value::Array(array) = self.value(key)? else {
            return Err(self.wrong_type(self.key(key), "an array of numbers"));
        };
        if array.len() != N {
            return Err(BehaviourError::WrongLength {
                path: self.file.to_path_buf(),
                key: self.key(key),
                found: array.len(),
                expected: N,
            });
        }
        let mut numbers = [0.0; N];
        for (index, (slot, value)) in numbers.iter_mut().zip(array).enumerate() {
            *slot = as_number(value).ok_or_else(|| {
                self.wrong_type(format!("{}[{index}]", self.key(key)), "a number")
            })?;
        }
        Ok(numbers)
    }

    /// A nested table.
    pub fn table(&mut self, key: &'static str) -> Result<Section<'a>, BehaviourError> {
        let Value::Table(table) = self.value(key)? else {
            return Err(self.wrong_type(self.key(key), "a table"));
        };
        Ok(Section {
            file: self.file,
            prefix: format!("{}.", self.key(key)),
            table,
            read: Vec::new(),
        })
    }

    /// Refuses keys that were not read: a misspelt key would otherwise be silently ignored.
    pub fn finish(self) -> Result<(), BehaviourError> {
        match self
            .table
            .keys()
            .find(|key| !self.read.contains(&key.as_str()))
        {
            Some(unknown) => Err(BehaviourError::UnknownKey {
                path: self.file.to_path_buf(),
                key: self.key(unknown),
                expected: self.read.join(", "),
            }),
            None => Ok(()),
        }
    }
}

fn as_number(value: &Value) -> Option<f64> {
    match value {
        Value::Integer(n) => Some(*n as f64),
        Value::Float(x) => Some(*x),
        _ => None,
    }
}
