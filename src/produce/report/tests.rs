use super::*;

fn names() -> TopicNames {
    TopicNames {
        product_events: "product-events".into(),
        purchases: "purchases".into(),
        user_events: "user-events".into(),
    }
}

fn counts(sent: u64, acknowledged: u64, failed: u64) -> TopicCounts {
    TopicCounts {
        sent,
        acknowledged,
        failed,
        denied: 0,
    }
}

#[test]
fn one_topic_has_no_total_row() {
    let mut all = PerTopic::<TopicCounts>::default();
    all[TopicKind::Purchases] = counts(1500, 1500, 0);
    let table = summary_table(
        &names(),
        &[TopicKind::Purchases],
        &all,
        Duration::from_secs(3),
    );
    let lines: Vec<&str> = table.lines().map(str::trim).collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("topic"), "{table}");
    let cells: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(cells, ["purchases", "1,500", "1,500", "0", "500"]);
    assert_eq!(lines[2], "in 3.0s");
}

#[test]
fn several_topics_add_up_in_a_total_row() {
    let mut all = PerTopic::<TopicCounts>::default();
    all[TopicKind::ProductEvents] = counts(40, 40, 0);
    all[TopicKind::Purchases] = counts(15, 14, 1);
    all[TopicKind::UserEvents] = counts(30, 30, 0);
    let targets = [
        TopicKind::ProductEvents,
        TopicKind::Purchases,
        TopicKind::UserEvents,
    ];
    let table = summary_table(&names(), &targets, &all, Duration::from_millis(500));
    let total: Vec<&str> = table
        .lines()
        .find(|line| line.trim_start().starts_with("total"))
        .map(|line| line.split_whitespace().collect())
        .unwrap_or_default();
    assert_eq!(total, ["total", "85", "84", "1", "168"], "{table}");
    assert!(table.ends_with("in 0.5s"), "{table}");
}

#[test]
fn numbers_are_right_aligned() {
    let mut all = PerTopic::<TopicCounts>::default();
    all[TopicKind::ProductEvents] = counts(1_000_000, 999_000, 1_000);
    all[TopicKind::UserEvents] = counts(5, 5, 0);
    let targets = [TopicKind::ProductEvents, TopicKind::UserEvents];
    let table = summary_table(&names(), &targets, &all, Duration::from_secs(1));
    let rows: Vec<&str> = table.lines().skip(1).take(2).collect();
    // The last column ends at the same place on every row.
    assert_eq!(
        rows[0].trim_end().len(),
        rows[1].trim_end().len(),
        "{table}"
    );
}
