//! Settings, layered: command-line flag > environment > .env file > built-in default.
//!
//! [`SETTINGS`] is the one table of settings: parsing and validation of the environment and .env,
//! [`Settings::describe`], the flags' help, defaults and checks (through [`Setting::parse`]), and
//! the README and .env (checked by tests against it) all come from it. The binaries apply their
//! flags on top of [`Settings::load`]; this module resolves the other three layers, so that the
//! layering is tested here without a process environment.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;
use shopstream_core::TopicKind;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text that must not be empty.
    Text,
    /// Text; empty means "off".
    Optional,
    /// A whole number from `min` to `max`.
    Number { min: u64, max: u64 },
    /// A file; a relative path read from a .env file is relative to that file's folder.
    Path,
    /// A length of time of at least a millisecond: `90s`, `1m`, `1h 30m` (humantime), or seconds.
    Duration,
    /// Kafka brokers: `host:port` (or `[ipv6]:port`, optionally after `protocol://`), comma
    /// separated, each port from 1 to 65535.
    Brokers,
}

/// One row of the settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The variable, in the environment or .env.
    pub name: &'static str,
    /// The built-in default.
    pub default: &'static str,
    pub kind: Kind,
    /// What it sets, in a few words (flag help, README, describe).
    pub about: &'static str,
    /// The command-line flags that override it, as written in the README.
    pub flags: &'static str,
}

/// Declares the table and, from the same rows, how each setting lands in [`Settings`] and is
/// shown again by [`Settings::describe`]: one list, so the three cannot drift apart.
macro_rules! settings_table {
    ($($name:literal => $($field:ident).+ : $kind:expr, $default:literal, $flags:literal, $about:literal;)*) => {
        /// Every setting with its default, kind, flags and meaning.
        pub const SETTINGS: &[Setting] = &[$(Setting {
            name: $name,
            default: $default,
            kind: $kind,
            about: $about,
            flags: $flags,
        }),*];

        impl Settings {
            fn read_table(&mut self, reader: &Reader<'_>) -> Result<(), ConfigError> {
                $(self.$($field).+ = reader.read($name)?;)*
                Ok(())
            }

            fn table_values(&self) -> Vec<(&'static str, String)> {
                vec![$(($name, SettingValue::shown(&self.$($field).+))),*]
            }
        }
    };
}

