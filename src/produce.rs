//! The producing loop the four producer binaries share: simulate, send, show, pace, and at the end
//! (or on Ctrl-C) flush and account for every event.

use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use colored::Colorize;
use comfy_table::{CellAlignment, Table, presets};
use indicatif::{HumanCount, ProgressBar, ProgressDrawTarget, ProgressStyle};
use shopstream_core::behaviour::Behaviour;
use shopstream_core::campaign::Campaign;
use shopstream_core::lateness::Holdback;
use shopstream_core::shard::Shard;
use shopstream_core::simulator::{Quota, Quotas, SEEDED_EPOCH, Simulator, SimulatorOptions};
use shopstream_core::{Catalog, Event, PerTopic, Timestamp, TopicKind};
use shopstream_kafka::producer::{EventProducer, TopicCounts};
use shopstream_kafka::{Settings, TopicNames};

use crate::describe;

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

/// When each event goes out.
enum Pacer {
    /// One event every `interval` (None: as fast as the broker takes them), from the start.
    Rate { interval: Option<Duration> },
    /// By event time: events before `live_from` (ms, the end of --backfill) as fast as the
    /// broker takes them, then each when the wall clock reaches its timestamp, `scale` times
    /// faster, with `ceiling` (from --rate) as the shortest interval.
    EventTime {
        live_from: i64,
        scale: f64,
        ceiling: Option<Duration>,
        /// When the live part began, and the events sent since.
        live: Option<(Instant, u64)>,
    },
}

impl Pacer {
    /// When to send an event of event time `at` (ms), the `sent`-th of the run; None: now.
    /// Starts the live part with the first event past the history.
    fn slot(&mut self, at: i64, started: Instant, sent: u64) -> Option<Instant> {
        match self {
            Pacer::Rate { interval } => {
                interval.map(|interval| started + interval.mul_f64(sent as f64))
            }
            Pacer::EventTime {
                live_from,
                scale,
                ceiling,
                live,
            } => {
                if at < *live_from && live.is_none() {
                    return None;
                }
                let (since, count) = live.get_or_insert_with(|| (Instant::now(), 0));
                *count += 1;
                let ahead =
                    Duration::from_secs_f64((at - *live_from).max(0) as f64 / 1000.0 / *scale);
                let by_clock = *since + ahead;
                Some(match ceiling {
                    Some(interval) => by_clock.max(*since + interval.mul_f64(*count as f64)),
                    None => by_clock,
                })
            }
        }
    }

    /// When --duration starts counting: at once, or once the history is written.
    fn live_since(&self, started: Instant) -> Option<Instant> {
        match self {
            Pacer::Rate { .. } => Some(started),
            Pacer::EventTime { live, .. } => live.map(|(since, _)| since),
        }
    }
}

/// What the producing loop does after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Go,
    /// `--json | head`: the reader is gone; stop writing events, deliver those sent, say nothing.
    ReaderGone,
    /// Ctrl-C.
    Interrupted,
    /// --duration is over.
    Deadline,
}

/// Above this rate, per-event lines are too fast to read: a progress bar replaces them.
const MAX_LINES_PER_SECOND: f64 = 50.0;

/// Events sent between two looks at the clock (for the progress bar and --duration) when the
/// loop does not wait: well under a millisecond at full speed.
const CLOCK_EVERY: u64 = 256;

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

enum Display {
    Lines,
    Progress(ProgressBar),
    Json(BufWriter<std::io::Stdout>),
    Quiet,
}

