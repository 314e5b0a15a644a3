use std::collections::BTreeMap;

use shopstream_core::Money;
use shopstream_core::metrics::MetricsEngine;

use super::*;

/// A report whose every figure is known.
fn known_report() -> Report {
    let mut report = MetricsEngine::new().report();
    report.events = 7;
    report.events_by_type = BTreeMap::from([("add_to_cart", 2), ("purchase", 1), ("view", 4)]);
    report.events_by_region = BTreeMap::from([("EU", 5), ("US", 2)]);
    report.events_by_customer_type = BTreeMap::from([("new", 3), ("vip", 4)]);
    report.orders = 1;
    report.revenue = Money::from_cents(5998);
    report.revenue_by_region = BTreeMap::from([("EU", Money::from_cents(5998))]);
    report.average_order_value = Money::from_cents(5998);
    report.view_to_purchase = 0.25;
    report.cart_to_purchase = 0.5;
    report.rejected = 2;
    report.rejected_by_reason = BTreeMap::from([("invalid_json".to_string(), 2)]);
    report
}

fn known_lag() -> Vec<PartitionLag> {
    vec![
        PartitionLag {
            topic: "purchases".to_string(),
            partition: 0,
            lag: 3,
        },
        PartitionLag {
            topic: "purchases".to_string(),
            partition: 1,
            lag: 0,
        },
    ]
}

fn known_text() -> String {
    render(
        &known_report(),
        &known_lag(),
        &[("product-events", 4), ("purchases", 3), ("user-events", 2)],
    )
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

#[test]
fn every_metric_has_its_name_and_type() {
    let text = known_text();
    let lines = lines(&text);
    let expected_types = [
        ("shopstream_events", "counter"),
        ("shopstream_region_events", "counter"),
        ("shopstream_customer_type_events", "counter"),
        ("shopstream_topic_messages", "counter"),
        ("shopstream_rejected", "counter"),
        ("shopstream_orders", "counter"),
        ("shopstream_revenue", "counter"),
        ("shopstream_region_revenue", "counter"),
        ("shopstream_average_order_value", "gauge"),
        ("shopstream_view_to_purchase_ratio", "gauge"),
        ("shopstream_cart_to_purchase_ratio", "gauge"),
        ("shopstream_consumer_lag", "gauge"),
    ];
    for (name, kind) in expected_types {
        let type_line = format!("# TYPE {name} {kind}");
        assert!(
            lines.contains(&type_line.as_str()),
            "{type_line} in\n{text}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("# HELP {name} "))),
            "help of {name} in\n{text}"
        );
    }
    let types = lines.iter().filter(|l| l.starts_with("# TYPE ")).count();
    assert_eq!(types, expected_types.len(), "{text}");
    assert_eq!(lines.last(), Some(&"# EOF"));
}

#[test]
fn counts_carry_their_label_values() {
    let text = known_text();
    let lines = lines(&text);
    for sample in [
        r#"shopstream_events_total{event_type="add_to_cart"} 2"#,
        r#"shopstream_events_total{event_type="purchase"} 1"#,
        r#"shopstream_events_total{event_type="view"} 4"#,
        r#"shopstream_region_events_total{region="EU"} 5"#,
        r#"shopstream_region_events_total{region="US"} 2"#,
        r#"shopstream_customer_type_events_total{customer_type="new"} 3"#,
        r#"shopstream_customer_type_events_total{customer_type="vip"} 4"#,
        r#"shopstream_topic_messages_total{topic="product-events"} 4"#,
        r#"shopstream_topic_messages_total{topic="purchases"} 3"#,
        r#"shopstream_topic_messages_total{topic="user-events"} 2"#,
        r#"shopstream_rejected_total{reason="invalid_json"} 2"#,
    ] {
        assert!(lines.contains(&sample), "{sample} in\n{text}");
    }
    let event_samples = lines
        .iter()
        .filter(|l| l.starts_with("shopstream_events_total{"))
        .count();
    assert_eq!(event_samples, 3, "{text}");
}

#[test]
fn money_ratios_and_lag_are_their_values() {
    let text = known_text();
    let lines = lines(&text);
    for sample in [
        "shopstream_orders_total 1",
        "shopstream_revenue_total 59.98",
        r#"shopstream_region_revenue_total{region="EU"} 59.98"#,
        "shopstream_average_order_value 59.98",
        "shopstream_view_to_purchase_ratio 0.25",
        "shopstream_cart_to_purchase_ratio 0.5",
        r#"shopstream_consumer_lag{topic="purchases",partition="0"} 3"#,
        r#"shopstream_consumer_lag{topic="purchases",partition="1"} 0"#,
    ] {
        assert!(lines.contains(&sample), "{sample} in\n{text}");
    }
}

#[test]
fn an_empty_report_still_declares_every_metric() {
    let text = render(&MetricsEngine::new().report(), &[], &[]);
    assert!(text.contains("# TYPE shopstream_events counter"), "{text}");
    assert!(text.contains("shopstream_orders_total 0"), "{text}");
    assert!(text.contains("shopstream_revenue_total 0"), "{text}");
    assert!(!text.contains("shopstream_consumer_lag{"), "{text}");
}
