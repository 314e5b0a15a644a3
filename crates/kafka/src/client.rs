//! Kafka client configuration and the client context every ShopStream client uses.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::metadata::Metadata;
use rdkafka::producer::{BaseProducer, Producer};
use rdkafka::types::{RDKafkaErrorCode, RDKafkaRespErr};

use crate::retry::{self, Retry, Schedule};
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

/// What this librdkafka was built with (ssl, sasl_scram, zstd, lz4, ...), for debug logs.
pub fn librdkafka_features() -> String {
    ClientConfig::new()
        .create_native_config()
        .and_then(|config| config.get("builtin.features"))
        .unwrap_or_else(|error| format!("unknown ({error})"))
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
    pub kind: ProblemKind,
    pub reason: String,
}

/// What kind of connection problem: only plain connection trouble is worth retrying until the
/// timeout; refused credentials and TLS failures will not mend by waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    Connection,
    Authentication,
    Tls,
}

impl ProblemKind {
    /// Classifies a librdkafka error or log text.
    fn of(reason: &str) -> ProblemKind {
        if reason.contains("SASL authentication error") || reason.contains("Authentication failed")
        {
            ProblemKind::Authentication
        } else if reason.contains("SSL")
            || reason.contains("certificate")
            || (reason.contains("Disconnected") && reason.contains("state APIVERSION_QUERY"))
        {
            // A plaintext client that a TLS port hangs up on says only "Disconnected" while
            // asking for API versions.
            ProblemKind::Tls
        } else {
            ProblemKind::Connection
        }
    }

    fn is_final(self) -> bool {
        self != ProblemKind::Connection
    }
}

/// Plain consumers (the state topic's reader) need nothing beyond the shared context.
impl rdkafka::consumer::ConsumerContext for ShopContext {}

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
        let kind = match error.rdkafka_error_code() {
            Some(RDKafkaErrorCode::Authentication | RDKafkaErrorCode::SaslAuthenticationFailed) => {
                ProblemKind::Authentication
            }
            Some(RDKafkaErrorCode::SSL) => ProblemKind::Tls,
            _ => ProblemKind::of(reason),
        };
        // "1/1 brokers are down" says less than the connection error that came before it.
        let summary = error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown);
        if summary && self.last_problem().is_some() {
            return;
        }
        self.record_problem(ClientProblem {
            kind,
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
        self.record_problem(ClientProblem {
            kind: ProblemKind::of(message),
            reason: message.to_string(),
        });
    }

    fn record_problem(&self, problem: ClientProblem) {
        if let Ok(mut guard) = self.last_error.lock() {
            // Keep an authentication or TLS failure: it explains the later "all brokers down".
            if guard.as_ref().is_some_and(|p| p.kind.is_final()) && !problem.kind.is_final() {
                return;
            }
            *guard = Some(problem);
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(
        "nothing listens at {servers} (connection refused): start a local broker with \
         scripts/kafka-local.sh start, or check the address (--bootstrap-servers, \
         KAFKA_BOOTSTRAP_SERVERS)"
    )]
    Refused { servers: String },
    #[error("cannot reach Kafka at {servers} within {}: {reason}", seconds(*.timeout))]
    Unreachable {
        servers: String,
        timeout: Duration,
        reason: String,
    },
    #[error("authentication to Kafka at {servers} failed: {reason}")]
    Authentication { servers: String, reason: String },
    #[error("TLS with Kafka at {servers} failed: {reason}{}", tls_hint(.reason))]
    Tls { servers: String, reason: String },
    #[error("Kafka client configuration is invalid: {0}")]
    Config(KafkaError),
}

/// "10s", or "2.4s" for a duration that is not whole seconds.
pub fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{:.1}s", duration.as_secs_f64())
    }
}

/// How long a plaintext client waits once every broker hung up on it before giving up.
const HANG_UP_GRACE: Duration = Duration::from_secs(2);

/// Checks that the cluster answers a metadata request, or fails within `timeout` with the reason
/// librdkafka last gave (connection refused, name not resolved, authentication failed).
/// Authentication and TLS failures end the wait at once.
///
/// It uses a short-lived producer because only a client that polls its main queue hears
/// librdkafka's errors and logs, and an admin client or an unsubscribed consumer does not.
pub fn probe_cluster(settings: &Settings, timeout: Duration) -> Result<Metadata, ConnectError> {
    probe(settings, timeout).map(|(_, metadata)| metadata)
}

