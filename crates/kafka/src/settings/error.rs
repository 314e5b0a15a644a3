//! What can be wrong with the settings, and where a wrong value came from.

use std::path::PathBuf;

/// Where a setting's value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DotEnv(PathBuf),
    /// The built-in default of the settings table.
    Default,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("the environment"),
            Origin::DotEnv(path) => write!(f, "{}", path.display()),
            Origin::Default => f.write_str("the built-in defaults"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {error}")]
    DotEnv {
        path: PathBuf,
        error: dotenvy::Error,
    },
    #[error("{key}={value:?} in {origin}: {expected}")]
    Invalid {
        key: String,
        value: String,
        origin: Origin,
        expected: String,
    },
    #[error("unknown setting {key} in {origin}; did you mean {suggestion}?")]
    Unknown {
        key: String,
        origin: Origin,
        suggestion: String,
    },
    #[error("{key} in {origin}: librdkafka rejects {property}={value:?}: {reason}")]
    Rejected {
        key: String,
        origin: Origin,
        property: String,
        value: String,
        reason: String,
    },
}
