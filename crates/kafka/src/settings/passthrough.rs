//! Every other KAFKA_* variable, passed through to librdkafka as a property, and the secrets among
//! them that are never shown.

use std::collections::BTreeMap;

use rdkafka::ClientConfig;
use rdkafka::error::KafkaError;

use super::error::ConfigError;
use super::layers::Layers;
use super::table::Setting;

/// KAFKA_ names passed to librdkafka that a typo is likely to be close to.
pub(super) const KNOWN_KAFKA_PASSTHROUGH: &[&str] = &[
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
pub(super) fn kafka_properties(layers: &Layers) -> Result<BTreeMap<String, String>, ConfigError> {
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