settings_table! {
    "KAFKA_BOOTSTRAP_SERVERS" => bootstrap_servers: Kind::Brokers, "localhost:9092",
        "--bootstrap-servers, -b", "Kafka brokers to connect to (host:port, comma-separated)";
    "TOPIC_PRODUCT_EVENTS" => topics.product_events: Kind::Text, "product-events",
        "", "Topic of product events (view, add_to_cart, remove_from_cart)";
    "TOPIC_PURCHASES" => topics.purchases: Kind::Text, "purchases",
        "", "Topic of purchases";
    "TOPIC_USER_EVENTS" => topics.user_events: Kind::Text, "user-events",
        "", "Topic of user events (login, logout, search, profile_update)";
    "TOPIC_PARTITIONS" => partitions: Kind::Number { min: 1, max: 10_000 }, "3",
        "setup-topics --partitions", "Partitions per topic that setup-topics creates";
    "TOPIC_REPLICATION_FACTOR" => replication_factor: Kind::Number { min: 1, max: 32_767 }, "1",
        "setup-topics --replication-factor", "Replication factor per topic that setup-topics creates";
    "TOPIC_MIN_INSYNC_REPLICAS" => min_insync_replicas: Kind::Number { min: 0, max: 32_767 }, "0",
        "setup-topics --min-insync-replicas",
        "Replicas a write must reach before it is acknowledged (min.insync.replicas of the topics setup-topics creates), 0 = 2 with a replication factor of 3 or more, else the broker's default";
    "PRODUCT_EVENTS_COUNT" => product_events_count: Kind::Number { min: 0, max: u64::MAX }, "40",
        "product-producer --count, run-multiple-producers --product-events",
        "Product events to write, 0 = until Ctrl-C";
    "PURCHASE_EVENTS_COUNT" => purchase_events_count: Kind::Number { min: 0, max: u64::MAX }, "15",
        "purchase-producer --count, run-multiple-producers --purchases",
        "Purchases to write, 0 = until Ctrl-C";
    "USER_EVENTS_COUNT" => user_events_count: Kind::Number { min: 0, max: u64::MAX }, "30",
        "user-producer --count, run-multiple-producers --user-events",
        "User events to write, 0 = until Ctrl-C";
    "EVENT_DELAY_MS" => event_delay_ms: Kind::Number { min: 0, max: 3_600_000 }, "500",
        "--rate",
        "Pause between a producer's events in milliseconds (--rate sets events/s instead), 0 = as fast as possible";
    "METRICS_REPORT_EVERY" => metrics_report_every: Kind::Number { min: 1, max: u64::MAX }, "20",
        "metrics-consumer --every", "A metrics report every this many events";
    "METRICS_THREADS" => metrics_threads: Kind::Number { min: 0, max: 1024 }, "1",
        "metrics-consumer --threads",
        "Threads that decode and count, each reading its own partitions (0 = one per core); more than 1 only with the group's offsets, not with --checkpoint or --exactly-once";
    "METRICS_SERVE" => metrics_serve: Kind::Optional, "",
        "metrics-consumer --serve",
        "Serve a live dashboard, /api/metrics, Prometheus /metrics and /healthz here (host:port, e.g. 127.0.0.1:8088); empty = no server";
    "METRICS_STATE_TOPIC" => metrics_state_topic: Kind::Text, "shopstream-metrics-state",
        "metrics-consumer --state-topic",
        "Compacted topic where metrics-consumer --exactly-once keeps each input partition's state (setup-topics creates it)";
    "METRICS_WINDOW" => metrics_window: Kind::Duration, "1m",
        "run-multiple-producers --window, metrics-consumer --window",
        "Width of the event-time windows (tumbling, aligned to the epoch): of run-multiple-producers --truth, and of metrics-consumer --window given without a width";
    "PRODUCTS_FILE" => products_file: Kind::Path, "data/products.json",
        "", "The product catalog the simulator draws from";
    "USERS_FILE" => users_file: Kind::Path, "data/users.json",
        "", "The users the simulator draws from";
    "BEHAVIOUR_FILE" => behaviour_file: Kind::Path, "data/behaviour.toml",
        "", "The behaviour model of runs without counts: funnel, daily and weekly traffic, stock and prices (docs/behaviour.md)";
}

impl Setting {
    /// The row of `name`; every name the code asks for is in the table.
    pub fn named(name: &str) -> Option<&'static Setting> {
        SETTINGS.iter().find(|setting| setting.name == name)
    }

    /// Checks a value for this setting and converts it, as for the environment or .env (a flag's
    /// value goes through here too, so flags and settings accept the same values).
    pub fn parse<T: SettingValue>(&self, text: &str) -> Result<T, String> {
        T::parse(text.trim(), self.kind)
    }
}

/// A Rust type a setting's text converts to.
pub trait SettingValue: Sized {
    fn parse(text: &str, kind: Kind) -> Result<Self, String>;
    /// The value as it would be written in .env.
    fn shown(&self) -> String;
}

fn number_in_range(text: &str, kind: Kind) -> Result<u64, String> {
    let (min, max) = match kind {
        Kind::Number { min, max } => (min, max),
        _ => (0, u64::MAX),
    };
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from {min} to {max}")),
    }
}

