//! Helpers shared by the end-to-end tests.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

/// Where scripts/test.sh's broker listens by default, tried when SHOPSTREAM_TEST_BOOTSTRAP is not
/// set.
pub const DEFAULT_TEST_BOOTSTRAP: &str = "127.0.0.1:19092";

/// Whether this test is to be skipped because no test broker is there; every end-to-end test
/// starts with `if skip_without_broker() { return; }`.
///
/// The broker is SHOPSTREAM_TEST_BOOTSTRAP (scripts/test.sh sets it), else whatever answers on
/// [`DEFAULT_TEST_BOOTSTRAP`]. When neither answers, a plain `cargo test` skips the end-to-end
/// tests, saying so once on stderr; but when SHOPSTREAM_TEST_BOOTSTRAP or CI is set, they never
/// skip: each fails, saying that the broker is missing.
pub fn skip_without_broker() -> bool {
    match test_broker() {
        Ok(Some(_)) => false,
        Ok(None) => true,
        Err(missing) => panic!("{missing}"),
    }
}

/// The broker the suite runs against (see [`skip_without_broker`], which a test calls first).
pub fn bootstrap() -> String {
    match test_broker() {
        Ok(Some(servers)) => servers.clone(),
        Ok(None) => panic!(
            "no test broker: an end-to-end test starts with `if skip_without_broker() {{ return; }}`"
        ),
        Err(missing) => panic!("{missing}"),
    }
}

/// The test broker, None to skip, or why the tests fail; looked for once per run.
fn test_broker() -> &'static Result<Option<String>, String> {
    static BROKER: OnceLock<Result<Option<String>, String>> = OnceLock::new();
    BROKER.get_or_init(|| {
        let configured = std::env::var("SHOPSTREAM_TEST_BOOTSTRAP")
            .ok()
            .filter(|servers| !servers.trim().is_empty());
        let servers = configured
            .clone()
            .unwrap_or_else(|| DEFAULT_TEST_BOOTSTRAP.to_string());
        if answers(&servers) {
            return Ok(Some(servers));
        }
        if configured.is_some() {
            return Err(format!(
                "SHOPSTREAM_TEST_BOOTSTRAP={servers}, but no Kafka broker answers there \
                 (scripts/test.sh starts one and sets it)"
            ));
        }
        if in_ci() {
            return Err(format!(
                "CI is set, so the end-to-end tests do not skip, but no Kafka broker answers on \
                 {servers} and SHOPSTREAM_TEST_BOOTSTRAP is not set: run them with scripts/test.sh, \
                 which starts one"
            ));
        }
        // Straight to stderr: the test harness would capture eprintln! and show it only for a
        // failing test.
        let _ = writeln!(
            std::io::stderr(),
            "skipping the end-to-end tests: no Kafka broker on {servers} and \
             SHOPSTREAM_TEST_BOOTSTRAP is not set; run them with scripts/test.sh, which starts one"
        );
        Ok(None)
    })
}

/// Whether anything accepts a TCP connection on one of these host:port addresses.
fn answers(servers: &str) -> bool {
    servers.split(',').any(|server| {
        server.trim().to_socket_addrs().is_ok_and(|mut addresses| {
            addresses
                .any(|address| TcpStream::connect_timeout(&address, Duration::from_secs(2)).is_ok())
        })
    })
}

/// Whether this is a CI run (CI=true, as CI services set it): there, nothing is skipped.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| !matches!(value.trim(), "" | "0" | "false"))
}

/// The secured listeners of the test broker, for tests/e2e/tls.rs: scripts/test.sh opens them
/// on the same broker and exports where they are.
#[derive(Debug)]
pub struct SecuredBroker {
    /// SSL: the client verifies the broker with ca.pem; no client certificate (User:ANONYMOUS).
    pub ssl: String,
    /// SSL that requires a client certificate signed by ca.pem (principal User:client).
    pub mtls: String,
    /// SASL_SSL: SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN.
    pub sasl_ssl: String,
    /// scripts/kafka-local.sh's certificates: ca.pem, client.pem, client.key, ...
    pub tls_dir: PathBuf,
}

