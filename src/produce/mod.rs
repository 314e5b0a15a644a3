//! What the four producer binaries share: a plan from the flags (plan), the producing loop
//! (sending: simulate, send, show, pace), then at the end (or on Ctrl-C) the flush and an account
//! of every event (report).

mod display;
mod pacer;
mod plan;
mod report;
mod sending;
mod single;

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use shopstream_core::lateness::Holdback;
use shopstream_core::simulator::{Quota, Quotas, Simulator};
use shopstream_core::{Timestamp, TopicKind};
use shopstream_kafka::Settings;
use shopstream_kafka::producer::EventProducer;

use display::{Display, choose_display, refresh};
use plan::Plan;
use report::{SummaryTo, outcome, print_report};
use sending::{Flow, Sender};
pub use single::{SingleProducerCli, single_producer_main};

/// Flags every producer takes.
#[derive(Debug, Args)]
pub struct PaceArgs {
    /// Events per second, 0 = as fast as the broker takes them [default: one event per EVENT_DELAY_MS per topic]
    #[arg(long, value_name = "EVENTS_PER_SECOND", allow_negative_numbers = true)]
    pub rate: Option<f64>,

    /// Stop after this long (e.g. 30s, 5m), even if the count is not reached (with --backfill:
    /// this long after the history is written)
    #[arg(long, value_parser = crate::parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,

    /// Run the simulated clock this many times faster than the wall clock (144: a day in ten
    /// minutes), each event sent when its time comes; --rate, if given, is then a ceiling [default
    /// without counts and without --rate: 1, the shop's own pace]
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,

    /// Where the simulated clock starts, RFC 3339 (e.g. 2026-03-02T00:00:00Z) [default: with
    /// --seed 2026-01-01T00:00:00Z, otherwise now less --backfill]
    #[arg(long, value_name = "TIME", value_parser = parse_timestamp)]
    pub start: Option<Timestamp>,

    /// Write this much simulated history first, as fast as the broker takes it, then go on live
    /// from where it ends, without a gap or an overlap (e.g. 1d, 12h)
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_duration)]
    pub backfill: Option<Duration>,

    /// A campaign, SPEC = START/DURATION/FACTOR (e.g. 2026-01-01T18:00:00Z/2h/3): session arrivals
    /// and purchase propensity times FACTOR while it is on (runs without counts); may be repeated
    // Parsed after clap, so that a bad value is one error line.
    #[arg(long, value_name = "SPEC")]
    pub campaign: Vec<String>,

    /// Make the run reproducible: the same seed gives the same events, ids and timestamps included
    #[arg(long)]
    pub seed: Option<u64>,

    /// No per-event lines or progress bar, only the final summary
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print each event as one JSON line on stdout (the summary goes to stderr)
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// At the end or on Ctrl-C, wait this long at most for the events in flight
    #[arg(long, default_value = "30s", value_parser = crate::parse_duration, value_name = "DURATION")]
    pub flush_timeout: Duration,

    /// Hold back this share of the events (0 to 1) and send each one later, once the event clock
    /// has moved on by up to --max-delay, its timestamp unchanged: arrival order then differs
    /// from event order, as with phones that come back online
    #[arg(long, value_name = "F")]
    pub late_fraction: Option<f64>,

    /// With --late-fraction: the longest a held-back event waits, in event time
    #[arg(long, default_value = "10s", requires = "late_fraction", value_parser = crate::parse_duration, value_name = "DURATION")]
    pub max_delay: Duration,

    /// Write only shard I of N of the run (e.g. 2/3): its own users and its share of every count,
    /// so that N processes given the same flags, shards 1/N to N/N, write the whole run together
    // Parsed after clap, so that a bad value is one error line (clap adds usage lines).
    #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
    pub shard: Option<String>,
}

fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|e| format!("{text} {e}, as in 2026-03-06T00:00:00Z"))
}

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
        catalog,
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
        Some(Simulator::with_options(&catalog, options)?)
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
