//! Settings, layered: command-line flag > environment > .env file > built-in default.
//!
//! The binaries apply their flags on top of [`Settings::load`]; this module resolves the other
//! three layers, so that the layering is tested here without a process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shopstream_core::TopicKind;

/// Every setting of design.md with its built-in default (None: no default).
pub const SETTINGS: &[(&str, &str)] = &[
    ("KAFKA_BOOTSTRAP_SERVERS", "localhost:9092"),
    ("TOPIC_PRODUCT_EVENTS", "product-events"),
    ("TOPIC_PURCHASES", "purchases"),
    ("TOPIC_USER_EVENTS", "user-events"),
    ("TOPIC_PARTITIONS", "3"),
    ("TOPIC_REPLICATION_FACTOR", "1"),
    ("PRODUCT_EVENTS_COUNT", "40"),
    ("PURCHASE_EVENTS_COUNT", "15"),
    ("USER_EVENTS_COUNT", "30"),
    ("EVENT_DELAY_MS", "500"),
    ("METRICS_REPORT_EVERY", "20"),
    ("METRICS_SERVE", ""),
    ("PRODUCTS_FILE", "data/products.json"),
    ("USERS_FILE", "data/users.json"),
];

/// KAFKA_ names passed to librdkafka that a typo is likely to be close to.
const KNOWN_KAFKA_PASSTHROUGH: &[&str] = &[
    "KAFKA_CLIENT_ID",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
];

/// KAFKA_ variables that belong to Kafka's own JVM scripts or to scripts/kafka-local.sh, not to
/// a client: never passed to librdkafka.
const NOT_CLIENT_SETTINGS: &[&str] = &[
    "KAFKA_HOME",
    "KAFKA_OPTS",
    "KAFKA_HEAP_OPTS",
    "KAFKA_JVM_PERFORMANCE_OPTS",
    "KAFKA_LOG4J_OPTS",
    "KAFKA_GC_LOG_OPTS",
    "KAFKA_JMX_OPTS",
    "KAFKA_DEBUG",
    "KAFKA_VERSION",
    "KAFKA_CLUSTER_ID",
];

pub const REDACTED: &str = "********";

/// Whether a librdkafka property holds a secret that must never be shown.
pub fn is_secret(property: &str) -> bool {
    let property = property.to_ascii_lowercase();
    [
        "password",
        "secret",
        "sasl.oauthbearer.config",
        "ssl.key.pem",
        "private",
    ]
    .iter()
    .any(|needle| property.contains(needle))
}

/// The topic names in use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicNames {
    pub product_events: String,
    pub purchases: String,
    pub user_events: String,
}

impl TopicNames {
    pub fn name(&self, kind: TopicKind) -> &str {
        match kind {
            TopicKind::ProductEvents => &self.product_events,
            TopicKind::Purchases => &self.purchases,
            TopicKind::UserEvents => &self.user_events,
        }
    }

    pub fn kind_of(&self, topic: &str) -> Option<TopicKind> {
        <TopicKind as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .find(|&kind| self.name(kind) == topic)
    }

