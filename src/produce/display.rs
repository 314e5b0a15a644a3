//! What a producer shows while it runs: a line per event, a progress bar, JSON lines or nothing.

use std::io::{BufWriter, IsTerminal, Write};
use std::time::Instant;

use colored::Colorize;
use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use shopstream_core::{Event, PerTopic};
use shopstream_kafka::producer::TopicCounts;

use super::pace_args::PaceArgs;
use crate::describe;

/// Above this rate, per-event lines are too fast to read: a progress bar replaces them.
const MAX_LINES_PER_SECOND: f64 = 50.0;

pub(super) enum Display {
    Lines,
    Progress(ProgressBar),
    Json(BufWriter<std::io::Stdout>),
    Quiet,
}

/// The display for the flags and the rate events are expected to come at (0: as fast as the
/// broker takes them); `total` is the number of events when the run has counts.
pub(super) fn choose_display(pace: &PaceArgs, rate: f64, total: Option<u64>) -> Display {
    if pace.json {
        return Display::Json(BufWriter::new(std::io::stdout()));
    }
    if pace.quiet {
        return Display::Quiet;
    }
    if rate > 0.0 && rate <= MAX_LINES_PER_SECOND {
        return Display::Lines;
    }
    let bar = match total {
        Some(total) => ProgressBar::new(total),
        None => ProgressBar::no_length(),
    };
    let template = if total.is_some() {
        "{spinner} {elapsed_precise} [{bar:30}] {human_pos}/{human_len} sent  {msg}"
    } else {
        "{spinner} {elapsed_precise} {human_pos} sent  {msg}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    // Drawn on stderr only when it is a terminal; elsewhere only the summary is printed.
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    Display::Progress(bar)
}

/// Shows one event; `json` is its JSON as sent, so --json writes it without encoding it again.
pub(super) fn show(display: &mut Display, event: &Event<'_>, json: &[u8]) -> anyhow::Result<()> {
    match display {
        Display::Lines => {
            let topic = event.topic();
            println!(
                "{}  {}  {}",
                describe::clock(event).dimmed(),
                describe::paint(&format!("{:<16}", event.event_type().as_str()), topic),
                describe::summary(event)
            );
        }
        // The bar's position is set with its message (refresh), not per event.
        Display::Progress(_) => {}
        Display::Json(out) => {
            out.write_all(json)?;
            out.write_all(b"\n")?;
        }
        Display::Quiet => {}
    }
    Ok(())
}

/// The bar's position and message from the counts so far.
pub(super) fn refresh(bar: &ProgressBar, counts: &PerTopic<TopicCounts>, started: Instant) {
    let sent: u64 = counts.values().map(|c| c.sent).sum();
    let acknowledged: u64 = counts.values().map(|c| c.acknowledged).sum();
    let failed: u64 = counts.values().map(|c| c.failed).sum();
    let rate = sent as f64 / started.elapsed().as_secs_f64().max(1e-3);
    bar.set_position(sent);
    bar.set_message(format!(
        "{} acknowledged  {} failed  {} events/s",
        HumanCount(acknowledged),
        HumanCount(failed),
        HumanCount(rate.round() as u64)
    ));
}
