use std::collections::BTreeMap;

use shopstream_core::Money;

use super::*;

fn product(id: &str, name: &str, count: u64, view_to_purchase: Option<f64>) -> TopProduct {
    TopProduct {
        product_id: id.to_string(),
        product_name: name.to_string(),
        count,
        view_to_purchase,
    }
}

/// A small report whose every figure is known.
fn known_report() -> Report {
    Report {
        events: 10,
        events_by_type: BTreeMap::from([("add_to_cart", 2), ("purchase", 1), ("view", 4)]),
        events_by_region: BTreeMap::from([("EU", 6), ("US", 4)]),
        events_by_customer_type: BTreeMap::from([("new", 3), ("returning", 5), ("vip", 2)]),
        top_viewed: vec![
            product("P001", "Wireless Mouse", 3, Some(0.3333)),
            product("P002", "USB Hub", 1, Some(0.0)),
        ],
        top_added_to_cart: vec![product("P001", "Wireless Mouse", 2, None)],
        top_purchased: vec![product("P001", "Wireless Mouse", 2, None)],
        view_to_purchase: 0.25,
        cart_to_purchase: 0.5,
        revenue: Money::from_cents(5998),
        revenue_by_region: BTreeMap::from([("EU", Money::from_cents(5998))]),
        orders: 1,
        average_order_value: Money::from_cents(5998),
        rejected: 2,
        rejected_by_reason: BTreeMap::from([
            ("invalid_json".to_string(), 1),
            ("missing_field".to_string(), 1),
        ]),
        approximate: None,
    }
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

fn window(start: &str, end: &str, closed: bool, events: u64) -> WindowFigures {
    WindowFigures {
        start: start.to_string(),
        end: end.to_string(),
        closed,
        events,
        events_by_type: BTreeMap::new(),
        orders: 1,
        revenue: Money::from_cents(2999),
        view_to_purchase: 0.5,
        cart_to_purchase: 1.0,
        active_users: 2,
        active_users_approximate: false,
        active_users_relative_error: None,
        too_late: 0,
    }
}

fn known_event_time() -> EventTimeReport {
    EventTimeReport {
        watermark: Some("2026-01-01T00:01:30.000Z".to_string()),
        too_late: BTreeMap::from([("purchases", 2), ("user-events", 0)]),
        windows: vec![
            window(
                "2026-01-01T00:00:00.000Z",
                "2026-01-01T00:01:00.000Z",
                true,
                7,
            ),
            window(
                "2026-01-01T00:01:00.000Z",
                "2026-01-01T00:02:00.000Z",
                false,
                3,
            ),
        ],
    }
}

/// The cells of a table's line (between the borders), trimmed; empty for a border line.
fn cells(line: &str) -> Vec<&str> {
    if !line.starts_with('│') {
        return Vec::new();
    }
    line.trim_matches('│')
        .split(['┆', '│'])
        .map(str::trim)
        .collect()
}

/// The rows (header first) of the table whose header starts with `first_heading`.
fn rows_of<'a>(text: &'a str, first_heading: &str) -> Vec<Vec<&'a str>> {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|line| cells(line).first() == Some(&first_heading))
        .unwrap_or_else(|| panic!("no table headed {first_heading:?} in\n{text}"));
    lines[start..]
        .iter()
        .take_while(|line| !line.starts_with('└'))
        .map(|line| cells(line))
        .filter(|row| !row.is_empty())
        .collect()
}

#[test]
fn the_overview_has_one_row_per_business_figure() {
    let text = render("Report", &known_report(), &[], None);
    assert!(
        text.starts_with("Report: 10 events, 2 rejected\n"),
        "{text}"
    );
    assert_eq!(
        rows_of(&text, "business"),
        vec![
            vec!["business", "value"],
            vec!["revenue", "59.98"],
            vec!["orders", "1"],
            vec!["average order value", "59.98"],
            vec!["view → purchase", "25.0%"],
            vec!["cart → purchase", "50.0%"],
            vec!["revenue EU", "59.98"],
        ]
    );
}

#[test]
fn the_segments_stand_side_by_side_padded_where_a_list_is_shorter() {
    let text = render("Report", &known_report(), &[], None);
    assert_eq!(
        rows_of(&text, "event type"),
        vec![
            vec![
                "event type",
                "events",
                "region",
                "events",
                "customer type",
                "events"
            ],
            vec!["add_to_cart", "2", "EU", "6", "new", "3"],
            vec!["purchase", "1", "US", "4", "returning", "5"],
            vec!["view", "4", "", "", "vip", "2"],
        ]
    );
}

#[test]
fn the_top_products_stop_after_the_longest_list() {
    let text = render("Report", &known_report(), &[], None);
    assert_eq!(
        rows_of(&text, "#"),
        vec![
            vec![
                "#",
                "most viewed",
                "views",
                "→ bought",
                "most added to cart",
                "adds",
                "most purchased",
                "qty"
            ],
            vec![
                "1",
                "P001 Wireless Mouse",
                "3",
                "33.3%",
                "P001 Wireless Mouse",
                "2",
                "P001 Wireless Mouse",
                "2"
            ],
            vec!["2", "P002 USB Hub", "1", "0.0%", "", "", "", ""],
        ]
    );
}

