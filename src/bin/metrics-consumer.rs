//! metrics-consumer: business metrics over the three topics, every N events and at the end.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Parser;
use colored::Colorize;
use shopstream::consumer_args::ConsumeArgs;
use shopstream::figures::{self, Figures, Snapshot, describe_coverage};
use shopstream::serve::{self, Dashboard, JsonReport};
use shopstream::{CommonArgs, KafkaArgs, report, setting_help, setting_parser};
use shopstream_core::checkpoint::Checkpoint;
use shopstream_core::metrics::MetricsEngine;
use shopstream_core::windows::{Placement, WindowRules, window_start};
use shopstream_core::{PerTopic, Timestamp};
use shopstream_kafka::admin::TopicAdmin;
use shopstream_kafka::consume::parallel::ParallelHandler;
use shopstream_kafka::consume::{Handler, Incoming, Session};
use shopstream_kafka::consumer::{OffsetKeeping, PartitionLag};
use shopstream_kafka::exactly_once::{self, ExactlyOnce, StateReader};

/// Business metrics over product-events, purchases and user-events, live.
///
/// Prints a report every --every messages (on a terminal at most about once a second) and a final
/// one on exit (--max-messages, --timeout or Ctrl-C): events by type, region and customer type;
/// top 5 products by views, add_to_cart and quantity purchased; view-to-purchase and
/// cart-to-purchase conversion; revenue overall and by region; orders and average order value;
/// rejected messages and consumer lag per partition.
///
/// Several instances in one group share the partitions. With --exactly-once each keeps its
/// partitions' state in Kafka transactions and shows the whole group's figures, exact across
/// crashes and rebalances; --view shows them without consuming.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  metrics-consumer                                     # new events, a report every 20\n  metrics-consumer --from-beginning --group audit-1 --timeout 5s\n  metrics-consumer --json --every 1000 | jq .revenue\n  metrics-consumer --checkpoint m.checkpoint --from-beginning   # exact on one machine\n  metrics-consumer --exactly-once --group shop --from-beginning # exact, any machines\n  metrics-consumer --view --group shop --json                   # that group's figures"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[command(flatten)]
    consume: ConsumeArgs,

    #[arg(long, value_name = "N", help = setting_help("METRICS_REPORT_EVERY"), value_parser = setting_parser::<u64>("METRICS_REPORT_EVERY"))]
    every: Option<u64>,

    /// Keep the figures and the offsets they cover in this file (replaced atomically), and resume
    /// from it: after any kill and restart the figures are exact, every event counted once (one
    /// machine; see --exactly-once for a group)
    #[arg(long, value_name = "PATH", conflicts_with_all = ["exactly_once", "view"])]
    checkpoint: Option<PathBuf>,

    /// Forget the checkpoint and start over
    #[arg(long, requires = "checkpoint")]
    reset: bool,

    /// Exact figures across a group of instances (as many as there are partitions, on any
    /// machines): each commits its partitions' state to the state topic together with its offsets
    /// in one Kafka transaction, restores a partition it is given from there, and reports the
    /// whole group's figures
    #[arg(long, conflicts_with = "view")]
    exactly_once: bool,

    /// Only show the figures of the exactly-once group --group, from the state topic, without
    /// consuming events: once (or, with --serve, live until Ctrl-C)
    #[arg(long)]
    view: bool,

    #[arg(long, value_name = "TOPIC", help = setting_help("METRICS_STATE_TOPIC"), value_parser = setting_parser::<String>("METRICS_STATE_TOPIC"))]
    state_topic: Option<String>,

    #[arg(long, value_name = "N", help = setting_help("METRICS_THREADS"), value_parser = setting_parser::<u64>("METRICS_THREADS"))]
    threads: Option<u64>,

    /// Also keep figures per window of event time (tumbling windows by each event's timestamp,
    /// aligned to the epoch): this wide, or without a value METRICS_WINDOW wide (default 1m)
    #[arg(long, value_name = "DURATION", num_args = 0..=1, value_parser = setting_parser::<Duration>("METRICS_WINDOW"))]
    window: Option<Option<Duration>>,

    /// With --window (or --view): how many of the latest windows to keep and report
    #[arg(long, value_name = "N", default_value = "10", value_parser = clap::value_parser!(u64).range(1..=100_000))]
    windows: u64,

    /// With --window: how far behind the watermark (the latest event time of the partitions
    /// read, the slowest that is not idle) an event may be and still count; a window closes
    /// when the watermark passes its end by this much, and an event for a closed window is
    /// counted as too late
    #[arg(long, value_name = "DURATION", default_value = "30s", requires = "window", value_parser = shopstream::parse_duration)]
    allowed_lateness: Duration,

    #[arg(long, value_name = "HOST:PORT", help = setting_help("METRICS_SERVE"), value_parser = setting_parser::<String>("METRICS_SERVE"))]
    serve: Option<String>,

    /// Commit (the checkpoint file, or with --exactly-once the transaction) every this many
    /// messages, and at least every second, and at exit
    #[arg(long, alias = "checkpoint-every", default_value = "5000", value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    commit_every: u64,

    #[command(flatten)]
    common: CommonArgs,
}

