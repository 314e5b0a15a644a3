//! metrics-consumer --serve: /api/metrics, /metrics, /healthz and the page in a real browser.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::*;

/// GET over plain HTTP/1.0: (status, body).
fn http_get(port: u16, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect to the dashboard");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").expect("an HTTP response");
    let status = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, body.to_string())
}

/// Prometheus text format: each sample line as "name{labels}" -> value. Fails on a malformed line.
fn parse_prometheus(text: &str) -> HashMap<String, f64> {
    let mut samples = HashMap::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let words: Vec<&str> = comment.split_whitespace().collect();
            assert!(
                matches!(words.first(), Some(&"HELP") | Some(&"TYPE") | Some(&"EOF")),
                "bad comment: {line}"
            );
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("bad sample: {line}"));
        let name_end = series.find('{').unwrap_or(series.len());
        assert!(
            series[..name_end]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad metric name: {line}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "bad labels: {line}");
        }
        samples.insert(
            series.to_string(),
            value
                .parse()
                .unwrap_or_else(|_| panic!("bad value: {line}")),
        );
    }
    samples
}

fn serve(topics: &TopicSet, port: u16, extra: &[&str]) -> Child {
    let group = unique("dashboard");
    let own_group = (!extra.contains(&"--group")).then_some(["--group", group.as_str()]);
    tool("metrics-consumer", topics)
        .args(own_group.iter().flatten())
        .args([
            "--serve",
            &format!("127.0.0.1:{port}"),
            "--json",
            "--every",
            "1000000000",
        ])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn wait_for_events(port: u16, events: u64) -> Value {
    let started = Instant::now();
    loop {
        if let Ok(stream) = TcpStream::connect(("127.0.0.1", port)) {
            drop(stream);
            let (status, body) = http_get(port, "/api/metrics");
            assert_eq!(status, 200);
            let api: Value = serde_json::from_str(&body).unwrap();
            if api["events"] == events {
                return api;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the dashboard never showed {events} events"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn api_and_prometheus_reflect_the_events_consumed() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("http", 31, (2000, 500, 1000));
    let port = free_port();
    let mut child = serve(&topics, port, &["--from-beginning", "--timeout", "30s"]);
    let api = wait_for_events(port, 3500);

    // /api/metrics: the engine's figures over the same events (all of them valid).
    let expected = expected_report(&topics);
    assert_eq!(expected["rejected"], 0);
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&api[key], value, "/api/metrics {key}");
    }
    assert_eq!(api["report"], "live");

    // /metrics: valid Prometheus text with the same figures.
    let (status, text) = http_get(port, "/metrics");
    assert_eq!(status, 200);
    let samples = parse_prometheus(&text);
    assert_eq!(samples["shopstream_orders_total"], 500.0);
    assert_eq!(
        samples[r#"shopstream_events_total{event_type="purchase"}"#],
        500.0
    );
    assert_eq!(
        samples[r#"shopstream_events_total{event_type="view"}"#],
        api["events_by_type"]["view"].as_f64().unwrap()
    );
    assert_eq!(
        samples["shopstream_revenue_total"],
        api["revenue"].as_f64().unwrap()
    );
    for region in ["North", "South", "East", "West"] {
        assert_eq!(
            samples[&format!(r#"shopstream_region_revenue_total{{region="{region}"}}"#)],
            api["revenue_by_region"][region].as_f64().unwrap()
        );
    }
    for customer_type in ["Regular", "Premium", "VIP"] {
        let series =
            format!(r#"shopstream_customer_type_events_total{{customer_type="{customer_type}"}}"#);
        assert_eq!(
            samples[&series],
            api["events_by_customer_type"][customer_type]
                .as_f64()
                .unwrap()
        );
    }
    let topic_total: f64 = samples
        .iter()
        .filter(|(k, _)| k.starts_with("shopstream_topic_messages_total"))
        .map(|(_, v)| v)
        .sum();
    assert_eq!(topic_total, 3500.0);
    assert_eq!(
        samples["shopstream_view_to_purchase_ratio"],
        api["view_to_purchase"].as_f64().unwrap()
    );
    assert!(
        samples
            .keys()
            .any(|k| k.starts_with("shopstream_consumer_lag{")),
        "{text}"
    );

    assert_eq!(http_get(port, "/healthz"), (200, "ok\n".to_string()));
    let (status, page) = http_get(port, "/");
    assert_eq!(status, 200);
    assert!(
        page.contains("<title>ShopStream live metrics</title>")
            && !page.contains("http://")
            && !page.contains("https://"),
        "the page needs nothing from outside"
    );

    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn a_taken_port_is_one_clear_error() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("porttaken");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let output = tool("metrics-consumer", &topics)
        .args(["--serve", &format!("127.0.0.1:{port}")])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!(
            "error: cannot serve the dashboard on 127.0.0.1:{port}: "
        )),
        "{stderr}"
    );
    assert!(stderr.contains("in use"), "{stderr}");
}

#[test]
fn the_page_shows_the_shop_live_in_a_real_browser() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("browser");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    let port = free_port();
    let mut dashboard = serve(
        &topics,
        port,
        &["--from-beginning", "--timeout", "90s", "--window", "1m"],
    );
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(100));
    }
    // The browser first: it notes what the page shows, says "ready", and only then do the
    // producers start, so it sees the figures change.
    let screenshot = repo_root().join("target/dashboard-screenshot.png");
    let mut browser = Command::new("node")
        .current_dir(repo_root().join("tests/browser"))
        .args([
            "dashboard.mjs",
            &format!("http://127.0.0.1:{port}/"),
            "2100",
            screenshot.to_str().unwrap(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node runs (scripts/test.sh installs what the browser test needs)");
    let mut lines =
        std::io::BufRead::lines(std::io::BufReader::new(browser.stdout.take().unwrap()));
    let ready = lines.next().and_then(Result::ok).unwrap_or_default();
    let producers = tool("run-multiple-producers", &topics)
        .args([
            "--seed",
            "5",
            "--rate",
            "200",
            "--quiet",
            "--product-events",
            "1200",
            "--purchases",
            "300",
            "--user-events",
            "600",
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = browser.wait().unwrap();
    let mut stderr = String::new();
    browser
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    dashboard.kill().unwrap();
    dashboard.wait().unwrap();
    assert!(producers.success());
    assert_eq!(ready, "ready", "{ready}\n{stderr}");
    assert!(status.success(), "{}\n{stderr}", rest.join("\n"));
    assert!(
        std::fs::metadata(&screenshot).unwrap().len() > 10_000,
        "a screenshot was saved"
    );
}

#[test]
fn one_exactly_once_instance_serves_the_whole_groups_figures() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("group-dashboard");
    let _cleanup = Cleanup(topics.clone());
    run_ok(tool("setup-topics", &topics).args(["--partitions", "4"]));
    run_ok(tool("run-multiple-producers", &topics).args([
        "--rate",
        "0",
        "--quiet",
        "--seed",
        "33",
        "--product-events",
        "3000",
        "--purchases",
        "800",
        "--user-events",
        "1200",
    ]));
    let group = unique("group-dashboard");
    let exactly_once = [
        "--exactly-once",
        "--from-beginning",
        "--group",
        &group,
        "--timeout",
        "60s",
    ];
    // Two members share the 12 partitions; only one serves the page.
    let port = free_port();
    let mut served = serve(&topics, port, &exactly_once);
    let mut other = tool("metrics-consumer", &topics)
        .args(exactly_once)
        .args(["--json", "--every", "1000000000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let api = loop {
        let api = wait_for_events(port, 5000);
        if api["coverage"]["instances"] == 2 {
            break api;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "never two instances: {api}"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    let expected = expected_report(&topics);
    for (key, value) in expected.as_object().unwrap() {
        assert_eq!(&api[key], value, "/api/metrics {key}");
    }
    assert_eq!(api["coverage"]["partitions"], 12, "{api}");
    assert_eq!(api["coverage"]["partitions_total"], 12, "{api}");
    // The page, in a real browser, says what the figures cover.
    let browser = Command::new("node")
        .current_dir(repo_root().join("tests/browser"))
        .args([
            "status.mjs",
            &format!("http://127.0.0.1:{port}/"),
            "whole group: 12 of 12 partitions from 2 instances",
        ])
        .output()
        .expect("node runs (scripts/test.sh installs what the browser test needs)");
    assert!(
        browser.status.success(),
        "{}{}",
        String::from_utf8_lossy(&browser.stdout),
        String::from_utf8_lossy(&browser.stderr)
    );
    for child in [&mut served, &mut other] {
        child.kill().unwrap();
        child.wait().unwrap();
    }
}
