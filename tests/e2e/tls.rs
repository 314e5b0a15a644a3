//! Secured connections, on the test broker's SSL, mutual-TLS and SASL_SSL listeners (scripts/test.sh
//! opens them, with ACLs enforced; see util::secured_broker): every binary works over each of them,
//! every way of getting it wrong ends at once with one clear line, the secrets are never shown
//! (with -v too), and a user without an ACL is refused exactly what it may not do. And compressed
//! events (zstd, lz4) read back exactly.
//!
//! Each test has topics and consumer groups of its own and grants the principals it uses ACLs on
//! them alone (Kafka's AclCommand over the plaintext listener, whose User:ANONYMOUS is a super
//! user; one JVM start of a few seconds per grant, so few grants), so the tests run in parallel on
//! the one broker. Run with `-- --nocapture` to see each failure's actual message and timing.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// scripts/test.sh creates these SCRAM users (KAFKA_LOCAL_SCRAM_USERS) and encrypts
/// tls/client-encrypted.key with this password (KAFKA_LOCAL_CLIENT_KEY_PASSWORD).
const SCRAM_USER: &str = "shopstream";
const SCRAM_PASSWORD: &str = "shopstream-secret";
const LIMITED_USER: &str = "limited";
const LIMITED_PASSWORD: &str = "limited-secret";
const CLIENT_KEY_PASSWORD: &str = "client-key-secret";
const SECRETS: [&str; 3] = [SCRAM_PASSWORD, LIMITED_PASSWORD, CLIENT_KEY_PASSWORD];

/// The connect timeout the failure cases pass, and the time within which they must end: each
/// problem is known at the first connection attempt, so waiting out the timeout is a failure.
const CONNECT_TIMEOUT: &str = "10s";
const FAIL_WITHIN: Duration = Duration::from_secs(8);

/// Settings that must not leak in from the caller's environment.
const CONNECTION_SETTINGS: [&str; 10] = [
    "KAFKA_SECURITY_PROTOCOL",
    "KAFKA_SSL_CA_LOCATION",
    "KAFKA_SSL_CERTIFICATE_LOCATION",
    "KAFKA_SSL_KEY_LOCATION",
    "KAFKA_SSL_KEY_PASSWORD",
    "KAFKA_SSL_ENDPOINT_IDENTIFICATION_ALGORITHM",
    "KAFKA_SASL_MECHANISM",
    "KAFKA_SASL_USERNAME",
    "KAFKA_SASL_PASSWORD",
    "KAFKA_COMPRESSION_TYPE",
];

/// Where and how a client connects: a bootstrap address and KAFKA_* settings.
#[derive(Debug, Clone)]
struct Connection {
    bootstrap: String,
    settings: Vec<(&'static str, String)>,
}

impl Connection {
    fn plaintext(bootstrap: &str) -> Connection {
        Connection {
            bootstrap: bootstrap.to_string(),
            settings: Vec::new(),
        }
    }

    /// SSL to `bootstrap`, trusting the CA in this file of the TLS folder.
    fn ssl(bootstrap: &str, ca: &str) -> Connection {
        Connection::plaintext(bootstrap)
            .with("KAFKA_SECURITY_PROTOCOL", "SSL")
            .with("KAFKA_SSL_CA_LOCATION", &secured_broker().file(ca))
    }

    /// Mutual TLS: SSL to the MTLS listener with this certificate and key (files of the TLS
    /// folder).
    fn mtls(certificate: &str, key: &str) -> Connection {
        let broker = secured_broker();
        Connection::ssl(&broker.mtls, "ca.pem")
            .with("KAFKA_SSL_CERTIFICATE_LOCATION", &broker.file(certificate))
            .with("KAFKA_SSL_KEY_LOCATION", &broker.file(key))
    }