impl SecuredBroker {
    pub fn file(&self, name: &str) -> String {
        self.tls_dir.join(name).display().to_string()
    }
}

/// The defaults of [`secured_broker`] for scripts/test.sh's broker on [`DEFAULT_TEST_BOOTSTRAP`].
const DEFAULT_SECURED: [(&str, &str); 4] = [
    ("SHOPSTREAM_TEST_SSL_BOOTSTRAP", "127.0.0.1:19094"),
    ("SHOPSTREAM_TEST_MTLS_BOOTSTRAP", "127.0.0.1:19095"),
    ("SHOPSTREAM_TEST_SASL_SSL_BOOTSTRAP", "127.0.0.1:19096"),
    ("SHOPSTREAM_TEST_TLS_DIR", ".kafka/test-19092/tls"),
];

/// The test broker's secured listeners; a test calls [`skip_without_broker`] first.
///
/// They come from SHOPSTREAM_TEST_SSL_BOOTSTRAP, SHOPSTREAM_TEST_MTLS_BOOTSTRAP,
/// SHOPSTREAM_TEST_SASL_SSL_BOOTSTRAP and SHOPSTREAM_TEST_TLS_DIR (scripts/test.sh sets them all).
/// Without SHOPSTREAM_TEST_BOOTSTRAP the broker found is scripts/test.sh's on its default port, so
/// each missing variable takes that broker's value. A variable still missing, or a listener that
/// does not answer, fails the test: a broker is there, so nothing is skipped.
pub fn secured_broker() -> &'static SecuredBroker {
    static SECURED: OnceLock<Result<SecuredBroker, String>> = OnceLock::new();
    let secured = SECURED.get_or_init(|| {
        let configured = std::env::var("SHOPSTREAM_TEST_BOOTSTRAP")
            .is_ok_and(|servers| !servers.trim().is_empty());
        let mut values = Vec::new();
        for (variable, default) in DEFAULT_SECURED {
            let value = match std::env::var(variable) {
                Ok(value) if !value.trim().is_empty() => value.trim().to_string(),
                _ if !configured => default.to_string(),
                _ => {
                    return Err(format!(
                        "SHOPSTREAM_TEST_BOOTSTRAP is set but {variable} is not: the TLS tests \
                         need the test broker's secured listeners (scripts/test.sh opens them \
                         and sets SHOPSTREAM_TEST_SSL_BOOTSTRAP, SHOPSTREAM_TEST_MTLS_BOOTSTRAP, \
                         SHOPSTREAM_TEST_SASL_SSL_BOOTSTRAP and SHOPSTREAM_TEST_TLS_DIR)"
                    ));
                }
            };
            values.push((variable, value));
        }
        for (variable, servers) in &values[..3] {
            if !answers(servers) {
                return Err(format!(
                    "{variable}={servers}, but nothing answers there: the test broker was \
                     started without its secured listeners (scripts/test.sh opens them)"
                ));
            }
        }
        let (variable, dir) = &values[3];
        let tls_dir = repo_root().join(dir);
        if !tls_dir.join("ca.pem").is_file() {
            return Err(format!(
                "{variable}={dir}, but there is no ca.pem in {} (scripts/kafka-local.sh writes \
                 the certificates there when it starts a broker with secured listeners)",
                tls_dir.display()
            ));
        }
        Ok(SecuredBroker {
            ssl: values[0].1.clone(),
            mtls: values[1].1.clone(),
            sasl_ssl: values[2].1.clone(),
            tls_dir,
        })
    });
    match secured {
        Ok(secured) => secured,
        Err(missing) => panic!("{missing}"),
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{prefix}-{}-{nanos:x}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A fresh set of the three topic names.
#[derive(Debug, Clone)]
pub struct TopicSet {
    pub product_events: String,
    pub purchases: String,
    pub user_events: String,
    /// metrics-consumer --exactly-once's state topic (METRICS_STATE_TOPIC).
    pub state: String,
}

impl TopicSet {
    pub fn new(test: &str) -> TopicSet {
        let base = unique(test);
        TopicSet {
            product_events: format!("{base}-product-events"),
            purchases: format!("{base}-purchases"),
            user_events: format!("{base}-user-events"),
            state: format!("{base}-metrics-state"),
        }
    }

    pub fn names(&self) -> [&str; 3] {
        [&self.product_events, &self.purchases, &self.user_events]
    }

    /// The unique start of the three names: a prefix no other test's topic (or group named
    /// after it) has, e.g. for prefixed ACLs.
    pub fn base(&self) -> &str {
        self.product_events
            .strip_suffix("-product-events")
            .expect("made by TopicSet::new")
    }
}

/// One of the project's binaries, run from the repository root against the test broker, with
/// these topics, without colour and without the caller's Kafka settings leaking in.
pub fn tool(name: &str, topics: &TopicSet) -> Command {
    let mut command = Command::new(binary(name));
    test_env(&mut command, topics);
    command
}

/// Runs `command` from the repository root against the test broker, with these topics, without
/// colour and without the caller's Kafka settings leaking in.
pub fn test_env(command: &mut Command, topics: &TopicSet) {
    command
        .current_dir(repo_root())
        .env("KAFKA_BOOTSTRAP_SERVERS", bootstrap())
        .env("TOPIC_PRODUCT_EVENTS", &topics.product_events)
        .env("TOPIC_PURCHASES", &topics.purchases)
        .env("TOPIC_USER_EVENTS", &topics.user_events)
        .env("METRICS_STATE_TOPIC", &topics.state)
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("TOPIC_PARTITIONS")
        .env_remove("PRODUCT_EVENTS_COUNT")
        .env_remove("PURCHASE_EVENTS_COUNT")
        .env_remove("USER_EVENTS_COUNT")
        .env_remove("EVENT_DELAY_MS")
        .env_remove("TOPIC_REPLICATION_FACTOR")
        .env_remove("TOPIC_MIN_INSYNC_REPLICAS")
        .env_remove("SHOP_USERS")
        .env_remove("SHOP_PRODUCTS");
}

/// The eight binaries, in the README's order.
pub const TOOLS: [&str; 8] = [
    "setup-topics",
    "product-producer",
    "purchase-producer",
    "user-producer",
    "run-multiple-producers",
    "consumer",
    "metrics-consumer",
    "check-truth",
];

pub fn binary(name: &str) -> PathBuf {
    let path = match name {
        "setup-topics" => env!("CARGO_BIN_EXE_setup-topics"),
        "product-producer" => env!("CARGO_BIN_EXE_product-producer"),
        "purchase-producer" => env!("CARGO_BIN_EXE_purchase-producer"),
        "user-producer" => env!("CARGO_BIN_EXE_user-producer"),
        "run-multiple-producers" => env!("CARGO_BIN_EXE_run-multiple-producers"),
        "consumer" => env!("CARGO_BIN_EXE_consumer"),
        "metrics-consumer" => env!("CARGO_BIN_EXE_metrics-consumer"),
        "check-truth" => env!("CARGO_BIN_EXE_check-truth"),
        other => panic!("unknown binary {other}"),
    };
    PathBuf::from(path)
}

/// Waits for a spawned tool and returns its output, failing the test (with its stderr) if it
/// failed; `name` says which in the message.
pub fn finished(child: std::process::Child, name: &str) -> Output {
    let output = child.wait_with_output().expect("it ends");
    assert!(
        output.status.success(),
        "{name} failed with {}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Runs a command and returns its output, failing the test (with both streams) if it failed.
pub fn run_ok(command: &mut Command) -> Output {
    let output = command.output().expect("the binary runs");
    assert!(
        output.status.success(),
        "{command:?} failed with {}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

pub fn stdout_json(output: &Output) -> serde_json::Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// The test's own view of the cluster, independent of the code under test.
pub fn admin_consumer() -> BaseConsumer {
    ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .set("group.id", unique("e2e-inspector"))
        .create()
        .expect("inspector client")
}

/// Partition count of each topic as the broker reports it (None if it does not exist).
pub fn partitions(topics: &[&str]) -> Vec<Option<usize>> {
    let consumer = admin_consumer();
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .expect("metadata");
    topics
        .iter()
        .map(|name| {
            metadata
                .topics()
                .iter()
                .find(|t| t.name() == *name && t.error().is_none())
                .map(|t| t.partitions().len())
        })
        .collect()
}

/// Number of messages in a topic (sum of high watermarks minus low watermarks).
pub fn message_count(topic: &str) -> i64 {
    message_count_at(&bootstrap(), topic)
}

/// [`message_count`] on another broker.
pub fn message_count_at(servers: &str, topic: &str) -> i64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", servers)
        .set("group.id", unique("e2e-inspector"))
        .create()
        .expect("inspector client");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata.topics()[0].partitions().len() as i32;
    (0..partitions)
        .map(|p| {
            let (low, high) = watermarks(&consumer, topic, p);
            high - low
        })
        .sum()
}

/// A partition's low and high watermarks. A new topic's leaders take a moment to be known, and
/// on a cluster a partition's leader moves when a node fails: ask again for a while.
fn watermarks(consumer: &BaseConsumer, topic: &str, partition: i32) -> (i64, i64) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        match consumer.fetch_watermarks(topic, partition, Duration::from_secs(5)) {
            Ok(watermarks) => return watermarks,
            Err(e) if std::time::Instant::now() > deadline => {
                panic!("watermarks of {topic}/{partition}: {e}")
            }
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    }
}

/// Deletes test topics at the end of a test; failures are ignored (the broker is thrown away
/// with the test run anyway).
pub struct Cleanup(pub TopicSet);

impl Drop for Cleanup {
    fn drop(&mut self) {
        delete_topics(&bootstrap(), &self.0);
    }
}

/// [`Cleanup`] on another cluster than the test broker (servers, topics).
pub struct CleanupAt(pub String, pub TopicSet);

impl Drop for CleanupAt {
    fn drop(&mut self) {
        delete_topics(&self.0, &self.1);
    }
}

fn delete_topics(servers: &str, topics: &TopicSet) {
    let admin: Result<rdkafka::admin::AdminClient<rdkafka::client::DefaultClientContext>, _> =
        ClientConfig::new()
            .set("bootstrap.servers", servers)
            .create();
    if let Ok(admin) = admin {
        let [a, b, c] = topics.names();
        let names = [a, b, c, topics.state.as_str()];
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let _ = runtime.block_on(admin.delete_topics(
            &names,
            &rdkafka::admin::AdminOptions::new().operation_timeout(Some(Duration::from_secs(5))),
        ));
    }
}

pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// A message as read back from Kafka.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    pub payload: Vec<u8>,
    /// Headers as (name, value as text).
    pub headers: Vec<(String, String)>,
}

/// Every message now in `topic`, partition by partition in offset order.
pub fn read_topic(topic: &str) -> Vec<Record> {
    read_topic_at(&bootstrap(), topic)
}

/// [`read_topic`] on another broker.
pub fn read_topic_at(servers: &str, topic: &str) -> Vec<Record> {
    use rdkafka::Offset;
    use rdkafka::message::Message;
    use rdkafka::topic_partition_list::TopicPartitionList;

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", servers)
        .set("group.id", unique("e2e-reader"))
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "false")
        .create()
        .expect("reader");
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .expect("metadata");
    let partitions = metadata.topics()[0].partitions().len() as i32;
    let mut records = Vec::new();
    for partition in 0..partitions {
        let (low, high) = watermarks(&consumer, topic, partition);
        if high <= low {
            continue;
        }
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, partition, Offset::Offset(low))
            .unwrap();
        consumer.assign(&assignment).unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let mut next = low;
        while next < high {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out reading {topic}/{partition}"
            );
            if let Some(message) = consumer.poll(Duration::from_millis(200)) {
                // Errors here are the client's news (a node down, a leader moving): it retries,
                // and the deadline bounds the wait.
                let message = match message {
                    Ok(message) => message,
                    Err(error) => {
                        eprintln!("reading {topic}/{partition}: {error}");
                        continue;
                    }
                };
                next = message.offset() + 1;
                use rdkafka::message::Headers;
                let headers = message
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                                (h.key.to_string(), value.into_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                records.push(Record {
                    partition,
                    offset: message.offset(),
                    key: message.key().map(<[u8]>::to_vec),
                    payload: message.payload().unwrap_or_default().to_vec(),
                    headers,
                });
            }
        }
    }
    records
}