/// [`probe_cluster`], keeping the connected client for further questions.
fn probe(
    settings: &Settings,
    timeout: Duration,
) -> Result<(BaseProducer<ShopContext>, Metadata), ConnectError> {
    if refused_everywhere(&settings.bootstrap_servers) {
        return Err(ConnectError::Refused {
            servers: settings.bootstrap_servers.clone(),
        });
    }
    let probe: BaseProducer<ShopContext> = client_config(settings, "shopstream-probe")
        .create_with_context(ShopContext::default())
        .map_err(ConnectError::Config)?;
    let servers = &settings.bootstrap_servers;
    let started = Instant::now();
    // A TLS port spoken to in plaintext takes the connection, then hangs up on the first request;
    // librdkafka often reports only "brokers are down" for it. Nothing else that accepts a
    // connection does that for long, so it ends the wait after a grace period.
    let plaintext = settings
        .kafka_properties
        .get("security.protocol")
        .is_none_or(|protocol| !protocol.to_ascii_lowercase().ends_with("ssl"));
    let mut hung_up_since: Option<Instant> = None;
    let schedule = Schedule::until(started + timeout).pausing(Duration::from_millis(50));
    let answer = retry::run(
        schedule,
        |attempt| {
            let (reason, hung_up) = match ask_for_brokers(&probe, servers, attempt.left) {
                Ok(metadata) => return Ok(metadata),
                Err(Unanswered::Refused(error)) => return Err(Retry::Stop(error)),
                Err(Unanswered::Silent { reason, hung_up }) => (reason, plaintext && hung_up),
            };
            let waited = started.elapsed().min(timeout);
            let error = unreachable_error(servers, reason, hung_up, waited);
            let since = hung_up.then(|| *hung_up_since.get_or_insert_with(Instant::now));
            match since {
                Some(since) if since.elapsed() >= HANG_UP_GRACE => Err(Retry::Stop(error)),
                _ => Err(Retry::Again(error)),
            }
        },
        retry::quietly,
    );
    answer.map(|metadata| (probe, metadata))
}

/// Why one metadata request found no broker.
enum Unanswered {
    /// Authentication or TLS failed: asking again will not mend it.
    Refused(ConnectError),
    /// No answer (yet): librdkafka's last reason, and whether the broker hung up on the client.
    Silent { reason: String, hung_up: bool },
}

/// One metadata request through `probe`, waiting at most 300 ms (and at most `left`).
fn ask_for_brokers(
    probe: &BaseProducer<ShopContext>,
    servers: &str,
    left: Duration,
) -> Result<Metadata, Unanswered> {
    let result = probe
        .client()
        .fetch_metadata(None, left.min(Duration::from_millis(300)));
    probe.poll(Duration::ZERO);
    let problem = probe.context().last_problem();
    if let Some(problem) = &problem {
        let (servers, reason) = (servers.to_string(), problem.reason.clone());
        match problem.kind {
            ProblemKind::Authentication => {
                return Err(Unanswered::Refused(ConnectError::Authentication {
                    servers,
                    reason,
                }));
            }
            ProblemKind::Tls => {
                return Err(Unanswered::Refused(ConnectError::Tls { servers, reason }));
            }
            ProblemKind::Connection => {}
        }
    }
    let hung_up = problem
        .as_ref()
        .is_some_and(|p| p.reason.contains("brokers are down"));
    match (result, problem) {
        (Ok(metadata), _) if !metadata.brokers().is_empty() => Ok(metadata),
        (_, Some(problem)) => Err(Unanswered::Silent {
            reason: problem.reason,
            hung_up,
        }),
        (Err(error), None) => Err(Unanswered::Silent {
            reason: error.to_string(),
            hung_up,
        }),
        (Ok(_), None) => Err(Unanswered::Silent {
            reason: "no broker answered".to_string(),
            hung_up,
        }),
    }
}

/// The error of a cluster that did not answer within `waited`, with librdkafka's last `reason`.
fn unreachable_error(
    servers: &str,
    mut reason: String,
    hung_up: bool,
    waited: Duration,
) -> ConnectError {
    if hung_up {
        reason.push_str(
            " (the broker's port took the connection but Kafka did not answer: if \
             this port expects TLS, set KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL)",
        );
    }
    ConnectError::Unreachable {
        servers: servers.to_string(),
        timeout: waited,
        reason,
    }
}

/// Whether `host:port` refuses a TCP connection (or does not answer within half a second): a
/// broker that is down.
pub fn unreachable(address: &str) -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    match address.to_socket_addrs() {
        Ok(resolved) => resolved
            .into_iter()
            .all(|socket| TcpStream::connect_timeout(&socket, Duration::from_millis(500)).is_err()),
        Err(_) => true,
    }
}