#[test]
fn rejects_and_lag_are_one_line_each_after_the_tables() {
    let text = render("Final report", &known_report(), &known_lag(), None);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[lines.len() - 2..],
        [
            "rejected: invalid_json 1, missing_field 1",
            "consumer lag: purchases[0] 3  purchases[1] 0",
        ]
    );
    let mut quiet = known_report();
    quiet.rejected_by_reason.clear();
    let text = render("Report", &quiet, &[], None);
    assert!(text.ends_with("┘\n"), "{text}");
}

#[test]
fn numbers_are_right_aligned() {
    let text = render("Report", &known_report(), &[], None);
    let orders = text
        .lines()
        .find(|line| line.contains(" orders "))
        .unwrap_or_default();
    assert!(orders.ends_with("     1 │"), "{orders:?}");
}

#[test]
fn the_windows_table_has_one_row_per_window() {
    let text = render_windows(&known_event_time(), None);
    assert!(
        text.starts_with(
            "event time: watermark 2026-01-01T00:01:30.000Z, 2 too late (purchases 2)\n"
        ),
        "{text}"
    );
    assert_eq!(
        rows_of(&text, "window (UTC)"),
        vec![
            vec![
                "window (UTC)",
                "",
                "events",
                "orders",
                "revenue",
                "view → purchase",
                "cart → purchase",
                "users"
            ],
            vec![
                "2026-01-01 00:00:00 – 00:01:00",
                "closed",
                "7",
                "1",
                "29.99",
                "50.0%",
                "100.0%",
                "2"
            ],
            vec![
                "2026-01-01 00:01:00 – 00:02:00",
                "open",
                "3",
                "1",
                "29.99",
                "50.0%",
                "100.0%",
                "2"
            ],
        ]
    );
    let no_watermark = EventTimeReport {
        watermark: None,
        too_late: BTreeMap::new(),
        windows: Vec::new(),
    };
    assert!(
        render_windows(&no_watermark, None)
            .starts_with("event time: watermark not yet known, 0 too late\n")
    );
}

/// The widest line, in characters (every character the tables print is one column wide).
fn widest(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().count())
        .max()
        .unwrap_or(0)
}

#[test]
fn a_zero_or_unknown_width_prints_tables_at_their_natural_width() {
    let report = known_report();
    let lag = known_lag();
    let natural = render("Report", &report, &lag, None);
    assert_eq!(render("Report", &report, &lag, Some(0)), natural);
    // Each row on one line, every cell whole: the widest table sets the widest line.
    let first = "│ 1 ┆ P001 Wireless Mouse ┆     3 ┆    33.3% ┆ P001 Wireless Mouse ┆    2 ┆ \
                 P001 Wireless Mouse ┆   2 │";
    assert!(natural.lines().any(|line| line == first), "{natural}");
    assert_eq!(widest(&natural), first.chars().count(), "{natural}");
    let rows = rows_of(&natural, "#");
    assert_eq!(rows.len(), 3, "{natural}");

    let windows = render_windows(&known_event_time(), None);
    assert_eq!(render_windows(&known_event_time(), Some(0)), windows);
    assert!(
        windows.contains("│ 2026-01-01 00:00:00 – 00:01:00 ┆ closed ┆"),
        "{windows}"
    );
}

#[test]
fn a_known_width_fits_the_tables_into_it() {
    let narrow = render("Report", &known_report(), &[], Some(60));
    let tables: Vec<&str> = narrow
        .lines()
        .filter(|l| !l.starts_with("Report"))
        .collect();
    assert!(
        tables.iter().all(|line| line.chars().count() <= 60),
        "{narrow}"
    );
    assert!(widest(&render("Report", &known_report(), &[], None)) > 60);
    let windows = render_windows(&known_event_time(), Some(60));
    assert!(
        windows
            .lines()
            .skip(1)
            .all(|line| line.chars().count() <= 60),
        "{windows}"
    );
}

#[test]
fn approximate_figures_are_one_line_after_the_top_products() {
    let exact = render("Report", &known_report(), &[], None);
    assert!(!exact.contains("approximate"), "{exact}");
    let mut report = known_report();
    report.approximate = Some(shopstream_core::metrics::Approximation {
        max_products: 1000,
        products_held: 950,
        products_dropped: 199_050,
        top_viewed_max_miss: 3,
        top_added_to_cart_max_miss: 2,
        top_purchased_max_miss: 1,
    });
    let text = render("Report", &report, &[], None);
    let line = text
        .lines()
        .find(|line| line.starts_with("approximate: "))
        .expect("the approximate line");
    assert_eq!(
        line,
        "approximate: top products (over 1000 distinct products: 950 held, 199050 dropped); a \
         count may be short by at most 3 views, 2 adds, 1 units bought; every other figure is exact"
    );
}

#[test]
fn estimated_active_users_show_their_error() {
    let mut event_time = known_event_time();
    event_time.windows[0].active_users = 123_456;
    event_time.windows[0].active_users_approximate = true;
    event_time.windows[0].active_users_relative_error = Some(0.0081);
    let text = render_windows(&event_time, None);
    let rows = rows_of(&text, "window (UTC)");
    assert_eq!(rows[1][7], "≈123456 (±0.8%)");
    assert_eq!(rows[2][7], "2");
}