/// Decodes every record of a topic, checking it is valid for that topic and keyed by user_id.
pub fn decode_topic(
    records: &[Record],
    kind: shopstream_core::TopicKind,
) -> Vec<shopstream_core::Event<'static>> {
    records
        .iter()
        .map(|record| {
            let event = shopstream_core::decode(&record.payload, Some(kind)).unwrap_or_else(|e| {
                panic!(
                    "invalid event in {kind}: {e}: {}",
                    String::from_utf8_lossy(&record.payload)
                )
            });
            assert_eq!(
                record.key.as_deref(),
                Some(event.user_id.as_bytes()),
                "key is the user_id"
            );
            event.into_owned()
        })
        .collect()
}

/// Fresh topics (deleted when the returned guard drops) holding a seeded launcher run of
/// (product events, purchases, user events).
pub fn topics_with_events(test: &str, seed: u64, counts: (u64, u64, u64)) -> (TopicSet, Cleanup) {
    let topics = TopicSet::new(test);
    let cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let (product_events, purchases, user_events) = counts;
    run_ok(tool("run-multiple-producers", &topics).args([
        "--rate".to_string(),
        "0".to_string(),
        "--quiet".to_string(),
        "--seed".to_string(),
        seed.to_string(),
        "--product-events".to_string(),
        product_events.to_string(),
        "--purchases".to_string(),
        purchases.to_string(),
        "--user-events".to_string(),
        user_events.to_string(),
    ]));
    (topics, cleanup)
}

