//! What the four producer binaries share: a plan from the flags (plan), the producing loop
//! (sending: simulate, send, show, pace), then at the end (or on Ctrl-C) the flush and an account
//! of every event (report).

mod display;
mod pace_args;
mod pacer;
mod plan;
mod report;
mod sending;
mod single;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use shopstream_core::TopicKind;
use shopstream_core::lateness::Holdback;
use shopstream_core::simulator::{Quota, Quotas, Simulator};
use shopstream_kafka::Settings;
use shopstream_kafka::producer::EventProducer;

use display::{Display, choose_display, refresh};
pub use pace_args::PaceArgs;
use plan::Plan;
use report::{SummaryTo, outcome, print_report};
use sending::{Flow, Sender};
pub use single::{SingleProducerCli, single_producer_main};

/// What to produce: the quotas per topic and a name for the client.
pub struct Job {
    pub tool: &'static str,
    pub quotas: Quotas,
    /// Where to write the ground truth of the acknowledged events, if anywhere.
    pub truth: Option<Truth>,
}

/// The ground-truth file: one JSON line per event-time window of the acknowledged events, with the
/// figures a correct consumer computes for it.
pub struct Truth {
    pub path: std::path::PathBuf,
    pub width: Duration,
}

impl Truth {
    /// Writes the file whole, or not at all: a temporary file beside it, renamed over it.
    fn write(&self, producer: &EventProducer) -> anyhow::Result<()> {
        let windows = producer.truth().unwrap_or_default();
        let mut text = String::new();
        for window in &windows {
            text.push_str(&serde_json::to_string(window)?);
            text.push('\n');
        }
        let partial = self.path.with_extension("partial");
        std::fs::write(&partial, text)
            .and_then(|()| std::fs::rename(&partial, &self.path))
            .with_context(|| format!("cannot write the ground truth to {}", self.path.display()))
    }
}

impl Job {
    fn targets(&self) -> Vec<TopicKind> {
        <TopicKind as strum::VariantArray>::VARIANTS
            .iter()
            .copied()
            .filter(|&t| self.quotas.get(t) != Quota::Off)
            .collect()
    }
}

/// Produces the job: plans it, connects, sends every event, flushes, reports; an error when an
/// event was not acknowledged.
pub fn run(
    settings: &Settings,
    timeout: Duration,
    pace: &PaceArgs,
    job: Job,
) -> anyhow::Result<ExitCode> {
    let targets = job.targets();
    let plan = Plan::new(settings, pace, job.quotas, &targets)?;
    let shard_line = plan.shard_line();
    let Plan {
        shop,
        quotas,
        seed,
        options,
        pacer,
        shown_rate,
        total,
        ..
    } = plan;
    // A shard whose share of every count is 0 (counts smaller than the number of shards) writes
    // nothing, and that is a success: the shards together still write the counts asked for.
    let mut simulator = if quotas.emits_any() {
        Some(Simulator::with_options(&shop, options)?)
    } else {
        None
    };
    let producer = EventProducer::connect(settings, timeout, &targets, job.tool)?;
    if let Some(truth) = &job.truth {
        producer.keep_truth(truth.width);
    }
    let display = choose_display(pace, shown_rate, total);
    let stop = crate::stop_on_ctrl_c()?;
    let mut holdback = match pace.late_fraction {
        Some(fraction) => Some(
            Holdback::new(fraction, pace.max_delay, seed)
                .context("--late-fraction, --max-delay")?,
        ),
        None => None,
    };
    let mut sender = Sender::new(producer, display, pacer, stop, pace.duration);
    let flow = sender.send_all(&mut simulator, &mut holdback)?;
    finish(settings, pace, &job, &targets, shard_line, sender, flow)
}

/// After the loop: the last --json lines, the flush, the ground truth, the report and the exit
/// choice.
fn finish(
    settings: &Settings,
    pace: &PaceArgs,
    job: &Job,
    targets: &[TopicKind],
    shard_line: Option<String>,
    sender: Sender,
    flow: Flow,
) -> anyhow::Result<ExitCode> {
    let started = sender.started();
    let Sender {
        producer,
        mut display,
        ..
    } = sender;
    let reader_gone = close_json(&mut display, flow == Flow::ReaderGone)?;
    if flow == Flow::Interrupted && !matches!(display, Display::Json(_)) {
        eprintln!(
            "stopping: flushing {} events in flight (Ctrl-C again to abort)",
            producer.in_flight()
        );
    }
    let unaccounted = producer.flush(pace.flush_timeout);
    let elapsed = started.elapsed();
    // Written whatever failed: it holds exactly what was acknowledged.
    if let Some(truth) = &job.truth {
        truth.write(&producer)?;
    }
    if let Display::Progress(bar) = &display {
        refresh(bar, &producer.counts(), started);
        bar.finish_and_clear();
    }
    let counts = producer.counts();
    let to = if reader_gone {
        SummaryTo::Nowhere
    } else if matches!(display, Display::Json(_)) {
        SummaryTo::Stderr
    } else {
        SummaryTo::Stdout
    };
    print_report(
        &producer, &counts, settings, targets, shard_line, elapsed, to,
    );
    outcome(
        &producer,
        &counts,
        settings,
        targets,
        unaccounted,
        pace.flush_timeout,
    )
}

/// Writes the last --json lines; says whether the reader is gone (then the display becomes
/// Quiet: the buffered lines cannot be written, and dropping the writer must not try again).
fn close_json(display: &mut Display, reader_gone: bool) -> anyhow::Result<bool> {
    let mut reader_gone = reader_gone;
    if let Display::Json(out) = display
        && !reader_gone
        && let Err(error) = out.flush()
    {
        reader_gone = error.kind() == std::io::ErrorKind::BrokenPipe;
        if !reader_gone {
            return Err(error.into());
        }
    }
    if reader_gone && let Display::Json(out) = std::mem::replace(display, Display::Quiet) {
        let (_, _) = out.into_parts();
    }
    Ok(reader_gone)
}
