//! Kafka client configuration and the client context every ShopStream client uses.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::types::RDKafkaErrorCode;

use crate::settings::Settings;
use shopstream_core::TopicKind;

/// The librdkafka configuration for a client of these settings.
pub fn client_config(settings: &Settings, client_id: &str) -> ClientConfig {
    client_config_with(settings, client_id, &[])
}

/// [`client_config`] with a client's own defaults (acks, group.id, ...); a KAFKA_* setting for the
/// same property still wins, so every librdkafka option can be overridden from .env.
pub fn client_config_with(
    settings: &Settings,
    client_id: &str,
    defaults: &[(&str, &str)],
) -> ClientConfig {
    let mut config = ClientConfig::new();
    config
        .set("bootstrap.servers", &settings.bootstrap_servers)
        .set("client.id", client_id)
        .set_log_level(RDKafkaLogLevel::Warning);
    for (property, value) in defaults {
        config.set(*property, *value);
    }
    for (property, value) in &settings.kafka_properties {
        config.set(property, value);
    }
    config
}

/// The librdkafka version, for debug logs.
pub fn librdkafka_version() -> String {
    rdkafka::util::get_rdkafka_version().1
}

/// A client context that remembers the last error librdkafka reported, so a failed connection
/// can say why (connection refused, authentication failed) instead of only "timed out".
#[derive(Default)]
pub struct ShopContext {
    last_error: Mutex<Option<ClientProblem>>,
}

/// A connection-level problem librdkafka reported.
#[derive(Debug, Clone)]
pub struct ClientProblem {
    pub authentication: bool,
    pub reason: String,
}

impl ShopContext {
    pub fn last_problem(&self) -> Option<ClientProblem> {
        self.last_error
            .lock()
            .map(|guard| guard.clone())
            .unwrap_or(None)
    }
}

impl ClientContext for ShopContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        use RDKafkaLogLevel::*;
        match level {
            Emerg | Alert | Critical | Error => {
                tracing::error!(target: "librdkafka", "{fac}: {log_message}")
            }
            Warning => tracing::warn!(target: "librdkafka", "{fac}: {log_message}"),
            Notice | Info => tracing::info!(target: "librdkafka", "{fac}: {log_message}"),
            Debug => tracing::debug!(target: "librdkafka", "{fac}: {log_message}"),
        }
        // Connection failures arrive as logs from librdkafka's own threads, also for clients
        // (admin, metadata) that never poll for error callbacks.
        if (level as i32) <= (Error as i32) || fac == "FAIL" {
            self.record(log_message);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        tracing::debug!(target: "librdkafka", "error: {error}: {reason}");
        let authentication = matches!(
            error.rdkafka_error_code(),
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed)
        );
        // "1/1 brokers are down" says less than the connection error that came before it.
        let summary = error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown);
        if summary && self.last_problem().is_some() {
            return;
        }
        self.record_problem(ClientProblem {
            authentication,
            reason: reason.to_string(),
        });
    }
}

/// Delivery reports are not used by the probe; the producers have their own context.
impl rdkafka::producer::ProducerContext for ShopContext {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &rdkafka::message::DeliveryResult<'_>, _: Self::DeliveryOpaque) {}
}

impl ShopContext {
    fn record(&self, message: &str) {
        // "[thrd:...]: " says which librdkafka thread logged it: noise in an error for a person.
        let message = match message
            .strip_prefix("[thrd:")
            .and_then(|rest| rest.split_once("]: "))
        {
            Some((_, text)) => text,
            None => message,
        };
        let authentication = message.contains("SASL authentication error")
            || message.contains("Authentication failed");
        self.record_problem(ClientProblem {
            authentication,
            reason: message.to_string(),
        });
    }

