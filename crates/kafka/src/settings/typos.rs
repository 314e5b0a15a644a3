//! A variable spelled almost like a setting is a typo, not a variable of someone else's.

use std::path::PathBuf;

use super::error::{ConfigError, Origin};
use super::layers::Layers;
use super::passthrough::KNOWN_KAFKA_PASSTHROUGH;
use super::table::SETTINGS;

/// A key one or two letters away from a known one is a typo that would otherwise be ignored
/// (or passed to librdkafka as a property it does not know).
pub(super) fn check_for_typos(layers: &Layers) -> Result<(), ConfigError> {
    let known = || {
        SETTINGS
            .iter()
            .map(|setting| setting.name)
            .chain(KNOWN_KAFKA_PASSTHROUGH.iter().copied())
    };
    let suspicious = |key: &str| -> Option<&'static str> {
        if known().any(|k| k == key) {
            return None;
        }
        known().find(|k| strsim::damerau_levenshtein(k, key) <= 2)
    };
    let dotenv_path = layers
        .dotenv_file
        .clone()
        .unwrap_or_else(|| PathBuf::from(".env"));
    let from_dotenv = layers
        .dotenv
        .keys()
        .map(|k| (k, Origin::DotEnv(dotenv_path.clone())));
    // From the environment only our prefixes: it holds many unrelated variables.
    let from_environment = layers
        .environment
        .keys()
        .filter(|k| k.starts_with("KAFKA_") || k.starts_with("TOPIC_"))
        .map(|k| (k, Origin::Environment));
    for (key, origin) in from_dotenv.chain(from_environment) {
        if let Some(suggestion) = suspicious(key) {
            return Err(ConfigError::Unknown {
                key: key.clone(),
                origin,
                suggestion: suggestion.to_string(),
            });
        }
    }
    Ok(())
}