const DEFAULT_GROUP: &str = "shopstream-metrics";

/// The dead letters' `shopstream.reject.kind` of an event that came too late for its window.
const TOO_LATE: &str = "too_late";

/// A partition read to its end and without an event for this long no longer holds the event-time
/// watermark back.
const WINDOW_IDLE_AFTER: Duration = Duration::from_secs(5);
/// The same for a partition not read from yet, or read by another member of the group.
const WINDOW_UNKNOWN_IDLE_AFTER: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli: Cli = shopstream::parse_cli(|command| {
        shopstream::consumer_args::with_default_group(command, DEFAULT_GROUP)
    });
    shopstream::start(&cli.common, "metrics-consumer");
    let mut settings = shopstream::settings(&cli.kafka)?;
    if let Some(topic) = &cli.state_topic {
        settings.metrics_state_topic = topic.clone();
    }
    let group = cli
        .consume
        .group
        .clone()
        .unwrap_or_else(|| DEFAULT_GROUP.to_string());
    // The dashboard binds first: a taken port is reported before anything else happens.
    let dashboard = match cli.serve.clone().or(settings.metrics_serve.clone()) {
        Some(address) => {
            let names = PerTopic::from_fn(|kind| settings.topics.name(kind).to_string());
            let dashboard = Dashboard::new(&group, names);
            let bound = serve::start(&address, Arc::clone(&dashboard))?;
            eprintln!("dashboard: http://{bound}/  (JSON: /api/metrics, Prometheus: /metrics)");
            Some(dashboard)
        }
        None => None,
    };
    let printer = Printer {
        json: cli.consume.json,
        group: group.clone(),
    };
    if cli.view {
        return view(&cli, &settings, &printer, dashboard);
    }

    let topic_names: Vec<String> = cli
        .consume
        .topic_kinds()
        .iter()
        .map(|&kind| settings.topics.name(kind).to_string())
        .collect();
    anyhow::ensure!(
        !(cli.exactly_once && cli.consume.dead_letter_topic.is_some()),
        "--exactly-once and --dead-letter-topic do not go together: dead letters are not part of \
         the transaction, so a partition read again would copy its rejects again"
    );
    let threads = reader_threads(&cli, &settings)?;
    let window_rules = cli.window.map(|width| WindowRules {
        width: width.unwrap_or(settings.metrics_window),
        keep: usize::try_from(cli.windows).unwrap_or(usize::MAX),
        allowed_lateness: cli.allowed_lateness,
        idle_after: WINDOW_IDLE_AFTER,
        unknown_idle_after: WINDOW_UNKNOWN_IDLE_AFTER,
    });
    let (mut figures, offsets) = if cli.exactly_once {
        let member = ExactlyOnce::start(
            &settings,
            exactly_once::Config {
                group: group.clone(),
                topics: topic_names.clone(),
                state_topic: settings.metrics_state_topic.clone(),
                from_beginning: cli.consume.from_beginning,
                commit_every: cli.commit_every,
                timeout: cli.kafka.connect_timeout,
                windows: window_rules,
            },
        )?;
        let hook = member.hook();
        let figures = Figures::Group {
            member,
            partitions_total: 0,
            keep_windows: 0,
        };
        (figures, OffsetKeeping::Transactional(hook))
    } else {
        // The engine and the offsets it covers live together: in memory always, on disk with
        // --checkpoint (where they then also decide where reading starts).
        let state = match &cli.checkpoint {
            Some(path) => {
                if cli.reset {
                    Checkpoint::remove(path)?;
                }
                Checkpoint::load(path, &topic_names)?
                    .unwrap_or_else(|| Checkpoint::new(topic_names))
            }
            None => Checkpoint::new(topic_names),
        };
        let offsets = match &cli.checkpoint {
            Some(_) => OffsetKeeping::Assigned(state.offsets.clone()),
            None => OffsetKeeping::Group,
        };
        let figures = if threads > 1 {
            Figures::Threads {
                engines: Vec::new(),
                windows: None,
            }
        } else {
            Figures::local(state, cli.checkpoint.clone(), cli.commit_every)
        };
        (figures, offsets)
    };
    let session = cli.consume.connect(
        &settings,
        cli.kafka.connect_timeout,
        DEFAULT_GROUP,
        "shopstream-metrics-consumer",
        offsets,
    )?;
    if let Figures::Group {
        partitions_total, ..
    } = &mut figures
    {
        *partitions_total = session.consumer.partition_count();
    }
    if let Some(rules) = window_rules {
        figures = figures.with_windows(rules, session.consumer.partitions())?;
    }
    let every = cli.every.unwrap_or(settings.metrics_report_every);
    if !cli.consume.json {
        let mode = if cli.exactly_once {
            format!(
                " (exactly once, state on {}; figures of the whole group)",
                settings.metrics_state_topic
            )
        } else {
            String::new()
        };
        eprintln!(
            "metrics over {} as group {}{mode}: a report every {every} messages; Ctrl-C for the final one",
            settings.bootstrap_servers, session.subscription.group
        );
    }
    let mut metrics = Metrics {
        figures,
        printer,
        every,
        seen: 0,
        session: &session,
        dashboard,
        last_publish: Instant::now(),
        report_due: false,
        paced: !cli.consume.json && std::io::stdout().is_terminal(),
        last_report: None,
        last_lag_note: Instant::now(),
        window_width: window_rules.map(|rules| rules.width),
    };
    metrics.publish()?;
    if threads > 1 {
        session.run_parallel(threads, &cli.consume.limits(), &mut metrics)?;
    } else {
        session.run(&cli.consume.limits(), &mut metrics)?;
    }
    metrics.figures.finish(session.consumer.base())?;
    let lag = session
        .consumer
        .exact_lag(Duration::from_secs(5))
        .unwrap_or_else(|error| {
            tracing::warn!("{error}; showing the lag of the last statistics instead");
            session.consumer.lag()
        });
    let snapshot = metrics.figures.snapshot()?;
    metrics.printer.print("final", &snapshot, &lag)?;
    if let Figures::Group { member, .. } = &metrics.figures
        && !cli.consume.json
    {
        let activity = member.activity();
        eprintln!(
            "exactly once: {} transactions committed, {} aborted, {} partition states restored",
            activity.commits, activity.aborts, activity.restored
        );
    }
    if let Some(dashboard) = &metrics.dashboard {
        dashboard.publish(snapshot, lag);
    }
    Ok(ExitCode::SUCCESS)
}