/// Creates the topics with setup-topics (3 partitions).
pub fn create_topics(topics: &TopicSet) {
    run_ok(tool("setup-topics", topics).args(["--partitions", "3"]));
}

/// The acknowledged count of `topic` in a producer's summary table.
/// Asserts that a launcher's summary (its stdout) acknowledged these counts of product events,
/// purchases and user events.
pub fn assert_acknowledged(output: &Output, topics: &TopicSet, counts: (u64, u64, u64)) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    for (topic, count) in [
        (&topics.product_events, counts.0),
        (&topics.purchases, counts.1),
        (&topics.user_events, counts.2),
    ] {
        assert_eq!(acknowledged_in_summary(&stdout, topic), count, "{stdout}");
    }
}

pub fn acknowledged_in_summary(stdout: &str, topic: &str) -> u64 {
    let row = stdout
        .lines()
        .find(|line| line.split_whitespace().next() == Some(topic))
        .unwrap_or_else(|| panic!("no summary row for {topic} in:\n{stdout}"));
    let columns: Vec<&str> = row.split_whitespace().collect();
    columns[2]
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("bad row {row}"))
}

/// Writes raw messages (key, value) to a topic, as a misbehaving producer might.
pub fn write_raw(topic: &str, messages: &[(&str, Option<&[u8]>)]) {
    use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap())
        .create()
        .expect("producer");
    for (key, value) in messages {
        let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(topic).key(*key);
        if let Some(value) = value {
            record = record.payload(*value);
        }
        producer.send(record).map_err(|(e, _)| e).expect("send");
    }
    producer.flush(Duration::from_secs(10)).expect("flush");
}

