//! The one table of settings ([`SETTINGS`]): its rows, Kafka's first and then the shop's, the
//! [`Settings`] they fill, and how a row's value is read from the layers.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::error::{ConfigError, Origin};
use super::layers::Layers;
use super::topics::TopicNames;
use super::value::{Kind, SettingValue};

/// One row of the settings table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    /// The variable, in the environment or .env.
    pub name: &'static str,
    /// The built-in default.
    pub default: &'static str,
    pub kind: Kind,
    /// What it sets, in a few words (flag help, docs/configuration.md, describe).
    pub about: &'static str,
    /// The command-line flags that override it, as written in docs/configuration.md.
    pub flags: &'static str,
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
            /// Sets every field of the table from `layers`, or its default.
            pub(super) fn read_table(&mut self, layers: &Layers) -> Result<(), ConfigError> {
                let reader = Reader { layers };
                $(self.$($field).+ = reader.read($name)?;)*
                Ok(())
            }

            /// Each setting of the table with its value, as it would be written in .env.
            pub(super) fn table_values(&self) -> Vec<(&'static str, String)> {
                vec![$(($name, SettingValue::shown(&self.$($field).+))),*]
            }
        }
    };
}

settings_table! {
    // ---- Kafka: where the brokers are, and the topics (setup-topics creates them).
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
    // ---- The shop: its simulated producers, metrics-consumer, and the simulator's data files.
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
    "METRICS_MAX_KEYS" => metrics_max_keys: Kind::Number { min: 1, max: 10_000_000 }, "1000000",
        "metrics-consumer --max-keys",
        "Distinct keys metrics-consumer counts exactly: product tallies held, and active users per window; beyond it the top products and a window's active users are approximate, their error stated in the report (every other figure stays exact)";
    "SHOP_USERS" => shop_users: Kind::Number { min: 0, max: 99_999_999 }, "0",
        "--users",
        "Users of a generated population (names, emails, regions, customer types, ages, interests) made from the run's --seed, the same on every shard; 0 = the users of USERS_FILE";
    "SHOP_PRODUCTS" => shop_products: Kind::Number { min: 0, max: 9_999_999 }, "0",
        "--products",
        "Products of a generated catalog (names, categories, brands, prices, stock) made from the run's --seed; 0 = the products of PRODUCTS_FILE";
    "PRODUCTS_FILE" => products_file: Kind::Path, "data/products.json",
        "", "The product catalog the simulator draws from";
    "USERS_FILE" => users_file: Kind::Path, "data/users.json",
        "", "The users the simulator draws from";
    "BEHAVIOUR_FILE" => behaviour_file: Kind::Path, "data/behaviour.toml",
        "", "The behaviour model of runs without counts: funnel, daily and weekly traffic, stock and prices (docs/behaviour.md)";
}

/// Every setting resolved: the table's (see [`SETTINGS`]), then what the layers hold besides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    // Kafka's, from the table.
    pub bootstrap_servers: String,
    pub topics: TopicNames,
    pub partitions: i32,
    pub replication_factor: i32,
    pub min_insync_replicas: i32,
    // The shop's, from the table.
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
    /// Distinct keys counted exactly (products held, active users per window).
    pub metrics_max_keys: u64,
    /// Users of a generated population; 0: the users of `users_file`.
    pub shop_users: u64,
    /// Products of a generated catalog; 0: the products of `products_file`.
    pub shop_products: u64,
    pub products_file: PathBuf,
    pub users_file: PathBuf,
    pub behaviour_file: PathBuf,
    // From the layers, outside the table.
    /// librdkafka properties from any other KAFKA_* setting (KAFKA_SASL_USERNAME -> sasl.username).
    pub kafka_properties: BTreeMap<String, String>,
    /// The .env file that was read, if any.
    pub dotenv_file: Option<PathBuf>,
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