/// `--view`: the group's figures from the state topic alone.
/// Reader threads: --threads, else METRICS_THREADS; 0 means one per core. Several only where the
/// group keeps the offsets: a checkpoint or a transaction holds one engine with its offsets.
fn reader_threads(cli: &Cli, settings: &shopstream_kafka::Settings) -> anyhow::Result<usize> {
    let asked = cli.threads.unwrap_or(settings.metrics_threads);
    let threads = match asked {
        0 => std::thread::available_parallelism().map_or(1, usize::from),
        n => usize::try_from(n).unwrap_or(usize::MAX),
    };
    let single = if cli.exactly_once {
        Some("--exactly-once")
    } else if cli.checkpoint.is_some() {
        Some("--checkpoint")
    } else {
        None
    };
    match single {
        Some(mode) if threads > 1 && cli.threads.is_some() => anyhow::bail!(
            "--threads {asked} does not go with {mode}: its figures and offsets are kept together \
             on one thread (several threads read with the group's offsets only)"
        ),
        Some(mode) if threads > 1 => {
            tracing::info!("METRICS_THREADS={asked} ignored with {mode}: reading on one thread");
            Ok(1)
        }
        _ => Ok(threads),
    }
}

fn view(
    cli: &Cli,
    settings: &shopstream_kafka::Settings,
    printer: &Printer,
    dashboard: Option<Arc<Dashboard>>,
) -> anyhow::Result<ExitCode> {
    let timeout = cli.kafka.connect_timeout;
    let admin = TopicAdmin::connect(settings, timeout)?;
    let state_topic = &settings.metrics_state_topic;
    if admin.describe(&[state_topic])?.is_empty() {
        anyhow::bail!(
            "state topic {state_topic} does not exist on {} (it is made by setup-topics, or by the \
             first metrics-consumer --exactly-once)",
            settings.bootstrap_servers
        );
    }
    let names: Vec<&str> = cli
        .consume
        .topic_kinds()
        .iter()
        .map(|&kind| settings.topics.name(kind))
        .collect();
    let partitions_total = admin.describe(&names)?.iter().map(|t| t.partitions).sum();
    let inputs: Vec<String> = names.iter().map(ToString::to_string).collect();
    let mut reader = StateReader::connect(settings, state_topic, &printer.group, &inputs, timeout)?;
    if !reader.catch_up(Duration::from_secs(30))? {
        tracing::warn!("the state topic did not catch up within 30s: showing what was read");
    }
    let keep_windows = usize::try_from(cli.windows).unwrap_or(usize::MAX);
    let figures = |reader: &StateReader| -> anyhow::Result<(Snapshot, Vec<PartitionLag>)> {
        let (mut engine, coverage) = reader.states().merged([], None, partitions_total);
        let snapshot = Snapshot {
            report: engine.report(),
            coverage: Some(coverage),
            event_time: figures::group_event_time(&mut engine, keep_windows),
        };
        Ok((snapshot, reader.lag(timeout)?))
    };
    if let Some(dashboard) = dashboard {
        let stop = shopstream::stop_on_ctrl_c()?;
        if !cli.consume.json {
            eprintln!(
                "viewing group {} from {state_topic}; Ctrl-C to stop",
                printer.group
            );
        }
        while !stop.load(Ordering::Relaxed) {
            let (snapshot, lag) = figures(&reader)?;
            dashboard.publish(snapshot, lag);
            let until = Instant::now() + Duration::from_millis(500);
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                reader.poll(Duration::from_millis(100))?;
            }
        }
    }
    let (snapshot, lag) = figures(&reader)?;
    printer.print("final", &snapshot, &lag)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints reports, as JSON lines or for people.