/// The JSON lines a tool printed.
pub fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect()
}

/// A free TCP port on 127.0.0.1 (bound and released: good enough for a test broker).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A broker of a test's own, started with scripts/kafka-local.sh, for tests that kill it or need a
/// SASL listener. Stopped (killed) when dropped.
pub struct LocalBroker {
    pub port: u16,
    pub sasl_port: Option<u16>,
    controller_port: u16,
    dir: tempfile::TempDir,
}

pub const SASL_USER: &str = "shopper";
pub const SASL_PASSWORD: &str = "Sup3r-s3cret-pa55word";

impl LocalBroker {
    pub fn start(with_sasl: bool) -> LocalBroker {
        let broker = LocalBroker {
            port: free_port(),
            sasl_port: with_sasl.then(free_port),
            controller_port: free_port(),
            dir: tempfile::tempdir().unwrap(),
        };
        broker.script("start");
        broker
    }

    pub fn bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn sasl_bootstrap(&self) -> String {
        format!("127.0.0.1:{}", self.sasl_port.expect("started with SASL"))
    }

    /// SIGKILL: a crash, no clean shutdown.
    pub fn kill(&self) {
        self.script("kill");
    }

    pub fn restart(&self) {
        self.script("start");
    }

    /// Where the broker keeps its state.
    pub fn state_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `scripts/kafka-local.sh ACTION` for this broker, whatever its exit code.
    pub fn script_output(&self, action: &str) -> Output {
        self.command(action).output().expect("kafka-local.sh runs")
    }