    /// SASL_SSL with SCRAM-SHA-512.
    fn scram(user: &str, password: &str) -> Connection {
        Connection::ssl(&secured_broker().sasl_ssl, "ca.pem")
            .with("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
            .with("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512")
            .with("KAFKA_SASL_USERNAME", user)
            .with("KAFKA_SASL_PASSWORD", password)
    }

    fn with(mut self, setting: &'static str, value: &str) -> Connection {
        self.settings.retain(|(name, _)| *name != setting);
        self.settings.push((setting, value.to_string()));
        self
    }

    /// `binary` on these topics, connecting this way.
    fn tool(&self, binary: &str, topics: &TopicSet) -> Command {
        let mut command = tool(binary, topics);
        for setting in CONNECTION_SETTINGS {
            command.env_remove(setting);
        }
        command.env("KAFKA_BOOTSTRAP_SERVERS", &self.bootstrap);
        for (setting, value) in &self.settings {
            command.env(setting, value);
        }
        command
    }
}

/// Grants ACLs with Kafka's AclCommand over the plaintext listener (User:ANONYMOUS is a super
/// user there): `args` after `--add`. One JVM start, a few seconds.
fn grant(args: &[&str]) {
    let started = Instant::now();
    let mut command = Command::new(repo_root().join("scripts/kafka-local.sh"));
    command
        .args(["run-class", "org.apache.kafka.tools.AclCommand"])
        .args(["--bootstrap-server", &bootstrap(), "--add"])
        .args(args);
    run_ok(&mut command);
    eprintln!("granted {args:?} in {:?}", started.elapsed());
}

/// Every right on the topics and consumer groups whose names start with this test's topic base.
fn grant_all_under(principal: &str, topics: &TopicSet) {
    let prefix = format!("{}-", topics.base());
    grant(&[
        "--allow-principal",
        &format!("User:{principal}"),
        "--operation",
        "All",
        "--resource-pattern-type",
        "prefixed",
        "--topic",
        &prefix,
        "--group",
        &prefix,
    ]);
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// None of the test's passwords appears on stdout or stderr.
fn assert_no_secret(what: &str, output: &Output) {
    for stream in [&output.stdout, &output.stderr] {
        let shown = String::from_utf8_lossy(stream);
        for secret in SECRETS {
            assert!(
                !shown.contains(secret),
                "{what} shows the secret {secret:?}:\n{shown}"
            );
        }
    }
}

/// Every binary, with -v, over `connection`: setup-topics, the three producers, the launcher,
/// then consumer and metrics-consumer read all 145 events back; the counts are checked against
/// the broker (read over plaintext) and no secret is shown.
fn every_binary_works(connection: &Connection, topics: &TopicSet) {
    let base = topics.base();
    let run = |binary: &str, args: &[&str]| -> Output {
        let mut command = connection.tool(binary, topics);
        command.args(args).arg("-v");
        let started = Instant::now();
        let output = run_ok(&mut command);
        eprintln!(
            "{binary} over {} in {:?}",
            connection.bootstrap,
            started.elapsed()
        );
        assert_no_secret(binary, &output);
        output
    };
    run("setup-topics", &["--partitions", "2"]);
    assert_eq!(partitions(&topics.names()), [Some(2); 3]);
    for (binary, topic, count) in [
        ("product-producer", &topics.product_events, 30),
        ("purchase-producer", &topics.purchases, 10),
        ("user-producer", &topics.user_events, 20),
    ] {
        let output = run(binary, &["--count", &count.to_string(), "--rate", "0"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(acknowledged_in_summary(&stdout, topic), count, "{stdout}");
    }
    let output = run(
        "run-multiple-producers",
        &[
            "--rate",
            "0",
            "--product-events",
            "40",
            "--purchases",
            "15",
            "--user-events",
            "30",
        ],
    );
    assert_acknowledged(&output, topics, (40, 15, 30));
    for (topic, count) in [
        (&topics.product_events, 70),
        (&topics.purchases, 25),
        (&topics.user_events, 50),
    ] {
        assert_eq!(message_count(topic), count, "{topic}");
    }

    let read = [
        "--from-beginning",
        "--max-messages",
        "145",
        "--timeout",
        "10s",
    ];
    let output = run(
        "consumer",
        &[
            &read[..],
            &["--json", "--group", &format!("{base}-consumer")],
        ]
        .concat(),
    );
    let lines = json_lines(&output);
    assert_eq!(lines.len(), 145, "{}", text(&output));
    assert!(lines.iter().all(|l| l["event"].is_object()), "{lines:?}");
    let output = run(
        "metrics-consumer",
        &[
            &read[..],
            &["--json", "--group", &format!("{base}-metrics")],
        ]
        .concat(),
    );
    let report = json_lines(&output).pop().expect("a final report");
    assert_eq!(report["report"], "final", "{report}");
    assert_eq!(report["events"], 145, "{report}");
    assert_eq!(report["rejected"], 0, "{report}");
}

#[test]
fn every_binary_works_over_ssl_verifying_the_broker() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("tls-ssl");
    let _cleanup = Cleanup(topics.clone());
    // No client certificate: the principal is User:ANONYMOUS, a super user of the test broker.
    every_binary_works(&Connection::ssl(&secured_broker().ssl, "ca.pem"), &topics);
}

#[test]
fn every_binary_works_over_mutual_tls_also_with_an_encrypted_key() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("tls-mtls");
    let _cleanup = Cleanup(topics.clone());
    grant_all_under("client", &topics);
    every_binary_works(&Connection::mtls("client.pem", "client.key"), &topics);

    // The same identity from the encrypted key and its password (never shown).
    let encrypted = Connection::mtls("client.pem", "client-encrypted.key")
        .with("KAFKA_SSL_KEY_PASSWORD", CLIENT_KEY_PASSWORD);
    let output = run_ok(
        encrypted
            .tool("product-producer", &topics)
            .args(["--count", "5", "--rate", "0", "-v"]),
    );
    assert_no_secret("product-producer", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        acknowledged_in_summary(&stdout, &topics.product_events),
        5,
        "{stdout}"
    );
    let output = run_ok(encrypted.tool("metrics-consumer", &topics).args([
        "--from-beginning",
        "--max-messages",
        "150",
        "--timeout",
        "10s",
        "--json",
        "--group",
        &format!("{}-encrypted", topics.base()),
        "-v",
    ]));
    assert_no_secret("metrics-consumer", &output);
    let report = json_lines(&output).pop().expect("a final report");
    assert_eq!(report["events"], 150, "{report}");
}

#[test]
fn every_binary_works_over_sasl_ssl_with_scram_sha_512() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("tls-scram");
    let _cleanup = Cleanup(topics.clone());
    grant_all_under(SCRAM_USER, &topics);
    every_binary_works(&Connection::scram(SCRAM_USER, SCRAM_PASSWORD), &topics);
}

/// What a failure's one line must say.
#[derive(Debug, Clone, Copy)]
enum Says {
    /// It is about the certificate (unknown CA, hostname, client certificate).
    Certificate,
    /// It is an authentication failure.
    Authentication,
    /// It names the security protocol, TLS or SSL (the protocol does not match the port).
    Protocol,
}

impl Says {
    fn check(self, line: &str) -> Result<(), String> {
        // librdkafka's broker names ("ssl://127.0.0.1:9093/bootstrap") say nothing by themselves.
        let lower = line.to_lowercase().replace("ssl://", "://");
        let ok = match self {
            Says::Certificate => lower.contains("certificate"),
            Says::Authentication => lower.contains("authentication"),
            Says::Protocol => ["tls", "ssl", "security protocol", "security_protocol"]
                .iter()
                .any(|word| lower.contains(word)),
        };
        if ok {
            Ok(())
        } else {
            Err(format!("does not say what went wrong ({self:?})"))
        }
    }
}

/// The seven binaries, each with arguments that would make it work against a good connection.
fn every_binary_args(topics: &TopicSet) -> Vec<(&'static str, Vec<String>)> {
    let group = format!("{}-group", topics.base());
    let consume = [
        "--from-beginning",
        "--max-messages",
        "1",
        "--timeout",
        "5s",
        "--json",
        "--group",
        &group,
    ];
    let strings = |args: &[&str]| args.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        ("setup-topics", strings(&["--partitions", "1"])),
        (
            "product-producer",
            strings(&["--count", "5", "--rate", "0"]),
        ),
        (
            "purchase-producer",
            strings(&["--count", "5", "--rate", "0"]),
        ),
        ("user-producer", strings(&["--count", "5", "--rate", "0"])),
        (
            "run-multiple-producers",
            strings(&[
                "--rate",
                "0",
                "--product-events",
                "5",
                "--purchases",
                "2",
                "--user-events",
                "3",
            ]),
        ),
        ("consumer", strings(&consume)),
        ("metrics-consumer", strings(&consume)),
    ]
}

/// One run of a binary: its output and how long it took.
struct Run {
    binary: &'static str,
    output: Output,
    elapsed: Duration,
}

/// Runs the commands at the same time (a failure case costs one connect timeout at most).
fn run_together(commands: Vec<(&'static str, Command)>) -> Vec<Run> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = commands
            .into_iter()
            .map(|(binary, mut command)| {
                scope.spawn(move || {
                    let started = Instant::now();
                    let output = command.output().expect("the binary runs");
                    Run {
                        binary,
                        output,
                        elapsed: started.elapsed(),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Every binary fails over `connection`: a non-zero exit within [`FAIL_WITHIN`] (with
/// --connect-timeout 10s), exactly one line on stderr, `error: ...`, saying what went wrong; and
/// with -v, no secret is shown. Each actual message is printed (cargo test -- --nocapture).
fn every_binary_fails(case: &str, connection: &Connection, says: Says) {
    let topics = TopicSet::new(&format!("tls-fail-{case}"));
    let mut commands = Vec::new();
    for verbose in [false, true] {
        for (binary, args) in every_binary_args(&topics) {
            let mut command = connection.tool(binary, &topics);
            command
                .args(args)
                .args(["--connect-timeout", CONNECT_TIMEOUT]);
            if verbose {
                command.arg("-v");
            }
            commands.push((binary, command));
        }
    }
    let runs = run_together(commands);
    let (quiet, verbose) = runs.split_at(runs.len() / 2);
    let mut problems = Vec::new();
    for run in quiet {
        let stderr = String::from_utf8_lossy(&run.output.stderr);
        let stderr = stderr.trim_end();
        eprintln!(
            "[{case}] {} exit {:?} after {:.1?}: {stderr}",
            run.binary,
            run.output.status.code(),
            run.elapsed
        );
        let mut fault = |what: String| problems.push(format!("[{case}] {}: {what}", run.binary));
        if run.output.status.success() {
            fault(format!("succeeded\n{}", text(&run.output)));
            continue;
        }
        if run.elapsed >= FAIL_WITHIN {
            fault(format!(
                "took {:.1?}, not under {FAIL_WITHIN:?} (--connect-timeout {CONNECT_TIMEOUT})",
                run.elapsed
            ));
        }
        if stderr.lines().count() != 1 || !stderr.starts_with("error: ") {
            fault(format!("not one `error: ` line on stderr:\n{stderr}"));
            continue;
        }
        if let Err(what) = says.check(stderr) {
            fault(format!("{what}: {stderr}"));
        }
    }
    for run in verbose {
        assert!(!run.output.status.success(), "{}", text(&run.output));
        assert_no_secret(&format!("[{case}] {} -v", run.binary), &run.output);
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn an_unknown_certificate_authority_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    // The broker's certificate is not signed by other-ca.pem.
    every_binary_fails(
        "unknown-ca",
        &Connection::ssl(&secured_broker().ssl, "other-ca.pem"),
        Says::Certificate,
    );
}

#[test]
fn a_hostname_not_in_the_certificate_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    // 127.1 is 127.0.0.1, but the broker's certificate names only localhost and 127.0.0.1.
    let port = secured_broker().ssl.rsplit(':').next().unwrap();
    every_binary_fails(
        "hostname",
        &Connection::ssl(&format!("127.1:{port}"), "ca.pem"),
        Says::Certificate,
    );
}

#[test]
fn a_client_certificate_of_another_authority_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    every_binary_fails(
        "wrong-client-cert",
        &Connection::mtls("other-client.pem", "other-client.key"),
        Says::Certificate,
    );
}

#[test]
fn no_client_certificate_where_one_is_required_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    every_binary_fails(
        "no-client-cert",
        &Connection::ssl(&secured_broker().mtls, "ca.pem"),
        Says::Certificate,
    );
}

#[test]
fn a_wrong_scram_password_fails_at_once_without_showing_either_password() {
    if skip_without_broker() {
        return;
    }
    // The wrong password is one of the secrets too: limited's, for the user shopstream.
    every_binary_fails(
        "wrong-password",
        &Connection::scram(SCRAM_USER, LIMITED_PASSWORD),
        Says::Authentication,
    );
}

#[test]
fn ssl_spoken_to_the_plaintext_port_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    every_binary_fails(
        "ssl-to-plaintext",
        &Connection::ssl(&bootstrap(), "ca.pem"),
        Says::Protocol,
    );
}

#[test]
fn plaintext_spoken_to_the_ssl_port_fails_at_once() {
    if skip_without_broker() {
        return;
    }
    // librdkafka reports either the hang-up during the ApiVersion request or only "brokers are
    // down"; both end the wait within seconds, and both lines name TLS and KAFKA_SECURITY_PROTOCOL.
    every_binary_fails(
        "plaintext-to-ssl",
        &Connection::plaintext(&secured_broker().ssl),
        Says::Protocol,
    );
}

/// `binary` run as the SCRAM user limited, with --connect-timeout: its output and time taken,
/// printed (cargo test -- --nocapture).
fn run_limited(binary: &'static str, topics: &TopicSet, args: &[&str]) -> Run {
    let mut command = Connection::scram(LIMITED_USER, LIMITED_PASSWORD).tool(binary, topics);
    command
        .args(args)
        .args(["--connect-timeout", CONNECT_TIMEOUT]);
    let started = Instant::now();
    let output = command.output().expect("the binary runs");
    let elapsed = started.elapsed();
    eprintln!(
        "[acl] {binary} {args:?} exit {:?} after {elapsed:.1?}:\n{}",
        output.status.code(),
        text(&output)
    );
    assert!(!output.status.success(), "{binary} was not refused");
    assert_no_secret(binary, &output);
    Run {
        binary,
        output,
        elapsed,
    }
}

/// The last line on stderr of a refused run says `says`, within [`FAIL_WITHIN`]; and is the only
/// line unless the run was with -v. Else what is wrong.
fn refusal(run: &Run, says: &str, verbose: bool) -> Result<(), String> {
    let stderr = String::from_utf8_lossy(&run.output.stderr);
    let stderr = stderr.trim_end();
    let last = stderr.lines().last().unwrap_or_default();
    let mut wrong = Vec::new();
    if !verbose && stderr.lines().count() != 1 {
        wrong.push("not one line on stderr".to_string());
    }
    if !last.starts_with("error: ") {
        wrong.push("no `error: ` line last on stderr".to_string());
    }
    if !last.contains(says) {
        wrong.push(format!("does not say `{says}`"));
    }
    if run.elapsed >= FAIL_WITHIN {
        wrong.push(format!("took {:.1?}", run.elapsed));
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(format!("{}: {}: {last}", run.binary, wrong.join(", ")))
    }
}

/// run-multiple-producers as limited, who may not write purchases: refused (wrong messages are
/// returned), nothing acknowledged for purchases, and every event acknowledged for the other two
/// topics is in them (read back over plaintext).
fn launcher_is_refused_purchases(topics: &TopicSet) -> Vec<String> {
    let launcher = run_limited(
        "run-multiple-producers",
        topics,
        &[
            "--rate",
            "0",
            "--product-events",
            "40",
            "--purchases",
            "15",
            "--user-events",
            "30",
        ],
    );
    let may_not_write = format!("not authorized to write {}", topics.purchases);
    let wrong = refusal(&launcher, &may_not_write, false).err();
    // Refused before it starts, the launcher prints no summary: nothing is acknowledged, and so
    // nothing may be in the topics.
    let stdout = String::from_utf8_lossy(&launcher.output.stdout);
    let acknowledged = |topic: &str| {
        let in_summary = stdout
            .lines()
            .any(|line| line.split_whitespace().next() == Some(topic));
        if in_summary {
            acknowledged_in_summary(&stdout, topic)
        } else {
            0
        }
    };
    assert_eq!(acknowledged(&topics.purchases), 0, "{stdout}");
    assert_eq!(message_count(&topics.purchases), 0);
    for topic in [&topics.product_events, &topics.user_events] {
        eprintln!("[acl] {topic}: {} acknowledged", acknowledged(topic));
        assert_eq!(
            message_count(topic),
            acknowledged(topic) as i64,
            "{topic}: {stdout}"
        );
    }
    wrong.into_iter().collect()
}

#[test]
fn a_user_without_an_acl_on_purchases_is_refused_it_and_nothing_is_lost_elsewhere() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("tls-acl");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let group = format!("{}-limited", topics.base());
    // limited may write (and read) product-events and user-events, and use its group; it has no
    // ACL at all on purchases. (All: one AclCommand for topics and group alike.)
    grant(&[
        "--allow-principal",
        &format!("User:{LIMITED_USER}"),
        "--operation",
        "All",
        "--topic",
        &topics.product_events,
        "--topic",
        &topics.user_events,
        "--group",
        &group,
    ]);
    let may_not_write = format!("not authorized to write {}", topics.purchases);
    let mut wrong = launcher_is_refused_purchases(&topics);

    // The single producer, with -v: the same refusal, last, and still no password.
    let producer = run_limited(
        "purchase-producer",
        &topics,
        &["--count", "5", "--rate", "0", "-v"],
    );
    wrong.extend(refusal(&producer, &may_not_write, true).err());
    assert_eq!(message_count(&topics.purchases), 0);

    // Reading purchases, in a group it may use: refused too.
    let consumer = run_limited(
        "consumer",
        &topics,
        &[
            "--topics",
            "purchases",
            "--from-beginning",
            "--timeout",
            "5s",
            "--group",
            &group,
        ],
    );
    let may_not_read = format!("not authorized to read {}", topics.purchases);
    wrong.extend(refusal(&consumer, &may_not_read, false).err());

    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_user_who_may_see_purchases_but_not_write_it_is_refused_while_writing() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("tls-acl-describe");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    // limited sees purchases (Describe), so the refusal comes only from the writes themselves,
    // while the launcher writes the other two topics.
    let limited = format!("User:{LIMITED_USER}");
    std::thread::scope(|scope| {
        scope.spawn(|| {
            grant(&[
                "--allow-principal",
                &limited,
                "--operation",
                "All",
                "--topic",
                &topics.product_events,
                "--topic",
                &topics.user_events,
            ])
        });
        scope.spawn(|| {
            grant(&[
                "--allow-principal",
                &limited,
                "--operation",
                "Describe",
                "--topic",
                &topics.purchases,
            ])
        });
    });
    let wrong = launcher_is_refused_purchases(&topics);
    // Nothing lost for the topics it may write: all of them written.
    assert_eq!(message_count(&topics.product_events), 40);
    assert_eq!(message_count(&topics.user_events), 30);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The compression codec of every record batch in the broker's log files of `topic` (from the
/// batch header's attributes: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd), with its record count;
/// read from disk, independently of any Kafka client.
fn batches_on_disk(topic: &str) -> Vec<(u16, u64)> {
    // The broker's state folder holds tls/ and data/ (scripts/kafka-local.sh).
    let data = secured_broker()
        .tls_dir
        .parent()
        .expect("the TLS folder is in the broker's state folder")
        .join("data");
    assert!(data.is_dir(), "no broker data folder {}", data.display());
    let mut batches = Vec::new();
    for entry in std::fs::read_dir(&data).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let is_partition = name
            .strip_prefix(topic)
            .and_then(|rest| rest.strip_prefix('-'))
            .is_some_and(|p| p.parse::<u32>().is_ok());
        if !is_partition {
            continue;
        }
        for file in std::fs::read_dir(&dir).unwrap() {
            let file = file.unwrap().path();
            if file.extension().is_some_and(|e| e == "log") {
                batches.extend(batches_in(&file));
            }
        }
    }
    batches
}

/// (codec, records) of each record batch (format v2) of one log segment.
fn batches_in(segment: &Path) -> Vec<(u16, u64)> {
    let bytes = std::fs::read(segment).unwrap();
    let mut batches = Vec::new();
    let mut at = 0;
    while at + 61 <= bytes.len() {
        let int = |offset: usize| {
            i32::from_be_bytes(bytes[at + offset..at + offset + 4].try_into().unwrap())
        };
        let length = int(8) as usize;
        assert_eq!(
            bytes[at + 16],
            2,
            "record batch v2 in {}",
            segment.display()
        );
        let attributes = u16::from_be_bytes([bytes[at + 21], bytes[at + 22]]);
        batches.push((attributes & 0x7, int(57) as u64));
        at += 12 + length;
    }
    batches
}

/// A producer and the launcher with KAFKA_COMPRESSION_TYPE=`codec` write events that are stored
/// compressed with it, and that consumer --json and metrics-consumer read back exactly.
fn compressed_events_read_back_exactly(codec: &str, codec_id: u16) {
    let topics = TopicSet::new(&format!("compressed-{codec}"));
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    produce_compressed(&topics, codec);
    assert_stored_compressed(&topics, codec_id);
    assert_consumer_prints_what_is_stored(&topics);
    assert_metrics_are_the_engines_over_what_is_stored(&topics);
}

/// 300 events from a producer and 700 from the launcher, with KAFKA_COMPRESSION_TYPE=`codec`.
fn produce_compressed(topics: &TopicSet, codec: &str) {
    let compressed = Connection::plaintext(&bootstrap()).with("KAFKA_COMPRESSION_TYPE", codec);
    let output = run_ok(
        compressed
            .tool("product-producer", topics)
            .args(["--count", "300", "--rate", "0"]),
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        acknowledged_in_summary(&stdout, &topics.product_events),
        300
    );
    let output = run_ok(compressed.tool("run-multiple-producers", topics).args([
        "--rate",
        "0",
        "--seed",
        "11",
        "--product-events",
        "400",
        "--purchases",
        "100",
        "--user-events",
        "200",
    ]));
    assert_acknowledged(&output, topics, (400, 100, 200));
}

/// Every batch of several events on disk has the codec, and together the batches hold every
/// event. librdkafka sends a batch as it is when compressing would not make it smaller, which
/// happens to a lone small event.
fn assert_stored_compressed(topics: &TopicSet, codec_id: u16) {
    for (topic, count) in [
        (&topics.product_events, 700),
        (&topics.purchases, 100),
        (&topics.user_events, 200),
    ] {
        let batches = batches_on_disk(topic);
        assert!(
            batches
                .iter()
                .all(|&(codec, records)| codec == codec_id || (codec == 0 && records == 1)),
            "{topic}: batches (codec, records) {batches:?}, a batch of several events not codec {codec_id}"
        );
        assert!(
            batches.iter().any(|&(codec, _)| codec == codec_id),
            "{topic}: batches (codec, records) {batches:?}, none codec {codec_id}"
        );
        let records: u64 = batches.iter().map(|(_, records)| records).sum();
        assert_eq!(records, count, "{topic}: {batches:?}");
    }
}

/// consumer --json prints exactly what is stored, each event at its place.
fn assert_consumer_prints_what_is_stored(topics: &TopicSet) {
    let output = run_ok(tool("consumer", topics).args([
        "--json",
        "--from-beginning",
        "--max-messages",
        "1000",
        "--timeout",
        "10s",
        "--group",
        &format!("{}-consumer", topics.base()),
    ]));
    let place = |topic: &str, partition: i64, offset: i64, event: Value| {
        (topic.to_string(), partition, offset, event)
    };
    let mut printed: Vec<_> = json_lines(&output)
        .into_iter()
        .map(|l| {
            place(
                l["topic"].as_str().unwrap(),
                l["partition"].as_i64().unwrap(),
                l["offset"].as_i64().unwrap(),
                l["event"].clone(),
            )
        })
        .collect();
    let mut stored = Vec::new();
    for topic in topics.names() {
        for record in read_topic(topic) {
            let event: Value = serde_json::from_slice(&record.payload).unwrap();
            stored.push(place(
                topic,
                i64::from(record.partition),
                record.offset,
                event,
            ));
        }
    }
    assert_eq!(stored.len(), 1000);
    printed.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    stored.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));
    assert!(
        printed == stored,
        "consumer --json differs from the stored events"
    );
}

/// metrics-consumer's figures are the engine's over the stored events.
fn assert_metrics_are_the_engines_over_what_is_stored(topics: &TopicSet) {
    let output = run_ok(tool("metrics-consumer", topics).args([
        "--json",
        "--from-beginning",
        "--max-messages",
        "1000",
        "--timeout",
        "10s",
        "--group",
        &format!("{}-metrics", topics.base()),
    ]));
    let mut report = json_lines(&output).pop().expect("a final report");
    assert_eq!(report["report"], "final", "{report}");
    assert_eq!(report["events"], 1000, "{report}");
    let figures = report.as_object_mut().unwrap();
    for key in ["report", "group", "lag"] {
        figures.remove(key);
    }
    assert_eq!(report, expected_report(topics));
}

#[test]
fn zstd_compressed_events_read_back_exactly() {
    if skip_without_broker() {
        return;
    }
    compressed_events_read_back_exactly("zstd", 4);
}

#[test]
fn lz4_compressed_events_read_back_exactly() {
    if skip_without_broker() {
        return;
    }
    compressed_events_read_back_exactly("lz4", 3);
}