pub fn run(
    settings: &Settings,
    timeout: Duration,
    pace: &PaceArgs,
    job: Job,
) -> anyhow::Result<ExitCode> {
    let targets = job.targets();
    let rate = match pace.rate {
        Some(rate) if rate.is_finite() && rate >= 0.0 => rate,
        Some(rate) => anyhow::bail!("--rate must be a number >= 0, not {rate}"),
        None if settings.event_delay_ms == 0 => 0.0,
        None => targets.len() as f64 * 1000.0 / settings.event_delay_ms as f64,
    };
    let shard = match &pace.shard {
        Some(text) => Some(text.parse::<Shard>().context("--shard")?),
        None => None,
    };
    let catalog = Catalog::load(&settings.products_file, &settings.users_file)?;
    let all_users = catalog.users.len();
    let (catalog, quotas, seed) = match shard {
        Some(shard) => (
            shard
                .catalog(catalog)
                .with_context(|| settings.users_file.display().to_string())?,
            shard.quotas(job.quotas),
            pace.seed.map(|seed| shard.seed(seed)),
        ),
        None => (catalog, job.quotas, pace.seed),
    };
    let campaigns = pace
        .campaign
        .iter()
        .map(|text| text.parse::<Campaign>().context("--campaign"))
        .collect::<anyhow::Result<Vec<Campaign>>>()?;
    let scale = match pace.time_scale {
        Some(x) if x.is_finite() && x > 0.0 => Some(x),
        Some(x) => anyhow::bail!("--time-scale must be a number above 0, not {x}"),
        None => None,
    };
    // By event time: asked for, or a run without counts and without --rate (the shop's pace).
    let by_event_time = scale.is_some()
        || pace.backfill.is_some()
        || pace.start.is_some()
        || (quotas.free_running() && pace.rate.is_none());
    let backfill_ms = pace
        .backfill
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let start = match pace.start {
        Some(start) => Some(start),
        None if !by_event_time => None,
        None if seed.is_some() => Some(Timestamp::from_millis(SEEDED_EPOCH)),
        None => Some(Timestamp::from_millis(
            Timestamp::now().millis().saturating_sub(backfill_ms),
        )),
    };
    // Read once: the simulator's model without counts, and the expected pace by event time.
    let behaviour = if quotas.free_running() || by_event_time {
        let mut behaviour = Behaviour::load(&settings.behaviour_file);
        if let Ok(behaviour) = &mut behaviour {
            // A shard's users bring their share of the shop's sessions.
            behaviour.traffic.sessions_per_day *=
                catalog.users.len() as f64 / all_users.max(1) as f64;
        }
        Some(behaviour)
    } else {
        None
    };
    let sessions_per_day = match &behaviour {
        Some(Ok(behaviour)) => behaviour.traffic.sessions_per_day,
        _ => 4000.0,
    };
    let mut options = SimulatorOptions::new(seed, quotas).campaigns(campaigns);
    if quotas.free_running()
        && let Some(behaviour) = behaviour
    {
        options = options.behaviour(behaviour?);
    }
    if let Some(start) = start {
        options = options.start(start);
    }
    let mut pacer = match start {
        Some(start) if by_event_time => Pacer::EventTime {
            live_from: start.millis().saturating_add(backfill_ms),
            scale: scale.unwrap_or(1.0),
            ceiling: pace
                .rate
                .filter(|rate| *rate > 0.0)
                .map(|rate| Duration::from_secs_f64(1.0 / rate)),
            live: None,
        },
        _ => Pacer::Rate {
            interval: (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate)),
        },
    };
    // A shard whose share of every count is 0 (counts smaller than the number of shards) writes
    // nothing, and that is a success: the shards together still write the counts asked for.
    let mut simulator = if quotas.emits_any() {
        Some(Simulator::with_options(&catalog, options)?)
    } else {
        None
    };
    let mut producer = EventProducer::connect(settings, timeout, &targets, job.tool)?;
    if let Some(truth) = &job.truth {
        producer.keep_truth(truth.width);
    }

    let total = targets.iter().map(|&t| match quotas.get(t) {
        Quota::Exactly(n) => Some(n),
        Quota::Off => Some(0),
        Quota::Unlimited => None,
    });
    let total: Option<u64> = total.sum();
    // Lines when they come slowly enough to read: by event time, about ten events a session.
    let shown_rate = match &pacer {
        Pacer::EventTime { .. } if pace.backfill.is_some() => 0.0,
        Pacer::EventTime { scale, .. } => sessions_per_day * 10.0 * scale / 86_400.0,
        Pacer::Rate { .. } => rate,
    };
    let mut display = choose_display(pace, shown_rate, total);

    let stop = crate::stop_on_ctrl_c()?;

    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut last_refresh = Instant::now();
    let mut interrupted = false;
    // `--json | head`: the reader is gone; stop writing events, deliver those sent, say nothing.
    let mut reader_gone = false;
    let mut holdback = match pace.late_fraction {
        Some(fraction) => Some(
            Holdback::new(fraction, pace.max_delay, seed)
                .context("--late-fraction, --max-delay")?,
        ),
        None => None,
    };
    // Sends one event, shows it, keeps the pace; says whether to go on.
    let mut emit = |event: &Event<'_>, paced: bool| -> anyhow::Result<Flow> {
        // Clocks are read every CLOCK_EVERY events or after a wait, not per event: at full speed
        // a clock read costs as much as a tenth of the rest of the event.
        let mut waited = false;
        if paced && let Some(slot) = pacer.slot(event.timestamp.millis(), started, sent) {
            // About to wait: what is shown so far goes out now, so that a reader of --json sees
            // each event when it happens, not when a buffer fills.
            if let Display::Json(out) = &mut display
                && slot > Instant::now() + Duration::from_millis(1)
                && let Err(error) = out.flush()
            {
                if error.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(Flow::ReaderGone);
                }
                return Err(error.into());
            }
            waited = wait_for_slot(&producer, slot, &stop);
        }
        producer.send(event)?;
        sent += 1;
        if let Err(error) = show(&mut display, event, producer.last_payload()) {
            if crate::is_broken_pipe(&error) {
                return Ok(Flow::ReaderGone);
            }
            return Err(error);
        }
        let look_at_clock = waited || sent % CLOCK_EVERY == 0;
        if look_at_clock
            && let Display::Progress(bar) = &display
            && last_refresh.elapsed() >= Duration::from_millis(100)
        {
            last_refresh = Instant::now();
            refresh(bar, &producer.counts(), started);
        }
        if stop.load(Ordering::Relaxed) {
            return Ok(Flow::Interrupted);
        }
        if look_at_clock
            && let (Some(duration), Some(since)) = (pace.duration, pacer.live_since(started))
            && since.elapsed() >= duration
        {
            return Ok(Flow::Deadline);
        }
        Ok(Flow::Go)
    };
    let mut flow = Flow::Go;
    while let Some(event) = simulator.as_mut().and_then(Simulator::next_event) {
        let clock = event.timestamp.millis();
        if !holdback.as_mut().is_some_and(|h| h.hold(&event)) {
            flow = emit(&event, true)?;
        }
        // Held events whose delay the event clock has now passed.
        while flow == Flow::Go
            && let Some(late) = holdback.as_mut().and_then(|h| h.due(clock))
        {
            flow = emit(&late, true)?;
        }
        if flow != Flow::Go {
            break;
        }
    }
    // The events still held belong to the run: sent now, at once, unless nobody reads them.
    if flow != Flow::ReaderGone {
        while let Some(late) = holdback.as_mut().and_then(Holdback::next_remaining) {
            if emit(&late, false)? == Flow::ReaderGone {
                flow = Flow::ReaderGone;
                break;
            }
        }
    }
    match flow {
        Flow::ReaderGone => reader_gone = true,
        Flow::Interrupted => interrupted = true,
        Flow::Go | Flow::Deadline => {}
    }

    if let Display::Json(out) = &mut display
        && !reader_gone
        && let Err(error) = out.flush()
    {
        reader_gone = error.kind() == std::io::ErrorKind::BrokenPipe;
        if !reader_gone {
            return Err(error.into());
        }
    }
    if reader_gone {
        // The buffered lines cannot be written; dropping the writer must not try again.
        if let Display::Json(out) = std::mem::replace(&mut display, Display::Quiet) {
            let (_, _) = out.into_parts();
        }
    }
    if interrupted && !matches!(display, Display::Json(_)) {
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
    let failed: u64 = counts.values().map(|c| c.failed).sum();
    let mut report = summary_table(&settings.topics, &targets, &counts, elapsed);
    if let Some(shard) = shard {
        // A line of its own above the table: the rows stay as scripts read them.
        report = format!(
            "shard {shard}: {} of the {all_users} users\n{report}",
            catalog.users.len()
        );
    }
    if reader_gone {
        // Quiet: the reader asked for no more.
    } else if matches!(display, Display::Json(_)) {
        eprintln!("{report}");
    } else {
        println!("{report}");
    }
    // A topic the broker refuses to let this user write is one line at the end, not a line per event.
    let denied: Vec<&str> = counts
        .iter()
        .filter(|(_, c)| c.denied > 0)
        .map(|(topic, _)| settings.topics.name(topic))
        .collect();
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
    if let Some(fatal) = producer.fatal_error() {
        return Err(fatal.into());
    }
    if unaccounted > 0 {
        anyhow::bail!(
            "{unaccounted} events were still unacknowledged after {:?}: {}",
            pace.flush_timeout,
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
        if let Some(reason) = replicas_down(&producer, settings, &targets) {
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

fn choose_display(pace: &PaceArgs, rate: f64, total: Option<u64>) -> Display {
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
fn show(display: &mut Display, event: &Event<'_>, json: &[u8]) -> anyhow::Result<()> {
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

/// Waits until `slot`, serving delivery reports meanwhile. Less than a millisecond ahead it does
/// not wait (the next events catch up in a short burst), so high rates do not spin.
/// Says whether it waited.
fn wait_for_slot(producer: &EventProducer, slot: Instant, stop: &AtomicBool) -> bool {
    let mut waited = false;
    loop {
        let ahead = slot.saturating_duration_since(Instant::now());
        if ahead < Duration::from_millis(1) || stop.load(Ordering::Relaxed) {
            return waited;
        }
        waited = true;
        producer.poll(ahead.min(Duration::from_millis(100)));
    }
}

fn refresh(bar: &ProgressBar, counts: &PerTopic<TopicCounts>, started: Instant) {
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

fn summary_table(
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

/// The command line of product-producer, purchase-producer and user-producer: one struct, with
/// the count's environment variable set per tool.
#[derive(Debug, clap::Parser)]
#[command(version)]
pub struct SingleProducerCli {
    #[command(flatten)]
    pub kafka: crate::KafkaArgs,

    /// Events to write, 0 = until Ctrl-C (or --duration)
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,

    #[command(flatten)]
    pub pace: PaceArgs,

    #[command(flatten)]
    pub common: crate::CommonArgs,
}

/// `main` of a single-topic producer.
pub fn single_producer_main(
    tool: &'static str,
    topic: TopicKind,
    count_setting: &'static str,
    about: &'static str,
) -> ExitCode {
    crate::run(|| {
        use clap::{CommandFactory, FromArgMatches};
        let command = SingleProducerCli::command()
            .name(tool)
            .bin_name(tool)
            .about(about)
            .mut_arg("count", |arg| {
                arg.help(crate::setting_help(count_setting))
                    .value_parser(crate::setting_parser::<u64>(count_setting))
            })
            .after_help(format!(
                "Examples:\n  {tool}                       # the .env count, one event per EVENT_DELAY_MS\n  {tool} --count 1000 --rate 100\n  {tool} --count 0 --rate 0     # as fast as possible until Ctrl-C\n  {tool} --seed 42 --json | jq ."
            ));
        let cli = SingleProducerCli::from_arg_matches(&command.get_matches())?;
        crate::start(&cli.common, tool);
        let settings = crate::settings(&cli.kafka)?;
        let count = cli.count.unwrap_or(match topic {
            TopicKind::ProductEvents => settings.product_events_count,
            TopicKind::Purchases => settings.purchase_events_count,
            TopicKind::UserEvents => settings.user_events_count,
        });
        run(
            &settings,
            cli.kafka.connect_timeout,
            &cli.pace,
            Job {
                tool,
                quotas: Quotas::only(topic, count),
                truth: None,
            },
        )
    })
}