struct Printer {
    json: bool,
    group: String,
}

impl Printer {
    fn print(
        &self,
        kind: &'static str,
        snapshot: &Snapshot,
        lag: &[PartitionLag],
    ) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.json {
            let line = JsonReport {
                report: kind,
                group: &self.group,
                figures: &snapshot.report,
                lag,
                coverage: snapshot.coverage.as_ref(),
                event_time: snapshot.event_time.as_ref(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
        } else {
            let title = if kind == "final" {
                "Final report"
            } else {
                "Report"
            };
            if let Some(coverage) = &snapshot.coverage {
                writeln!(out, "{}", describe_coverage(&self.group, coverage))?;
            }
            writeln!(
                out,
                "{}",
                report::render(&title.bold().to_string(), &snapshot.report, lag)
            )?;
            if let Some(event_time) = &snapshot.event_time {
                writeln!(out, "{}", report::render_windows(event_time))?;
            }
        }
        Ok(())
    }
}

/// Feeds the figures, prints reports and keeps the dashboard fresh.
struct Metrics<'s> {
    figures: Figures,
    printer: Printer,
    every: u64,
    /// Messages this instance handled.
    seen: u64,
    session: &'s Session,
    dashboard: Option<Arc<Dashboard>>,
    last_publish: Instant,
    /// A periodic report is owed (--every messages have passed since the last).
    report_due: bool,
    /// Reports to a terminal come at most about once a second.
    paced: bool,
    last_report: Option<Instant>,
    /// When the windows last heard how far behind the reader is (about once a second).
    last_lag_note: Instant,
    /// With --window: the windows' width.
    window_width: Option<Duration>,
}

impl Metrics<'_> {
    /// Prints the periodic report that is due: at once for JSON and for a pipe or file (one per
    /// --every messages, exactly); on a terminal at most about once a second, so that a fast stream
    /// stays readable (the final report always comes).
    fn print_due_report(&mut self) -> anyhow::Result<()> {
        if !self.report_due {
            return Ok(());
        }
        if let Some(last) = self.last_report
            && self.paced
            && last.elapsed() < Duration::from_secs(1)
        {
            return Ok(());
        }
        self.report_due = false;
        if self.paced {
            self.last_report = Some(Instant::now());
        }
        let snapshot = self.figures.snapshot()?;
        self.printer
            .print("periodic", &snapshot, &self.session.consumer.lag())
    }

    /// About once a second, tells the windows which partitions still have events waiting.
    fn note_lag(&mut self) {
        if self.figures.has_windows() && self.last_lag_note.elapsed() >= Duration::from_secs(1) {
            self.last_lag_note = Instant::now();
            self.figures.note_lag(&self.session.consumer.waiting());
        }
    }

    /// Hands the dashboard a fresh report (a few times a second at most).
    fn publish(&mut self) -> anyhow::Result<()> {
        if let Some(dashboard) = &self.dashboard {
            dashboard.publish(self.figures.snapshot()?, self.session.consumer.lag());
            self.last_publish = Instant::now();
        }
        Ok(())
    }
}

