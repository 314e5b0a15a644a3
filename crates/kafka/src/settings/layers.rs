//! The layers below the flags: the process environment over the .env file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::error::{ConfigError, Origin};

/// The raw layers before parsing: environment and .env, each key -> value.
#[derive(Debug, Clone, Default)]
pub struct Layers {
    pub environment: BTreeMap<String, String>,
    pub dotenv: BTreeMap<String, String>,
    pub dotenv_file: Option<PathBuf>,
}

impl Layers {
    /// The process environment and the .env file in the working directory or its nearest parent.
    pub fn from_process() -> Result<Layers, ConfigError> {
        let environment = std::env::vars().collect();
        let start = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let dotenv_file = find_dotenv(&start);
        let dotenv = match &dotenv_file {
            Some(path) => read_dotenv(path)?,
            None => BTreeMap::new(),
        };
        Ok(Layers {
            environment,
            dotenv,
            dotenv_file,
        })
    }

    /// The value of `key` in the first layer that sets it, and that layer.
    pub(super) fn get(&self, key: &str) -> Option<(&str, Origin)> {
        if let Some(value) = self.environment.get(key) {
            return Some((value, Origin::Environment));
        }
        let path = self
            .dotenv_file
            .clone()
            .unwrap_or_else(|| PathBuf::from(".env"));
        self.dotenv
            .get(key)
            .map(|value| (value.as_str(), Origin::DotEnv(path)))
    }
}

/// The .env file in `start` or its nearest parent folder that has one.
pub(super) fn find_dotenv(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

pub(super) fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let error = |error| ConfigError::DotEnv {
        path: path.to_path_buf(),
        error,
    };
    let mut values = BTreeMap::new();
    for item in dotenvy::from_path_iter(path).map_err(error)? {
        let (key, value) = item.map_err(error)?;
        values.insert(key, value);
    }
    Ok(values)
}