impl SettingValue for u64 {
    fn parse(text: &str, kind: Kind) -> Result<u64, String> {
        number_in_range(text, kind)
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for i32 {
    fn parse(text: &str, kind: Kind) -> Result<i32, String> {
        let n = number_in_range(text, kind)?;
        i32::try_from(n).map_err(|_| format!("expected a whole number up to {}", i32::MAX))
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for String {
    fn parse(text: &str, kind: Kind) -> Result<String, String> {
        if matches!(kind, Kind::Text | Kind::Brokers) && text.trim().is_empty() {
            return Err("must not be empty".to_string());
        }
        if kind == Kind::Brokers {
            for address in text.split(',') {
                check_broker_address(address.trim())?;
            }
        }
        Ok(text.to_string())
    }
    fn shown(&self) -> String {
        self.clone()
    }
}

impl SettingValue for Option<String> {
    fn parse(text: &str, _: Kind) -> Result<Option<String>, String> {
        Ok(Some(text.to_string()).filter(|text| !text.is_empty()))
    }
    fn shown(&self) -> String {
        self.clone().unwrap_or_default()
    }
}

impl SettingValue for Duration {
    fn parse(text: &str, _: Kind) -> Result<Duration, String> {
        let duration = match text.parse::<f64>() {
            Ok(seconds) if seconds.is_finite() && seconds >= 0.0 => {
                Duration::from_secs_f64(seconds)
            }
            Ok(_) => return Err(format!("{text} is not a length of time")),
            Err(_) => humantime::parse_duration(text)
                .map_err(|e| format!("{text} is not a length of time like 30s, 1m or 1h ({e})"))?,
        };
        if duration < Duration::from_millis(1) {
            return Err(format!("{text} is shorter than a millisecond"));
        }
        Ok(duration)
    }
    fn shown(&self) -> String {
        humantime::format_duration(*self).to_string()
    }
}

impl SettingValue for PathBuf {
    fn parse(text: &str, _: Kind) -> Result<PathBuf, String> {
        Ok(PathBuf::from(text))
    }
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

/// Checks one bootstrap address before any connection is tried: a typo in a port (`9o92`) would
/// otherwise surface as a connection to another port, or a wait for the timeout.
fn check_broker_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("'{address}' is not host:port ({why})"));
    let without_protocol = address.split_once("://").map_or(address, |(_, rest)| rest);
    let (host, port) = match without_protocol.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once("]:") {
            Some((host, port)) => (host, port),
            None => return bad("an IPv6 address is written [address]:port"),
        },
        None => match without_protocol.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => return bad("no port"),
        },
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return bad("no host name");
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(()),
        _ => bad(&format!(
            "the port '{port}' is not a number from 1 to 65535"
        )),
    }
}

/// KAFKA_ names passed to librdkafka that a typo is likely to be close to.
const KNOWN_KAFKA_PASSTHROUGH: &[&str] = &[
    "KAFKA_CLIENT_ID",
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
    "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM",
    "KAFKA_COMPRESSION_TYPE",
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
#[derive(Debug, Clone, Default, PartialEq, Eq)]
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

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    pub bootstrap_servers: String,
    pub topics: TopicNames,
    pub partitions: i32,
    pub replication_factor: i32,
    pub min_insync_replicas: i32,
    pub product_events_count: u64,
    pub purchase_events_count: u64,
    pub user_events_count: u64,
    pub event_delay_ms: u64,
    pub metrics_report_every: u64,
    pub metrics_threads: u64,
    pub metrics_window: Duration,
    /// Where metrics-consumer serves its dashboard (host:port); None: it does not.
    pub metrics_serve: Option<String>,
    /// The compacted topic of metrics-consumer --exactly-once's state.
    pub metrics_state_topic: String,
    pub products_file: PathBuf,
    pub users_file: PathBuf,
    pub behaviour_file: PathBuf,
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

/// Reads the table's settings from the layers, each value once, naming its origin on error.
struct Reader<'l> {
    layers: &'l Layers,
}

impl Reader<'_> {
    fn read<T: SettingValue>(&self, name: &str) -> Result<T, ConfigError> {
        let Some(setting) = Setting::named(name) else {
            unreachable!("{name} is read by the table that declares it");
        };
        let Some((text, origin)) = self.layers.get(name) else {
            return setting
                .parse(setting.default)
                .map_err(|expected| ConfigError::Invalid {
                    key: name.to_string(),
                    value: setting.default.to_string(),
                    origin: Origin::Default,
                    expected,
                });
        };
        let text = text.trim();
        // Relative paths from .env are relative to that file, so the tools work from any folder.
        let relative_to_dotenv = match (setting.kind, &origin) {
            (Kind::Path, Origin::DotEnv(file)) if Path::new(text).is_relative() => file
                .parent()
                .map(|dir| dir.join(text).display().to_string()),
            _ => None,
        };
        setting
            .parse(relative_to_dotenv.as_deref().unwrap_or(text))
            .map_err(|expected| ConfigError::Invalid {
                key: name.to_string(),
                value: text.to_string(),
                origin,
                expected,
            })
    }
}