/// Says on stderr (unless the output is JSON) that a message was rejected.
fn show_rejected(incoming: &Incoming<'_>, json: bool) {
    if let Err(reason) = &incoming.decoded
        && !json
    {
        eprintln!(
            "{} {} p{}@{}: {reason}",
            "rejected".red(),
            incoming.topic(),
            incoming.partition(),
            incoming.offset()
        );
    }
}

impl Handler for Metrics<'_> {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        show_rejected(&incoming, self.printer.json);
        let placement = self
            .figures
            .record(&incoming, self.session.consumer.base())
            .context("cannot keep the figures")?;
        set_aside_if_too_late(&incoming, placement, self.window_width)?;
        self.seen += 1;
        if let Some(dashboard) = &self.dashboard {
            dashboard.count(incoming.kind);
            if self.last_publish.elapsed() >= Duration::from_millis(250) {
                self.publish()?;
            }
        }
        if self.seen % self.every == 0 {
            self.report_due = true;
        }
        self.note_lag();
        self.print_due_report()
    }

    fn idle(&mut self) -> anyhow::Result<()> {
        self.note_lag();
        if self.last_publish.elapsed() >= Duration::from_millis(250) {
            self.publish()?;
        }
        self.print_due_report()?;
        self.figures.tick(self.session.consumer.base())
    }
}

/// Copies an event that came too late for its window of event time to the dead-letter topic, when
/// there is one (it is counted as too late either way).
fn set_aside_if_too_late(
    incoming: &Incoming<'_>,
    placement: Placement,
    width: Option<Duration>,
) -> anyhow::Result<()> {
    if placement != Placement::TooLate {
        return Ok(());
    }
    let (Ok(event), Some(width)) = (&incoming.decoded, width) else {
        return Ok(());
    };
    let width_ms = i64::try_from(width.as_millis()).unwrap_or(i64::MAX).max(1);
    let start = window_start(event.timestamp.millis(), width_ms);
    let reason = format!(
        "too late: its event time {} is in the window {} to {}, closed before it came",
        event.timestamp,
        Timestamp::from_millis(start),
        Timestamp::from_millis(start.saturating_add(width_ms))
    );
    tracing::debug!(
        "{} p{}@{}: {reason}",
        incoming.topic(),
        incoming.partition(),
        incoming.offset()
    );
    incoming.set_aside(TOO_LATE, &reason)?;
    Ok(())
}

/// Counts one reader thread's messages into its own engine.
struct ThreadTally {
    engine: Arc<Mutex<MetricsEngine>>,
    json: bool,
    dashboard: Option<Arc<Dashboard>>,
    window_width: Option<Duration>,
}

impl Handler for ThreadTally {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        show_rejected(&incoming, self.json);
        let placement = figures::record(&self.engine, &incoming);
        set_aside_if_too_late(&incoming, placement, self.window_width)?;
        if let Some(dashboard) = &self.dashboard {
            dashboard.count(incoming.kind);
        }
        Ok(())
    }
}

impl ParallelHandler for Metrics<'_> {
    type Error = anyhow::Error;
    type Worker = ThreadTally;

    fn worker(&mut self) -> ThreadTally {
        ThreadTally {
            engine: self.figures.thread_engine(),
            json: self.printer.json,
            dashboard: self.dashboard.clone(),
            window_width: self.window_width,
        }
    }

    /// Reports come when the count of messages passes a multiple of --every: on several threads
    /// the figures then hold that many messages or a few more.
    fn tick(&mut self, handled: u64) -> anyhow::Result<()> {
        if handled / self.every > self.seen / self.every {
            self.report_due = true;
        }
        self.seen = handled;
        // The windows of every thread close on the watermark over all of them.
        self.note_lag();
        self.figures.tick(self.session.consumer.base())?;
        if self.last_publish.elapsed() >= Duration::from_millis(250) {
            self.publish()?;
        }
        self.print_due_report()
    }
}