    fn script(&self, action: &str) {
        run_ok(&mut self.command(action));
    }

    fn command(&self, action: &str) -> Command {
        let mut command = Command::new(repo_root().join("scripts/kafka-local.sh"));
        command
            .arg(action)
            .env("KAFKA_LOCAL_PORT", self.port.to_string())
            .env(
                "KAFKA_LOCAL_CONTROLLER_PORT",
                self.controller_port.to_string(),
            )
            .env("KAFKA_LOCAL_DIR", self.dir.path())
            .env("KAFKA_LOCAL_HEAP", "512m")
            // Only what this broker asks for: none of the test broker's secured listeners.
            .env_remove("KAFKA_LOCAL_SASL_PORT")
            .env_remove("KAFKA_LOCAL_SSL_PORT")
            .env_remove("KAFKA_LOCAL_MTLS_PORT")
            .env_remove("KAFKA_LOCAL_SASL_SSL_PORT")
            .env_remove("KAFKA_LOCAL_ACLS")
            .env(
                "KAFKA_LOCAL_SASL_USERS",
                format!("{SASL_USER}={SASL_PASSWORD}"),
            );
        if let Some(port) = self.sasl_port {
            command.env("KAFKA_LOCAL_SASL_PORT", port.to_string());
        }
        command
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.script("kill")));
    }
}

/// What a tool says when `topic` is not on the test broker.
pub fn missing_topic_error(topic: &str) -> String {
    format!(
        "error: topic {topic} does not exist on {} (run setup-topics to create it)",
        bootstrap()
    )
}

/// stderr of a failed run, checked to be exactly one line starting with "error: ".
pub fn one_error_line(output: &Output) -> String {
    assert!(
        !output.status.success(),
        "should have failed: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr)
        .trim_end()
        .to_string();
    assert_eq!(stderr.lines().count(), 1, "one line, not: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

/// The engine's report over everything now in the three topics (computed here, independently
/// of the binary under test).
pub fn expected_report(topics: &TopicSet) -> serde_json::Value {
    expected_report_at(&bootstrap(), topics)
}

/// [`expected_report`] of the topics on `servers`.
pub fn expected_report_at(servers: &str, topics: &TopicSet) -> serde_json::Value {
    let mut engine = shopstream_core::metrics::MetricsEngine::new();
    for (kind, topic) in [
        (
            shopstream_core::TopicKind::ProductEvents,
            &topics.product_events,
        ),
        (shopstream_core::TopicKind::Purchases, &topics.purchases),
        (shopstream_core::TopicKind::UserEvents, &topics.user_events),
    ] {
        for record in read_topic_at(servers, topic) {
            match shopstream_core::decode(&record.payload, Some(kind)) {
                Ok(event) => engine.record(&event),
                Err(reason) => engine.record_rejected(&reason),
            }
        }
    }
    serde_json::to_value(engine.report()).unwrap()
}
