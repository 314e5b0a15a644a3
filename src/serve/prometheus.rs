//! The figures in Prometheus text format (/metrics): counters for what only grows, gauges for
//! ratios and lag, every name prefixed `shopstream_`.

use std::sync::atomic::AtomicU64;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use shopstream_core::metrics::Report;
use shopstream_kafka::group_consumer::PartitionLag;

type Labels = Vec<(String, String)>;

/// A counter or gauge of fractional values.
type FloatCounter = Counter<f64, AtomicU64>;
type FloatGauge = Gauge<f64, AtomicU64>;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect()
}

/// The report, the lag and the messages consumed per topic (topic name, count) as Prometheus
/// text.
pub fn render(report: &Report, lag: &[PartitionLag], consumed: &[(&str, u64)]) -> String {
    let mut registry = Registry::with_prefix("shopstream");
    register_event_counts(&mut registry, report, consumed);
    register_money(&mut registry, report);
    register_ratios(&mut registry, report);
    register_lag(&mut registry, lag);
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

/// A counter family with one label, one series per (label value, count).
fn register_counts<'a>(
    registry: &mut Registry,
    (name, help): (&str, &str),
    label_name: &str,
    counts: impl IntoIterator<Item = (&'a str, u64)>,
) {
    let family = Family::<Labels, Counter>::default();
    registry.register(name, help, family.clone());
    for (value, count) in counts {
        family
            .get_or_create(&labels(&[(label_name, value)]))
            .inc_by(count);
    }
}

/// Events by type, region and customer type; messages by topic; rejects by reason.
fn register_event_counts(registry: &mut Registry, report: &Report, consumed: &[(&str, u64)]) {
    register_counts(
        registry,
        ("events", "Valid events consumed, by event type"),
        "event_type",
        report.events_by_type.iter().map(|(k, v)| (*k, *v)),
    );
    register_counts(
        registry,
        ("region_events", "Valid events consumed, by region"),
        "region",
        report.events_by_region.iter().map(|(k, v)| (*k, *v)),
    );
    register_counts(
        registry,
        (
            "customer_type_events",
            "Valid events consumed, by customer type",
        ),
        "customer_type",
        report.events_by_customer_type.iter().map(|(k, v)| (*k, *v)),
    );
    register_counts(
        registry,
        ("topic_messages", "Messages consumed, by topic"),
        "topic",
        consumed.iter().copied(),
    );
    register_counts(
        registry,
        ("rejected", "Messages rejected, by reason"),
        "reason",
        report
            .rejected_by_reason
            .iter()
            .map(|(k, v)| (k.as_str(), *v)),
    );
}

/// Orders, revenue and revenue by region.
fn register_money(registry: &mut Registry, report: &Report) {
    let orders = Counter::<u64>::default();
    orders.inc_by(report.orders);
    registry.register("orders", "Purchase events (orders)", orders);

    let revenue = FloatCounter::default();
    revenue.inc_by(report.revenue.as_decimal());
    registry.register("revenue", "Revenue, sum of purchase totals", revenue);

    let region_revenue = Family::<Labels, FloatCounter>::default();
    registry.register(
        "region_revenue",
        "Revenue by region",
        region_revenue.clone(),
    );
    for (region, money) in &report.revenue_by_region {
        region_revenue
            .get_or_create(&labels(&[("region", region)]))
            .inc_by(money.as_decimal());
    }
}

/// Average order value and the two conversions.
fn register_ratios(registry: &mut Registry, report: &Report) {
    let gauges = [
        (
            "average_order_value",
            "Revenue / orders",
            report.average_order_value.as_decimal(),
        ),
        (
            "view_to_purchase_ratio",
            "Purchase events / view events",
            report.view_to_purchase,
        ),
        (
            "cart_to_purchase_ratio",
            "Purchase events / add_to_cart events",
            report.cart_to_purchase,
        ),
    ];
    for (name, help, value) in gauges {
        let gauge = FloatGauge::default();
        gauge.set(value);
        registry.register(name, help, gauge);
    }
}

/// The lag of each partition.
fn register_lag(registry: &mut Registry, lag: &[PartitionLag]) {
    let family = Family::<Labels, Gauge>::default();
    registry.register(
        "consumer_lag",
        "Messages behind the end of each partition",
        family.clone(),
    );
    for partition in lag {
        let number = partition.partition.to_string();
        family
            .get_or_create(&labels(&[
                ("topic", &partition.topic),
                ("partition", &number),
            ]))
            .set(partition.lag);
    }
}

#[cfg(test)]
mod tests;