/// Whether every address of every bootstrap server refuses a TCP connection at once: nothing
/// listens there, and waiting for the timeout would only delay the news. A slow, unroutable or
/// unresolvable address is not "refused": librdkafka then gets the full timeout, as before.
fn refused_everywhere(servers: &str) -> bool {
    use std::net::{TcpStream, ToSocketAddrs};
    let mut refused = 0;
    for server in servers.split(',') {
        let server = server.trim();
        let address = server.split_once("://").map_or(server, |(_, rest)| rest);
        let Ok(resolved) = address.to_socket_addrs() else {
            return false;
        };
        for socket in resolved {
            match TcpStream::connect_timeout(&socket, Duration::from_millis(500)) {
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => refused += 1,
                _ => return false,
            }
        }
    }
    refused > 0
}

/// Why a producer or consumer cannot start on its topics.
#[derive(Debug, thiserror::Error)]
pub enum TopicsError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error("topic {topic} does not exist on {servers} (run setup-topics to create it)")]
    Missing { topic: String, servers: String },
    #[error(
        "not authorized to {operation} {topic} on {servers} (the broker's ACLs must allow this \
         user to {operation} it)"
    )]
    NotAuthorized {
        topic: String,
        servers: String,
        operation: Operation,
    },
}

/// What a client wants to do with its topics, for authorization errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::Display)]
#[strum(serialize_all = "lowercase")]
pub enum Operation {
    Read,
    Write,
}

/// What a person can do about a TLS failure librdkafka described.
fn tls_hint(reason: &str) -> &'static str {
    if reason.contains("certificate verify failed") {
        " (is KAFKA_SSL_CA_LOCATION the CA that signed the broker's certificate, and is the \
         address you connect to one of the names in that certificate?)"
    } else if reason.contains("connecting to a SSL listener")
        || (reason.contains("APIVERSION_QUERY") && !reason.contains("SSL"))
    {
        " (the broker hung up before answering: this port probably expects TLS; set \
         KAFKA_SECURITY_PROTOCOL=SSL or SASL_SSL)"
    } else if reason.contains("PLAINTEXT broker listener")
        || (reason.contains("closed by peer") && reason.contains("SSL_HANDSHAKE"))
    {
        " (this port does not speak TLS: set KAFKA_SECURITY_PROTOCOL=PLAINTEXT or SASL_PLAINTEXT)"
    } else if reason.contains("alert certificate")
        || reason.contains("alert bad certificate")
        || reason.contains("certificate required")
        || reason.contains("alert unknown ca")
    {
        " (the broker refused the client certificate: check KAFKA_SSL_CERTIFICATE_LOCATION and \
         KAFKA_SSL_KEY_LOCATION, and that the broker trusts their CA)"
    } else {
        ""
    }
}

/// [`probe_cluster`], then checks that the topics of `kinds` exist; the metadata is returned for
/// whoever needs more of it.
pub fn probe_topics(
    settings: &Settings,
    timeout: Duration,
    kinds: &[TopicKind],
    operation: Operation,
) -> Result<Metadata, TopicsError> {
    let (client, metadata) = probe(settings, timeout)?;
    let names: Vec<&str> = kinds
        .iter()
        .map(|&kind| settings.topics.name(kind))
        .collect();
    if let Some(topic) = missing_topic(&metadata, &names) {
        // A cluster-wide listing leaves out the topics this user may not see; asked for by name,
        // the broker says whether the topic is missing or hidden by its ACLs.
        let hidden = client
            .client()
            .fetch_metadata(Some(topic), timeout)
            .is_ok_and(|named| unauthorized_topic(&named, &[topic]).is_some());
        let (topic, servers) = (topic.to_string(), settings.bootstrap_servers.clone());
        return Err(if hidden {
            TopicsError::NotAuthorized {
                topic,
                servers,
                operation,
            }
        } else {
            TopicsError::Missing { topic, servers }
        });
    }
    Ok(metadata)
}

/// The first of `names` that the broker's ACLs hide from this client.
fn unauthorized_topic<'n>(metadata: &Metadata, names: &[&'n str]) -> Option<&'n str> {
    names.iter().copied().find(|name| {
        metadata.topics().iter().any(|t| {
            t.name() == *name
                && t.error() == Some(RDKafkaRespErr::RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED)
        })
    })
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
mod tests;
