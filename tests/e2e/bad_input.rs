//! Bad input of every kind: one clear line and a non-zero exit (or, for messages, a rejection),
//! and nothing lost or corrupted.

use std::path::Path;
use std::process::Output;

use crate::util::*;

fn producer_in(dir: &Path, topics: &TopicSet, dotenv: &str) -> Output {
    write_file(dir, ".env", dotenv);
    tool("product-producer", topics)
        .current_dir(dir)
        .env_remove("TOPIC_PRODUCT_EVENTS")
        .env("TOPIC_PRODUCT_EVENTS", &topics.product_events)
        .args(["--count", "5", "--rate", "0"])
        .output()
        .unwrap()
}

#[test]
fn malformed_settings_are_named() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topics = TopicSet::new("badenv");
    let env_file = dir.path().join(".env");

    let err = one_error_line(&producer_in(
        dir.path(),
        &topics,
        "PRODUCT_EVENTS_COUNT=forty\n",
    ));
    assert!(
        err.contains(&format!(
            "PRODUCT_EVENTS_COUNT=\"forty\" in {}",
            env_file.display()
        )),
        "{err}"
    );
    assert!(err.contains("expected a whole number"), "{err}");

    let err = one_error_line(&producer_in(dir.path(), &topics, "EVENT_DELAY_MS=-5\n"));
    assert!(err.contains("EVENT_DELAY_MS=\"-5\""), "{err}");

    let err = one_error_line(&producer_in(
        dir.path(),
        &topics,
        "PURCHASE_EVENT_COUNT=3\n",
    ));
    let expected = format!(
        "unknown setting PURCHASE_EVENT_COUNT in {}; did you mean PURCHASE_EVENTS_COUNT?",
        env_file.display()
    );
    assert!(err.ends_with(&expected), "{err}");

    let output = tool("product-producer", &topics)
        .args(["--rate", "-1"])
        .output()
        .unwrap();
    let err = one_error_line(&output);
    assert_eq!(err, "error: --rate must be a number >= 0, not -1");
}

#[test]
fn missing_malformed_and_empty_catalogs_are_named() {
    if skip_without_broker() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let topics = TopicSet::new("badcatalog");
    let cases = [
        (
            "PRODUCTS_FILE=nowhere.json\n",
            "nowhere.json: cannot read: ",
        ),
        (
            "PRODUCTS_FILE=broken.json\n",
            "broken.json: not valid JSON: ",
        ),
        (
            "PRODUCTS_FILE=empty.json\n",
            "empty.json: the file has no entries",
        ),
        (
            "USERS_FILE=bad-users.json\n",
            "bad-users.json: entry 0 (U1): field `region` has unknown value \"Mars\"",
        ),
    ];
    let products = repo_root().join("data/products.json");
    write_file(dir.path(), "broken.json", "[{\"product_id\": ");
    write_file(dir.path(), "empty.json", "[]");
    write_file(
        dir.path(),
        "bad-users.json",
        r#"[{"user_id":"U1","name":"A","email":"a@x","region":"Mars","customer_type":"VIP","age":3,"interests":[]}]"#,
    );
    for (dotenv, expected) in cases {
        let dotenv = if dotenv.starts_with("USERS_FILE") {
            format!("{dotenv}PRODUCTS_FILE={}\n", products.display())
        } else {
            dotenv.to_string()
        };
        let err = one_error_line(&producer_in(dir.path(), &topics, &dotenv));
        assert!(err.contains(expected), "{dotenv}: {err}");
    }
}

#[test]
fn huge_deep_and_out_of_range_messages_are_rejected_and_consumption_goes_on() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("hostile");
    let _cleanup = Cleanup(topics.clone());
    create_topics(&topics);
    run_ok(
        tool("purchase-producer", &topics)
            .args(["--count", "10", "--rate", "0", "--quiet", "--seed", "3"]),
    );

    let valid = read_topic(&topics.purchases)[0].payload.clone();
    let valid = String::from_utf8(valid).unwrap();
    // 1 MB: a JSON object with one enormous string, just under librdkafka's default message.max.bytes.
    let huge = format!(
        "{{\"event_type\":\"purchase\",\"user_id\":\"{}\"}}",
        "x".repeat(999_000)
    );
    let deep = format!(
        "{{\"event_type\":{}1{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let big_quantity = valid.replacen("\"quantity\":", "\"quantity\":1e20,\"q\":", 1);
    let big_price = valid.replacen("\"price\":", "\"price\":1e300,\"p\":", 1);
    let negative_total = valid.replacen("\"total\":", "\"total\":-5,\"t\":", 1);
    // Alone in its batch, so that the batch stays under the broker's limit.
    write_raw(&topics.purchases, &[("U1", Some(huge.as_bytes()))]);
    let messages: Vec<(&str, Option<&[u8]>)> = vec![
        ("U1", Some(deep.as_bytes())),
        ("U1", Some(big_quantity.as_bytes())),
        ("U1", Some(big_price.as_bytes())),
        ("U1", Some(negative_total.as_bytes())),
        ("U1", Some(b"")),
    ];
    write_raw(&topics.purchases, &messages);

    let output = run_ok(tool("metrics-consumer", &topics).args([
        "--json",
        "--from-beginning",
        "--timeout",
        "4s",
        "--group",
        &unique("hostile"),
        "--topics",
        "purchases",
    ]));
    let report = json_lines(&output).pop().unwrap();
    assert_eq!(report["events"], 10, "{report}");
    assert_eq!(report["rejected"], 6, "{report}");
    assert_eq!(report["orders"], 10);
}