    /// (kind, name) for the three topics, in the fixed order product-events, purchases, user-events.
    pub fn iter(&self) -> impl Iterator<Item = (TopicKind, &str)> {
        <TopicKind as strum::VariantArray>::VARIANTS
            .iter()
            .map(|&kind| (kind, self.name(kind)))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub bootstrap_servers: String,
    pub topics: TopicNames,
    pub partitions: i32,
    pub replication_factor: i32,
    pub product_events_count: u64,
    pub purchase_events_count: u64,
    pub user_events_count: u64,
    pub event_delay_ms: u64,
    pub metrics_report_every: u64,
    /// Where metrics-consumer serves its dashboard (host:port); None: it does not.
    pub metrics_serve: Option<String>,
    pub products_file: PathBuf,
    pub users_file: PathBuf,
    /// librdkafka properties from any other KAFKA_* setting (KAFKA_SASL_USERNAME -> sasl.username).
    pub kafka_properties: BTreeMap<String, String>,
    /// The .env file that was read, if any.
    pub dotenv_file: Option<PathBuf>,
}

/// Where a setting's value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Environment,
    DotEnv(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Environment => f.write_str("the environment"),
            Origin::DotEnv(path) => write!(f, "{}", path.display()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {message}")]
    DotEnv { path: PathBuf, message: String },
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
}

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

    fn get(&self, key: &str) -> Option<(&str, Origin)> {
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

fn find_dotenv(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|candidate| candidate.is_file())
}

fn read_dotenv(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let error = |message: String| ConfigError::DotEnv {
        path: path.to_path_buf(),
        message,
    };
    let mut values = BTreeMap::new();
    for item in dotenvy::from_path_iter(path).map_err(|e| error(e.to_string()))? {
        let (key, value) = item.map_err(|e| error(e.to_string()))?;
        values.insert(key, value);
    }
    Ok(values)
}

impl Settings {
    /// Environment over .env over defaults, from this process.
    pub fn load() -> Result<Settings, ConfigError> {
        Settings::resolve(&Layers::from_process()?)
    }

    pub fn resolve(layers: &Layers) -> Result<Settings, ConfigError> {
        check_for_typos(layers)?;
        let text = |key: &str| -> (String, Option<Origin>) {
            match layers.get(key) {
                Some((value, origin)) => (value.trim().to_string(), Some(origin)),
                None => (default_of(key).to_string(), None),
            }
        };
        let number = |key: &str, min: u64, max: u64| -> Result<u64, ConfigError> {
            let (value, origin) = text(key);
            match value.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(ConfigError::Invalid {
                    key: key.to_string(),
                    value,
                    origin: origin.unwrap_or(Origin::Environment),
                    expected: format!("expected a whole number from {min} to {max}"),
                }),
            }
        };
        // Relative paths from .env are relative to that file, so the tools work from any folder.
        let path = |key: &str| -> PathBuf {
            let (value, origin) = text(key);
            let path = PathBuf::from(value);
            match origin {
                Some(Origin::DotEnv(file)) if path.is_relative() => {
                    file.parent().map(|dir| dir.join(&path)).unwrap_or(path)
                }
                _ => path,
            }
        };
        let non_empty = |key: &str| -> Result<String, ConfigError> {
            let (value, origin) = text(key);
            if value.is_empty() {
                return Err(ConfigError::Invalid {
                    key: key.to_string(),
                    value,
                    origin: origin.unwrap_or(Origin::Environment),
                    expected: "must not be empty".to_string(),
                });
            }
            Ok(value)
        };
        Ok(Settings {
            bootstrap_servers: non_empty("KAFKA_BOOTSTRAP_SERVERS")?,
            topics: TopicNames {
                product_events: non_empty("TOPIC_PRODUCT_EVENTS")?,
                purchases: non_empty("TOPIC_PURCHASES")?,
                user_events: non_empty("TOPIC_USER_EVENTS")?,
            },
            partitions: number("TOPIC_PARTITIONS", 1, 10_000)? as i32,
            replication_factor: number("TOPIC_REPLICATION_FACTOR", 1, 32_767)? as i32,
            product_events_count: number("PRODUCT_EVENTS_COUNT", 0, u64::MAX)?,
            purchase_events_count: number("PURCHASE_EVENTS_COUNT", 0, u64::MAX)?,
            user_events_count: number("USER_EVENTS_COUNT", 0, u64::MAX)?,
            event_delay_ms: number("EVENT_DELAY_MS", 0, 3_600_000)?,
            metrics_report_every: number("METRICS_REPORT_EVERY", 1, u64::MAX)?,
            metrics_serve: Some(text("METRICS_SERVE").0).filter(|address| !address.is_empty()),
            products_file: path("PRODUCTS_FILE"),
            users_file: path("USERS_FILE"),
            kafka_properties: kafka_properties(layers),
            dotenv_file: layers.dotenv_file.clone(),
        })
    }

    /// The settings as they would be written in .env, with secrets redacted, for `--show-config`.
    pub fn describe(&self) -> Vec<(String, String)> {
        let mut lines = vec![
            (
                "KAFKA_BOOTSTRAP_SERVERS".to_string(),
                self.bootstrap_servers.clone(),
            ),
            (
                "TOPIC_PRODUCT_EVENTS".to_string(),
                self.topics.product_events.clone(),
            ),
            ("TOPIC_PURCHASES".to_string(), self.topics.purchases.clone()),
            (
                "TOPIC_USER_EVENTS".to_string(),
                self.topics.user_events.clone(),
            ),
            ("TOPIC_PARTITIONS".to_string(), self.partitions.to_string()),
            (
                "TOPIC_REPLICATION_FACTOR".to_string(),
                self.replication_factor.to_string(),
            ),
            (
                "PRODUCT_EVENTS_COUNT".to_string(),
                self.product_events_count.to_string(),
            ),
            (
                "PURCHASE_EVENTS_COUNT".to_string(),
                self.purchase_events_count.to_string(),
            ),
            (
                "USER_EVENTS_COUNT".to_string(),
                self.user_events_count.to_string(),
            ),
            (
                "EVENT_DELAY_MS".to_string(),
                self.event_delay_ms.to_string(),
            ),
            (
                "METRICS_REPORT_EVERY".to_string(),
                self.metrics_report_every.to_string(),
            ),
            (
                "PRODUCTS_FILE".to_string(),
                self.products_file.display().to_string(),
            ),
            (
                "USERS_FILE".to_string(),
                self.users_file.display().to_string(),
            ),
        ];
        for (property, value) in &self.kafka_properties {
            let shown = if is_secret(property) { REDACTED } else { value };
            lines.push((format!("({property})"), shown.to_string()));
        }
        lines
    }
}

fn default_of(key: &str) -> &'static str {
    SETTINGS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or("")
}

