//! Authentication: a broker with a SASL_PLAINTEXT (PLAIN) listener. Every binary works with the
//! right credentials from KAFKA_SASL_USERNAME / KAFKA_SASL_PASSWORD, fails fast and clearly with a
//! wrong password, and never shows the password.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::util::*;

fn with_credentials(command: &mut Command, broker: &LocalBroker, password: &str) {
    command
        .env("KAFKA_BOOTSTRAP_SERVERS", broker.sasl_bootstrap())
        .env("KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
        .env("KAFKA_SASL_MECHANISM", "PLAIN")
        .env("KAFKA_SASL_USERNAME", SASL_USER)
        .env("KAFKA_SASL_PASSWORD", password)
        // Debug logging shows the settings and librdkafka's messages: still no password.
        .arg("-v");
}

fn assert_no_secret(output: &Output, secret: &str) {
    for stream in [&output.stdout, &output.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(
            !text.contains(secret),
            "the password appears in the output:\n{text}"
        );
    }
}

const TOOLS: [(&str, &[&str]); 7] = [
    ("setup-topics", &["--partitions", "2"]),
    ("product-producer", &["--count", "30", "--rate", "0"]),
    ("purchase-producer", &["--count", "10", "--rate", "0"]),
    ("user-producer", &["--count", "20", "--rate", "0"]),
    ("run-multiple-producers", &["--rate", "0"]),
    (
        "consumer",
        &[
            "--from-beginning",
            "--max-messages",
            "145",
            "--json",
            "--group",
            "sasl-consumer",
        ],
    ),
    (
        "metrics-consumer",
        &[
            "--from-beginning",
            "--max-messages",
            "145",
            "--json",
            "--group",
            "sasl-metrics",
        ],
    ),
];

#[test]
fn every_binary_authenticates_and_a_wrong_password_fails_fast_without_showing_it() {
    if skip_without_broker() {
        return;
    }
    let broker = LocalBroker::start(true);
    let topics = TopicSet::new("sasl");
    for (binary, args) in TOOLS {
        let mut command = tool(binary, &topics);
        command.args(args);
        with_credentials(&mut command, &broker, SASL_PASSWORD);
        let output = run_ok(&mut command);
        assert_no_secret(&output, SASL_PASSWORD);
        if binary == "metrics-consumer" {
            let report = json_lines(&output).pop().unwrap();
            // 30 + 10 + 20 from the single producers, 40 + 15 + 30 from the launcher.
            assert_eq!(report["events"], 145, "{report}");
        }
    }

    for (binary, args) in TOOLS {
        let wrong = "Wr0ng-guess-pa55word";
        let mut command = tool(binary, &topics);
        command.args(args);
        with_credentials(&mut command, &broker, wrong);
        let started = Instant::now();
        let output = command.output().unwrap();
        assert!(
            !output.status.success(),
            "{binary} accepted a wrong password"
        );
        assert!(
            started.elapsed() < Duration::from_secs(8),
            "{binary} took {:?}",
            started.elapsed()
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last = stderr.trim_end().lines().last().unwrap_or_default();
        assert!(
            last.starts_with(&format!(
                "error: authentication to Kafka at {} failed: ",
                broker.sasl_bootstrap()
            )),
            "{binary}: {stderr}"
        );
        assert!(
            last.contains("Invalid username or password"),
            "{binary}: {last}"
        );
        assert_no_secret(&output, wrong);
    }
}