    fn record_problem(&self, problem: ClientProblem) {
        if let Ok(mut guard) = self.last_error.lock() {
            // Keep an authentication failure: it explains the later "all brokers down".
            if guard.as_ref().is_some_and(|p| p.authentication) && !problem.authentication {
                return;
            }
            *guard = Some(problem);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot reach Kafka at {servers} within {}s: {reason}", .timeout.as_secs_f64())]
    Unreachable {
        servers: String,
        timeout: Duration,
        reason: String,
    },
    #[error("authentication to Kafka at {servers} failed: {reason}")]
    Authentication { servers: String, reason: String },
    #[error("Kafka client configuration is invalid: {0}")]
    Config(KafkaError),
}

/// Checks that the cluster answers a metadata request, or fails within `timeout` with the reason
/// librdkafka last gave (connection refused, name not resolved, authentication failed).
/// Authentication failures end the wait at once.
///
/// It uses a short-lived producer because only a client that polls its main queue hears
/// librdkafka's errors and logs, and an admin client or an unsubscribed consumer does not.
pub fn probe_cluster(settings: &Settings, timeout: Duration) -> Result<Metadata, ConnectError> {
    let probe: BaseProducer<ShopContext> = client_config(settings, "shopstream-probe")
        .create_with_context(ShopContext::default())
        .map_err(ConnectError::Config)?;
    let servers = &settings.bootstrap_servers;
    let deadline = Instant::now() + timeout;
    loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let result = probe
            .client()
            .fetch_metadata(None, remaining.min(Duration::from_millis(300)));
        probe.poll(Duration::ZERO);
        let problem = probe.context().last_problem();
        if let Some(problem) = problem.as_ref().filter(|p| p.authentication) {
            return Err(ConnectError::Authentication {
                servers: servers.clone(),
                reason: problem.reason.clone(),
            });
        }
        match result {
            Ok(metadata) if !metadata.brokers().is_empty() => return Ok(metadata),
            _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            result => {
                let reason = match (problem, result.err()) {
                    (Some(problem), _) => problem.reason,
                    (None, Some(error)) => error.to_string(),
                    (None, None) => "no broker answered".to_string(),
                };
                return Err(ConnectError::Unreachable {
                    servers: servers.clone(),
                    timeout,
                    reason,
                });
            }
        }
    }
}

/// Why a producer or consumer cannot start on its topics.
#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("topic {topic} does not exist on {servers} (run setup-topics to create it)")]
    Missing { topic: String, servers: String },
}

/// [`probe_cluster`], then checks that the topics of `kinds` exist; the metadata is returned for
/// whoever needs more of it.
pub fn probe_topics(
    settings: &Settings,
    timeout: Duration,
    kinds: &[TopicKind],
) -> Result<Metadata, TopicsError> {
    let metadata = probe_cluster(settings, timeout)?;
    let names: Vec<&str> = kinds
        .iter()
        .map(|&kind| settings.topics.name(kind))
        .collect();
    if let Some(topic) = missing_topic(&metadata, &names) {
        return Err(TopicsError::Missing {
            topic: topic.to_string(),
            servers: settings.bootstrap_servers.clone(),
        });
    }
    Ok(metadata)
}

/// The first of `names` that the cluster's metadata does not list (or lists with an error).
fn missing_topic<'n>(metadata: &Metadata, names: &[&'n str]) -> Option<&'n str> {
    names.iter().copied().find(|name| {
        !metadata
            .topics()
            .iter()
            .any(|t| t.name() == *name && t.error().is_none())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_recognised() {
        use crate::settings::is_secret;
        assert!(is_secret("sasl.password"));
        assert!(is_secret("ssl.key.password"));
        assert!(is_secret("sasl.oauthbearer.client.secret"));
        assert!(!is_secret("sasl.username"));
    }

    #[test]
    fn passthrough_properties_reach_the_client_config() {
        let mut settings = crate::settings::Settings::resolve(&Default::default()).unwrap();
        settings
            .kafka_properties
            .insert("security.protocol".into(), "SASL_PLAINTEXT".into());
        let config = client_config(&settings, "test");
        assert_eq!(config.get("security.protocol"), Some("SASL_PLAINTEXT"));
        assert_eq!(config.get("bootstrap.servers"), Some("localhost:9092"));
        assert_eq!(config.get("client.id"), Some("test"));
    }

    #[test]
    fn a_kafka_setting_overrides_a_client_default() {
        let mut settings = crate::settings::Settings::resolve(&Default::default()).unwrap();
        settings
            .kafka_properties
            .insert("linger.ms".into(), "50".into());
        let config = client_config_with(&settings, "test", &[("linger.ms", "5"), ("acks", "all")]);
        assert_eq!(config.get("linger.ms"), Some("50"));
        assert_eq!(config.get("acks"), Some("all"));
    }

    #[test]
    fn unreachable_broker_fails_within_the_timeout_with_a_reason() {
        let settings = crate::settings::Settings {
            bootstrap_servers: "127.0.0.1:1".into(),
            ..crate::settings::Settings::resolve(&Default::default()).unwrap()
        };
        let err = probe_cluster(&settings, Duration::from_secs(2)).unwrap_err();
        assert!(matches!(err, ConnectError::Unreachable { .. }), "{err}");
        let text = err.to_string();
        assert!(
            text.starts_with("cannot reach Kafka at 127.0.0.1:1 within 2s: "),
            "{text}"
        );
        assert!(text.contains("Connection refused"), "{text}");
    }
}