fn is_setting(key: &str) -> bool {
    SETTINGS.iter().any(|(k, _)| *k == key)
}

fn is_client_passthrough(key: &str) -> bool {
    key.starts_with("KAFKA_")
        && !is_setting(key)
        && !key.starts_with("KAFKA_LOCAL_")
        && !NOT_CLIENT_SETTINGS.contains(&key)
        && key.len() > "KAFKA_".len()
}

/// KAFKA_SASL_USERNAME -> sasl.username, for every client pass-through key in either layer.
fn kafka_properties(layers: &Layers) -> BTreeMap<String, String> {
    let keys = layers.dotenv.keys().chain(layers.environment.keys());
    keys.filter(|key| is_client_passthrough(key))
        .filter_map(|key| {
            let (value, _) = layers.get(key)?;
            let property = key["KAFKA_".len()..].to_ascii_lowercase().replace('_', ".");
            Some((property, value.trim().to_string()))
        })
        .collect()
}

/// A key one or two letters away from a known one is a typo that would otherwise be ignored
/// (or passed to librdkafka as a property it does not know).
fn check_for_typos(layers: &Layers) -> Result<(), ConfigError> {
    let known = || {
        SETTINGS
            .iter()
            .map(|(k, _)| *k)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn layers(environment: &[(&str, &str)], dotenv: &[(&str, &str)]) -> Layers {
        Layers {
            environment: map(environment),
            dotenv: map(dotenv),
            dotenv_file: Some(PathBuf::from("/project/.env")),
        }
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let settings = Settings::resolve(&layers(&[], &[])).unwrap();
        assert_eq!(settings.bootstrap_servers, "localhost:9092");
        assert_eq!(settings.topics.product_events, "product-events");
        assert_eq!(settings.topics.purchases, "purchases");
        assert_eq!(settings.topics.user_events, "user-events");
        assert_eq!(settings.partitions, 3);
        assert_eq!(settings.replication_factor, 1);
        assert_eq!(
            (
                settings.product_events_count,
                settings.purchase_events_count,
                settings.user_events_count
            ),
            (40, 15, 30)
        );
        assert_eq!(settings.metrics_report_every, 20);
        assert_eq!(settings.products_file, PathBuf::from("data/products.json"));
        assert!(settings.kafka_properties.is_empty());
    }

    #[test]
    fn environment_beats_dotenv_beats_default() {
        let settings = Settings::resolve(&layers(
            &[
                ("TOPIC_PARTITIONS", "6"),
                ("KAFKA_BOOTSTRAP_SERVERS", "env:9092"),
            ],
            &[
                ("TOPIC_PARTITIONS", "4"),
                ("TOPIC_PURCHASES", "orders"),
                ("KAFKA_BOOTSTRAP_SERVERS", "file:9092"),
            ],
        ))
        .unwrap();
        assert_eq!(settings.partitions, 6);
        assert_eq!(settings.bootstrap_servers, "env:9092");
        assert_eq!(settings.topics.purchases, "orders");
        assert_eq!(settings.replication_factor, 1);
    }

    #[test]
    fn relative_paths_from_dotenv_are_relative_to_its_folder() {
        let settings = Settings::resolve(&layers(
            &[("USERS_FILE", "people.json")],
            &[("PRODUCTS_FILE", "data/p.json")],
        ))
        .unwrap();
        assert_eq!(
            settings.products_file,
            PathBuf::from("/project/data/p.json")
        );
        assert_eq!(settings.users_file, PathBuf::from("people.json"));
    }

    #[test]
    fn other_kafka_settings_become_librdkafka_properties() {
        let settings = Settings::resolve(&layers(
            &[
                ("KAFKA_SASL_PASSWORD", "s3cret"),
                ("KAFKA_HEAP_OPTS", "-Xmx1g"),
                ("KAFKA_LOCAL_PORT", "1"),
            ],
            &[
                ("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
                ("KAFKA_SASL_USERNAME", "shop"),
            ],
        ))
        .unwrap();
        assert_eq!(
            settings.kafka_properties,
            map(&[
                ("sasl.password", "s3cret"),
                ("sasl.username", "shop"),
                ("security.protocol", "SASL_PLAINTEXT")
            ])
        );
        let shown = settings.describe();
        assert!(shown.iter().all(|(_, v)| v != "s3cret"), "{shown:?}");
        assert!(shown.contains(&("(sasl.password)".to_string(), "********".to_string())));
    }

    #[test]
    fn bad_numbers_name_key_value_and_origin() {
        let err =
            Settings::resolve(&layers(&[], &[("PRODUCT_EVENTS_COUNT", "forty")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "PRODUCT_EVENTS_COUNT=\"forty\" in /project/.env: expected a whole number from 0 to 18446744073709551615"
        );
        let err = Settings::resolve(&layers(&[("TOPIC_PARTITIONS", "-1")], &[])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("TOPIC_PARTITIONS=\"-1\" in the environment: "),
            "{err}"
        );
        assert!(Settings::resolve(&layers(&[("TOPIC_PARTITIONS", "0")], &[])).is_err());
        assert!(Settings::resolve(&layers(&[("METRICS_REPORT_EVERY", "0")], &[])).is_err());
        assert!(Settings::resolve(&layers(&[("KAFKA_BOOTSTRAP_SERVERS", " ")], &[])).is_err());
    }

    #[test]
    fn a_setting_spelled_like_a_known_one_is_an_error() {
        let err = Settings::resolve(&layers(&[], &[("PRODUCT_EVENT_COUNT", "5")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown setting PRODUCT_EVENT_COUNT in /project/.env; did you mean PRODUCT_EVENTS_COUNT?"
        );
        let err =
            Settings::resolve(&layers(&[("KAFKA_BOOTSTRAP_SERVER", "x:1")], &[])).unwrap_err();
        assert!(
            matches!(err, ConfigError::Unknown { ref suggestion, .. } if suggestion == "KAFKA_BOOTSTRAP_SERVERS")
        );
        // Unrelated variables are not ours to judge.
        assert!(
            Settings::resolve(&layers(
                &[("PATH", "/bin"), ("HOME", "/root")],
                &[("EDITOR", "vi")]
            ))
            .is_ok()
        );
    }

    #[test]
    fn reads_a_dotenv_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(".env");
        std::fs::write(
            &file,
            "# comment\nTOPIC_PARTITIONS=5\nTOPIC_PURCHASES=\"orders\"\n",
        )
        .unwrap();
        let found = find_dotenv(&dir.path().join("nested/deeper")).unwrap();
        assert_eq!(found, file);
        let values = read_dotenv(&found).unwrap();
        assert_eq!(
            values,
            map(&[("TOPIC_PARTITIONS", "5"), ("TOPIC_PURCHASES", "orders")])
        );
    }

    #[test]
    fn topic_names_map_both_ways() {
        let settings = Settings::resolve(&layers(&[], &[])).unwrap();
        assert_eq!(
            settings.topics.kind_of("purchases"),
            Some(TopicKind::Purchases)
        );
        assert_eq!(settings.topics.kind_of("nope"), None);
        let names: Vec<&str> = settings.topics.iter().map(|(_, n)| n).collect();
        assert_eq!(names, ["product-events", "purchases", "user-events"]);
    }
}
