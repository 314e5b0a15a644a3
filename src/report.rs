//! The metrics report for people: aligned tables with headings (comfy-table).
//!
//! Tables fit the terminal when its width is known; when it is not (a pipe, a file) or is
//! reported as 0 columns (`script`, some CI runners, `docker run -t` before a resize), they are
//! printed at their natural width: fitting them into 0 columns would print one character per line.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};
use shopstream_core::metrics::{Approximation, Report, TOP, TopProduct};
use shopstream_core::windows::{EventTimeReport, WindowFigures};
use shopstream_kafka::group_consumer::PartitionLag;

/// The width of the terminal on stdout: `None` when stdout is not a terminal, or when the
/// terminal cannot say or says 0 columns.
pub fn terminal_width() -> Option<u16> {
    Table::new().width().filter(|&columns| columns > 0)
}

/// A table with `header`, fitted into `width` columns when that is known and not 0, else at its
/// natural width.
fn table(header: Vec<&str>, width: Option<u16>) -> Table {
    let mut table = Table::new();
    table.load_preset(presets::UTF8_FULL_CONDENSED);
    match width {
        Some(columns) if columns > 0 => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(columns);
        }
        _ => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
    }
    table.set_header(header);
    table
}

fn right_align(table: &mut Table, columns: &[usize]) {
    for &index in columns {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
}

fn percent(ratio: f64) -> String {
    format!("{:.1}%", ratio * 100.0)
}

/// The whole report as text, its tables fitted into `width` columns when that is known (see
/// [`terminal_width`]): overview, segments, top products, rejects, lag.
pub fn render(title: &str, report: &Report, lag: &[PartitionLag], width: Option<u16>) -> String {
    let mut out = format!(
        "{title}: {} events, {} rejected\n",
        report.events, report.rejected
    );
    out.push_str(&format!("{}\n", overview_table(report, width)));
    out.push_str(&format!("{}\n", segments_table(report, width)));
    out.push_str(&format!("{}\n", top_products_table(report, width)));
    if let Some(approximate) = &report.approximate {
        out.push_str(&format!("{}\n", approximate_line(approximate)));
    }
    if let Some(line) = rejected_line(report) {
        out.push_str(&format!("{line}\n"));
    }
    if let Some(line) = lag_line(lag) {
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// Revenue, orders, average order value, conversions, revenue per region.
fn overview_table(report: &Report, width: Option<u16>) -> Table {
    let mut overview = table(vec!["business", "value"], width);
    overview.add_row(vec!["revenue".to_string(), report.revenue.to_string()]);
    overview.add_row(vec!["orders".to_string(), report.orders.to_string()]);
    overview.add_row(vec![
        "average order value".to_string(),
        report.average_order_value.to_string(),
    ]);
    overview.add_row(vec![
        "view → purchase".to_string(),
        percent(report.view_to_purchase),
    ]);
    overview.add_row(vec![
        "cart → purchase".to_string(),
        percent(report.cart_to_purchase),
    ]);
    for (region, revenue) in &report.revenue_by_region {
        overview.add_row(vec![format!("revenue {region}"), revenue.to_string()]);
    }
    right_align(&mut overview, &[1]);
    overview
}

/// Events by type, by region and by customer type, side by side: rows are padded where a list
/// is shorter.
fn segments_table(report: &Report, width: Option<u16>) -> Table {
    let mut segments = table(
        vec![
            "event type",
            "events",
            "region",
            "events",
            "customer type",
            "events",
        ],
        width,
    );
    let columns = [
        &report.events_by_type,
        &report.events_by_region,
        &report.events_by_customer_type,
    ]
    .map(|counts| counts.iter().collect::<Vec<_>>());
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0);
    for row in 0..rows {
        let mut cells = Vec::with_capacity(6);
        for column in &columns {
            match column.get(row) {
                Some((name, count)) => {
                    cells.push(Cell::new(name));
                    cells.push(Cell::new(count));
                }
                None => {
                    cells.push(Cell::new(""));
                    cells.push(Cell::new(""));
                }
            }
        }
        segments.add_row(cells);
    }
    right_align(&mut segments, &[1, 3, 5]);
    segments
}

/// The top products by views (with their conversion), by adds to cart and by quantity bought.
fn top_products_table(report: &Report, width: Option<u16>) -> Table {
    let mut top = table(
        vec![
            "#",
            "most viewed",
            "views",
            "→ bought",
            "most added to cart",
            "adds",
            "most purchased",
            "qty",
        ],
        width,
    );
    let name = |list: &[TopProduct], i: usize| {
        list.get(i)
            .map(|t| format!("{} {}", t.product_id, t.product_name))
    };
    let count = |list: &[TopProduct], i: usize| list.get(i).map(|t| t.count.to_string());
    for i in 0..TOP {
        let conversion = report
            .top_viewed
            .get(i)
            .and_then(|t| t.view_to_purchase)
            .map(percent);
        let row = [
            Some((i + 1).to_string()),
            name(&report.top_viewed, i),
            count(&report.top_viewed, i),
            conversion,
            name(&report.top_added_to_cart, i),
            count(&report.top_added_to_cart, i),
            name(&report.top_purchased, i),
            count(&report.top_purchased, i),
        ];
        if row[1..].iter().all(Option::is_none) {
            break;
        }
        top.add_row(row.map(Option::unwrap_or_default));
    }
    right_align(&mut top, &[0, 2, 3, 5, 7]);
    top
}

/// What is approximate, when anything is: the top lists, beyond the distinct-product bound.
pub fn approximate_line(approximate: &Approximation) -> String {
    format!(
        "approximate: top products (over {} distinct products: {} held, {} dropped); a count \
         may be short by at most {} views, {} adds, {} units bought; every other figure is exact",
        approximate.max_products,
        approximate.products_held,
        approximate.products_dropped,
        approximate.top_viewed_max_miss,
        approximate.top_added_to_cart_max_miss,
        approximate.top_purchased_max_miss
    )
}

/// "rejected: reason n, ...", when anything was rejected.
fn rejected_line(report: &Report) -> Option<String> {
    if report.rejected_by_reason.is_empty() {
        return None;
    }
    let reasons: Vec<String> = report
        .rejected_by_reason
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    Some(format!("rejected: {}", reasons.join(", ")))
}

/// "consumer lag: topic[partition] n ...", when the lag is known.
fn lag_line(lag: &[PartitionLag]) -> Option<String> {
    if lag.is_empty() {
        return None;
    }
    let parts: Vec<String> = lag
        .iter()
        .map(|l| format!("{}[{}] {}", l.topic, l.partition, l.lag))
        .collect();
    Some(format!("consumer lag: {}", parts.join("  ")))
}

/// The event-time windows as text: the watermark, the too-late counts, one row per window (the
/// table fitted into `width` columns when that is known).
pub fn render_windows(event_time: &EventTimeReport, width: Option<u16>) -> String {
    let too_late: u64 = event_time.too_late.values().sum();
    let mut out = format!(
        "event time: watermark {}, {too_late} too late{}\n",
        event_time.watermark.as_deref().unwrap_or("not yet known"),
        if too_late == 0 {
            String::new()
        } else {
            let per_topic: Vec<String> = event_time
                .too_late
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(topic, n)| format!("{topic} {n}"))
                .collect();
            format!(" ({})", per_topic.join(", "))
        }
    );
    let mut windows = table(
        vec![
            "window (UTC)",
            "",
            "events",
            "orders",
            "revenue",
            "view → purchase",
            "cart → purchase",
            "users",
        ],
        width,
    );
    for window in &event_time.windows {
        windows.add_row(window_row(window));
    }
    right_align(&mut windows, &[2, 3, 4, 5, 6, 7]);
    out.push_str(&format!("{windows}"));
    out
}

/// One window's row.
fn window_row(window: &WindowFigures) -> Vec<String> {
    // 2026-01-01T00:01:00.000Z to 00:01:00: the date once, then times.
    let start = window.start.replace('T', " ").replace(".000Z", "");
    let end = window.end.get(11..19).unwrap_or(&window.end).to_string();
    vec![
        format!("{start} – {end}"),
        if window.closed { "closed" } else { "open" }.to_string(),
        window.events.to_string(),
        window.orders.to_string(),
        window.revenue.to_string(),
        percent(window.view_to_purchase),
        percent(window.cart_to_purchase),
        match window.active_users_relative_error {
            // An estimate: about N, within its relative standard error.
            Some(error) => format!("≈{} (±{:.1}%)", window.active_users, error * 100.0),
            None => window.active_users.to_string(),
        },
    ]
}

#[cfg(test)]
mod tests;
