use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use shopstream_core::TopicKind;

use super::layers::{find_dotenv, read_dotenv};
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
    let err = Settings::resolve(&layers(&[], &[("PRODUCT_EVENTS_COUNT", "forty")])).unwrap_err();
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
    let err = Settings::resolve(&layers(&[("KAFKA_BOOTSTRAP_SERVER", "x:1")], &[])).unwrap_err();
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
    let err =
        Settings::resolve(&layers(&[("KAFKA_SSL_KEY_PASSWORD_X", "hunter2")], &[])).unwrap_err();
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn describe_lists_every_setting_of_the_table_in_order() {
    let settings = Settings::resolve(&layers(&[("METRICS_SERVE", "127.0.0.1:1")], &[])).unwrap();
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

/// The book's settings table (docs/configuration.md) as the table declares it.
fn settings_table() -> String {
    let mut table = format!("{SETTINGS_TABLE_HEADER}\n|---|---|---|---|\n");
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

/// README.md and every page of the book under docs/: the pages that show a settings table.
fn pages_with_a_settings_table(root: &Path) -> Vec<(PathBuf, String)> {
    let mut pages = vec![root.join("README.md")];
    let docs = std::fs::read_dir(root.join("docs")).unwrap();
    pages.extend(docs.map(|entry| entry.unwrap().path()));
    pages
        .into_iter()
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .filter(|(_, text)| text.contains(SETTINGS_TABLE_HEADER))
        .collect()
}

const SETTINGS_TABLE_HEADER: &str = "| setting | default | flags | what it sets |";

#[test]
fn the_book_and_dotenv_list_exactly_the_settings_of_the_table() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let table = settings_table();
    let pages = pages_with_a_settings_table(&root);
    assert!(
        pages
            .iter()
            .any(|(path, _)| path.ends_with("docs/configuration.md")),
        "docs/configuration.md must show the settings table; it should read:\n{table}"
    );
    for (path, text) in &pages {
        assert!(
            text.contains(&table),
            "{}'s settings table differs from SETTINGS in crates/kafka/src/settings/table.rs; \
             it should read:\n{table}",
            path.display()
        );
    }
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

#[test]
fn durations_are_bare_seconds_or_numbers_with_units() {
    assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration(" 1.5 "), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
    assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
    assert_eq!(parse_duration("0s"), Ok(Duration::ZERO));
    for (bad, reason) in [
        ("-1", "negative"),
        ("1e30", "too long"),
        ("inf", "too long"),
        ("NaN", "not a number"),
        ("soon", "expected number at 0"),
        ("", "value was empty"),
    ] {
        let error = parse_duration(bad).expect_err(bad).to_string();
        assert_eq!(
            error,
            format!(
                "{bad} is not a length of time ({reason}); write seconds (10, 1.5) or a number \
                 with a unit (250ms, 30s, 1m, 1h 30m)"
            )
        );
    }
}

#[test]
fn a_duration_setting_takes_the_same_text_but_not_less_than_a_millisecond() {
    let window = Setting::named("METRICS_WINDOW").unwrap();
    assert_eq!(window.parse("90"), Ok(Duration::from_secs(90)));
    assert_eq!(window.parse("1ms"), Ok(Duration::from_millis(1)));
    assert_eq!(
        window.parse::<Duration>("0"),
        Err("0 is shorter than a millisecond, the least this setting takes".to_string())
    );
    assert_eq!(
        window.parse::<Duration>("soon"),
        Err(parse_duration("soon").unwrap_err().to_string())
    );
    let err = Settings::resolve(&layers(&[("METRICS_WINDOW", "500us")], &[])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "METRICS_WINDOW=\"500us\" in the environment: 500us is shorter than a millisecond, the \
         least this setting takes"
    );
}

#[test]
fn the_distinct_key_bound_defaults_to_a_million_and_takes_one_at_least() {
    let defaults = Settings::resolve(&layers(&[], &[])).unwrap();
    assert_eq!(defaults.metrics_max_keys, 1_000_000);
    let set = Settings::resolve(&layers(&[("METRICS_MAX_KEYS", "1000")], &[])).unwrap();
    assert_eq!(set.metrics_max_keys, 1000);
    let err = Settings::resolve(&layers(&[("METRICS_MAX_KEYS", "0")], &[])).unwrap_err();
    assert!(
        err.to_string().starts_with("METRICS_MAX_KEYS=\"0\""),
        "{err}"
    );
}