impl Settings {
    /// Environment over .env over defaults, from this process.
    pub fn load() -> Result<Settings, ConfigError> {
        Settings::resolve(&Layers::from_process()?)
    }

    pub fn resolve(layers: &Layers) -> Result<Settings, ConfigError> {
        check_for_typos(layers)?;
        let mut settings = Settings::default();
        settings.read_table(&Reader { layers })?;
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

fn is_setting(key: &str) -> bool {
    Setting::named(key).is_some()
}

fn is_client_passthrough(key: &str) -> bool {
    key.starts_with("KAFKA_")
        && !is_setting(key)
        && !key.starts_with("KAFKA_LOCAL_")
        && !NOT_CLIENT_SETTINGS.contains(&key)
        && key.len() > "KAFKA_".len()
}

/// KAFKA_SASL_USERNAME -> sasl.username, for every client pass-through key in either layer. Each
/// is checked by librdkafka here, once, so that a property it does not know (or a value it
/// refuses) is reported with the variable that set it.
fn kafka_properties(layers: &Layers) -> Result<BTreeMap<String, String>, ConfigError> {
    let mut properties = BTreeMap::new();
    let keys = layers.dotenv.keys().chain(layers.environment.keys());
    for key in keys.filter(|key| is_client_passthrough(key)) {
        let Some((value, origin)) = layers.get(key) else {
            continue;
        };
        let property = key["KAFKA_".len()..].to_ascii_lowercase().replace('_', ".");
        let value = value.trim().to_string();
        if let Err(error) = ClientConfig::new()
            .set(&property, &value)
            .create_native_config()
        {
            let reason = match error {
                KafkaError::ClientConfig(_, description, _, _) => description,
                other => other.to_string(),
            };
            return Err(ConfigError::Rejected {
                key: key.clone(),
                origin,
                property,
                value: if is_secret(key) {
                    REDACTED.to_string()
                } else {
                    value
                },
                reason,
            });
        }
        properties.insert(property, value);
    }
    Ok(properties)
}

/// A key one or two letters away from a known one is a typo that would otherwise be ignored
/// (or passed to librdkafka as a property it does not know).
fn check_for_typos(layers: &Layers) -> Result<(), ConfigError> {
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
    fn a_malformed_broker_address_is_refused_naming_the_variable() {
        for good in [
            "localhost:9092",
            "a:1,b:65535",
            " broker-1.example.com:9093 , 10.0.0.1:9092",
            "[::1]:9092",
            "SASL_SSL://broker:9094",
        ] {
            assert!(
                Settings::resolve(&layers(&[("KAFKA_BOOTSTRAP_SERVERS", good)], &[])).is_ok(),
                "{good}"
            );
        }
        for (bad, why) in [
            (
                "localhost:9o92",
                "the port '9o92' is not a number from 1 to 65535",
            ),
            ("localhost", "no port"),
            (
                "localhost:0",
                "the port '0' is not a number from 1 to 65535",
            ),
            (
                "localhost:70000",
                "the port '70000' is not a number from 1 to 65535",
            ),
            (":9092", "no host name"),
            ("a:1,,b:2", "no port"),
        ] {
            let error = Settings::resolve(&layers(&[("KAFKA_BOOTSTRAP_SERVERS", bad)], &[]))
                .expect_err(bad)
                .to_string();
            assert!(error.contains("KAFKA_BOOTSTRAP_SERVERS"), "{error}");
            assert!(error.contains(why), "{bad}: {error}");
        }
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

    #[test]
    fn a_kafka_property_librdkafka_rejects_names_its_variable() {
        let err = Settings::resolve(&layers(&[], &[("KAFKA_NO_SUCH_THING", "1")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "KAFKA_NO_SUCH_THING in /project/.env: librdkafka rejects no.such.thing=\"1\": \
             No such configuration property: \"no.such.thing\""
        );
        let err = Settings::resolve(&layers(&[("KAFKA_LINGER_MS", "soon")], &[])).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "KAFKA_LINGER_MS in the environment: librdkafka rejects linger.ms=\"soon\": "
            ),
            "{err}"
        );
        // A secret's value is not repeated in the error.
        let err = Settings::resolve(&layers(&[("KAFKA_SSL_KEY_PASSWORD_X", "hunter2")], &[]))
            .unwrap_err();
        assert!(!err.to_string().contains("hunter2"), "{err}");
    }

    #[test]
    fn describe_lists_every_setting_of_the_table_in_order() {
        let settings =
            Settings::resolve(&layers(&[("METRICS_SERVE", "127.0.0.1:1")], &[])).unwrap();
        let shown = settings.describe();
        let names: Vec<&str> = shown.iter().map(|(name, _)| name.as_str()).collect();
        let table: Vec<&str> = SETTINGS.iter().map(|setting| setting.name).collect();
        assert_eq!(names, table);
        for (setting, (_, value)) in SETTINGS.iter().zip(&shown) {
            let expected = if setting.name == "METRICS_SERVE" {
                "127.0.0.1:1"
            } else {
                setting.default
            };
            assert_eq!(value, expected, "{}", setting.name);
        }
    }

    #[test]
    fn every_default_passes_its_own_checks() {
        for setting in SETTINGS {
            let kind_accepts_default = match setting.kind {
                Kind::Number { .. } => setting.parse::<u64>(setting.default).is_ok(),
                Kind::Text | Kind::Brokers => setting.parse::<String>(setting.default).is_ok(),
                Kind::Optional => setting.parse::<Option<String>>(setting.default).is_ok(),
                Kind::Path => setting.parse::<PathBuf>(setting.default).is_ok(),
                Kind::Duration => setting.parse::<Duration>(setting.default).is_ok(),
            };
            assert!(kind_accepts_default, "{}", setting.name);
        }
    }

    /// The README's settings table as the table declares it.
    fn readme_table() -> String {
        let mut table =
            String::from("| setting | default | flags | what it sets |\n|---|---|---|---|\n");
        for setting in SETTINGS {
            let default = match setting.default {
                "" => "(empty)".to_string(),
                value => format!("`{value}`"),
            };
            let flags: Vec<String> = setting
                .flags
                .split(", ")
                .filter(|flag| !flag.is_empty())
                .map(|flag| format!("`{flag}`"))
                .collect();
            let flags = if flags.is_empty() {
                "none".to_string()
            } else {
                flags.join(", ")
            };
            table.push_str(&format!(
                "| `{}` | {default} | {flags} | {} |\n",
                setting.name, setting.about
            ));
        }
        table
    }

    #[test]
    fn readme_and_dotenv_list_exactly_the_settings_of_the_table() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        let table = readme_table();
        assert!(
            readme.contains(&table),
            "README.md's settings table differs from SETTINGS in crates/kafka/src/settings.rs; \
             it should read:\n{table}"
        );
        let dotenv = read_dotenv(&root.join(".env")).unwrap();
        let listed: Vec<(&str, &str)> = dotenv
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let mut expected: Vec<(&str, &str)> = SETTINGS
            .iter()
            .map(|setting| (setting.name, setting.default))
            .collect();
        expected.sort();
        assert_eq!(
            listed, expected,
            ".env must set every setting to its default"
        );
    }
}
