//! The end of a run: the summary table, the failures, and the exit choice.

use std::process::ExitCode;
use std::time::Duration;

use comfy_table::{CellAlignment, Table, presets};
use indicatif::HumanCount;
use shopstream_core::{PerTopic, TopicKind};
use shopstream_kafka::producer::{EventProducer, TopicCounts};
use shopstream_kafka::{Settings, TopicNames};

/// Where the summary goes, if anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SummaryTo {
    Stdout,
    /// --json: stdout carries the events.
    Stderr,
    /// The reader of --json went away: it asked for no more.
    Nowhere,
}

/// Prints the summary (with the shard line above it, if any) and each failed delivery, except
/// on a topic the broker refuses this user: that is one line at the end (see `outcome`).
pub(super) fn print_report(
    producer: &EventProducer,
    counts: &PerTopic<TopicCounts>,
    settings: &Settings,
    targets: &[TopicKind],
    shard_line: Option<String>,
    elapsed: Duration,
    to: SummaryTo,
) {
    let mut report = summary_table(&settings.topics, targets, counts, elapsed);
    if let Some(line) = shard_line {
        // A line of its own above the table: the rows stay as scripts read them.
        report = format!("{line}\n{report}");
    }
    match to {
        SummaryTo::Stdout => println!("{report}"),
        SummaryTo::Stderr => eprintln!("{report}"),
        SummaryTo::Nowhere => {}
    }
    for failure in producer
        .failures()
        .into_iter()
        .filter(|f| counts[f.topic].denied == 0)
    {
        eprintln!(
            "failed: {} key {}: {}",
            settings.topics.name(failure.topic),
            failure.key,
            failure.reason
        );
    }
}

/// Success only when every event was acknowledged; otherwise the one error that says why.
pub(super) fn outcome(
    producer: &EventProducer,
    counts: &PerTopic<TopicCounts>,
    settings: &Settings,
    targets: &[TopicKind],
    unaccounted: u64,
    flush_timeout: Duration,
) -> anyhow::Result<ExitCode> {
    let failed: u64 = counts.values().map(|c| c.failed).sum();
    let denied: Vec<&str> = counts
        .iter()
        .filter(|(_, c)| c.denied > 0)
        .map(|(topic, _)| settings.topics.name(topic))
        .collect();
    if let Some(fatal) = producer.fatal_error() {
        return Err(fatal.into());
    }
    if unaccounted > 0 {
        anyhow::bail!(
            "{unaccounted} events were still unacknowledged after {flush_timeout:?}: {}",
            producer
                .last_problem()
                .unwrap_or_else(|| "no reason given".to_string())
        );
    }
    if !denied.is_empty() {
        anyhow::bail!(
            "not authorized to write {} ({failed} events failed; the broker's ACLs must allow \
             this user to write there)",
            denied.join(", ")
        );
    }
    if failed > 0 {
        if let Some(reason) = replicas_down(producer, settings, targets) {
            anyhow::bail!("{failed} events failed: {reason}");
        }
        anyhow::bail!("{failed} events failed (see above)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Why writes failed when the cause is brokers down: librdkafka retries until the message times
/// out and then reports only the timeout, so the brokers the cluster lists are looked at. None
/// when every one of them answers.
fn replicas_down(
    producer: &EventProducer,
    settings: &Settings,
    targets: &[TopicKind],
) -> Option<String> {
    let names: Vec<&str> = targets.iter().map(|&t| settings.topics.name(t)).collect();
    let down = producer.replicas_down(&names, Duration::from_secs(5))?;
    let brokers: Vec<String> = down
        .down
        .iter()
        .map(|(id, address)| format!("node {id} at {address}"))
        .collect();
    let mut text = format!(
        "not enough in-sync replicas (NOT_ENOUGH_REPLICAS): {} of the cluster's {} brokers {} down ({})",
        down.down.len(),
        down.brokers,
        if down.down.len() == 1 { "is" } else { "are" },
        brokers.join(", ")
    );
    if down.partitions > 0 {
        text.push_str(&format!(
            "; {} partitions of {} have only {} replica{} up, and an acknowledged write needs \
             min.insync.replicas of them",
            down.partitions,
            names.join(", "),
            down.fewest_up,
            if down.fewest_up == 1 { "" } else { "s" }
        ));
    }
    Some(text)
}

/// The per-topic table (a total row when there are several topics) and the time taken.
pub(super) fn summary_table(
    names: &TopicNames,
    targets: &[TopicKind],
    counts: &PerTopic<TopicCounts>,
    elapsed: Duration,
) -> String {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(vec!["topic", "sent", "acknowledged", "failed", "events/s"]);
    let seconds = elapsed.as_secs_f64().max(1e-3);
    let mut total = TopicCounts::default();
    for &topic in targets {
        let c = counts[topic];
        total.sent += c.sent;
        total.acknowledged += c.acknowledged;
        total.failed += c.failed;
        table.add_row(row(names.name(topic), c, seconds));
    }
    if targets.len() > 1 {
        table.add_row(row("total", total, seconds));
    }
    for index in 1..5 {
        if let Some(column) = table.column_mut(index) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    format!("{table}\nin {:.1}s", elapsed.as_secs_f64())
}

fn row(name: &str, c: TopicCounts, seconds: f64) -> Vec<String> {
    vec![
        name.to_string(),
        HumanCount(c.sent).to_string(),
        HumanCount(c.acknowledged).to_string(),
        HumanCount(c.failed).to_string(),
        HumanCount((c.acknowledged as f64 / seconds).round() as u64).to_string(),
    ]
}

#[cfg(test)]
mod tests;
