//! Settings, layered: command-line flag > environment > .env file > built-in default.
//!
//! [`SETTINGS`] is the one table of settings: parsing and validation of the environment and .env,
//! [`Settings::describe`], the flags' help, defaults and checks (through [`Setting::parse`]), and
//! the book's table in docs/configuration.md and .env (checked by tests against it) all come from it. The binaries apply their
//! flags on top of [`Settings::load`]; this module resolves the other three layers, so that the
//! layering is tested here without a process environment.
//!
//! - `table`: the table's rows (Kafka's, then the shop's) and the [`Settings`] they fill
//! - `value`: the [`Kind`]s of values and how text becomes each type ([`SettingValue`])
//! - `duration`: [`parse_duration`], the one reader of lengths of time, flags' too
//! - `layers`: the environment and the .env file
//! - `passthrough`: other KAFKA_* variables as librdkafka properties, and secrets
//! - `typos`: a variable spelled almost like a known one is an error
//! - `error`: [`ConfigError`] and the [`Origin`] of a value

mod duration;
mod error;
mod layers;
mod passthrough;
mod table;
mod topics;
mod typos;
mod value;

pub use duration::{DurationError, parse_duration};
pub use error::{ConfigError, Origin};
pub use layers::Layers;
pub use passthrough::{REDACTED, is_secret};
pub use table::{SETTINGS, Setting, Settings};
pub use topics::TopicNames;
pub use value::{Kind, SettingValue};

use passthrough::kafka_properties;
use typos::check_for_typos;

impl Settings {
    /// Environment over .env over defaults, from this process.
    pub fn load() -> Result<Settings, ConfigError> {
        Settings::resolve(&Layers::from_process()?)
    }

    pub fn resolve(layers: &Layers) -> Result<Settings, ConfigError> {
        check_for_typos(layers)?;
        let mut settings = Settings::default();
        settings.read_table(layers)?;
        settings.kafka_properties = kafka_properties(layers)?;
        settings.dotenv_file = layers.dotenv_file.clone();
        Ok(settings)
    }

    /// The settings as they would be written in .env, then the librdkafka properties in
    /// parentheses, with secrets redacted: safe to log.
    pub fn describe(&self) -> Vec<(String, String)> {
        let table = self
            .table_values()
            .into_iter()
            .map(|(name, value)| (name.to_string(), value));
        let properties = self.kafka_properties.iter().map(|(property, value)| {
            let shown = if is_secret(property) { REDACTED } else { value };
            (format!("({property})"), shown.to_string())
        });
        table.chain(properties).collect()
    }
}

#[cfg(test)]
mod tests;
