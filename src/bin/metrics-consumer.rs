//! metrics-consumer: business metrics over the three topics, every N events and at the end.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use shopstream::consumer_args::ConsumeArgs;
use shopstream::figures::Figures;
use shopstream::group_view::GroupView;
use shopstream::metrics_handler::MetricsHandler;
use shopstream::report_printer::{ReportKind, ReportPrinter};
use shopstream::serve::{self, Dashboard};
use shopstream::{CommonArgs, KafkaArgs, setting_help, setting_parser};
use shopstream_core::PerTopic;
use shopstream_core::windows::WindowRules;
use shopstream_kafka::Settings;
use shopstream_kafka::consume_loop::Session;
use shopstream_kafka::exactly_once;

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

    /// Keep the figures and the offsets they cover in this file (a snapshot, replaced atomically)
    /// and PATH.log (what changed, one fsynced frame per commit), and resume from them: after any
    /// kill and restart the figures are exact, every event counted once (one machine; see
    /// --exactly-once for a group)
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

    #[arg(long, value_name = "N", help = setting_help("METRICS_MAX_KEYS"), value_parser = setting_parser::<u64>("METRICS_MAX_KEYS"))]
    max_keys: Option<u64>,

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
    if let Some(max_keys) = cli.max_keys {
        settings.metrics_max_keys = max_keys;
    }
    let printer = ReportPrinter {
        json: cli.consume.json,
        group: cli
            .consume
            .group
            .clone()
            .unwrap_or_else(|| DEFAULT_GROUP.to_string()),
    };
    // The dashboard binds first: a taken port is reported before anything else happens.
    let dashboard = start_dashboard(&cli, &settings, &printer.group)?;
    if cli.view {
        view(&cli, &settings, &printer, dashboard)?;
    } else {
        consume(&cli, &settings, printer, dashboard)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// With --serve (or METRICS_SERVE): the dashboard, bound and serving.
fn start_dashboard(
    cli: &Cli,
    settings: &Settings,
    group: &str,
) -> anyhow::Result<Option<Arc<Dashboard>>> {
    let Some(address) = cli.serve.clone().or(settings.metrics_serve.clone()) else {
        return Ok(None);
    };
    let names = PerTopic::from_fn(|kind| settings.topics.name(kind).to_string());
    let dashboard = Dashboard::new(group, names);
    let bound = serve::start(&address, Arc::clone(&dashboard))?;
    eprintln!("dashboard: http://{bound}/  (JSON: /api/metrics, Prometheus: /metrics)");
    Ok(Some(dashboard))
}

/// Reads the events and reports on them until a limit or Ctrl-C, then gives the final report.
fn consume(
    cli: &Cli,
    settings: &Settings,
    printer: ReportPrinter,
    dashboard: Option<Arc<Dashboard>>,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        !(cli.exactly_once && cli.consume.dead_letter_topic.is_some()),
        "--exactly-once and --dead-letter-topic do not go together: dead letters are not part of \
         the transaction, so a partition read again would copy its rejects again"
    );
    let threads = reader_threads(cli, settings)?;
    let window_rules = window_rules(cli, settings);
    let (figures, offsets) = open_figures(cli, settings, &printer.group, threads, window_rules)?;
    let session = cli.consume.connect(
        settings,
        cli.kafka.connect_timeout,
        DEFAULT_GROUP,
        "shopstream-metrics-consumer",
        offsets,
    )?;
    let figures = figures.connected(session.consumer.partitions(), window_rules)?;
    let every = cli.every.unwrap_or(settings.metrics_report_every);
    if !cli.consume.json {
        announce(cli, settings, &session, every);
    }
    let mut handler = MetricsHandler::start(
        figures,
        printer,
        every,
        &session,
        dashboard,
        window_rules.map(|rules| rules.width),
    )?;
    handler.consume(threads, &cli.consume.limits())?;
    handler.finish()
}

/// With --window: the windows of event time to keep.
fn window_rules(cli: &Cli, settings: &Settings) -> Option<WindowRules> {
    cli.window.map(|width| WindowRules {
        width: width.unwrap_or(settings.metrics_window),
        keep: usize::try_from(cli.windows).unwrap_or(usize::MAX),
        allowed_lateness: cli.allowed_lateness,
        idle_after: WINDOW_IDLE_AFTER,
        unknown_idle_after: WINDOW_UNKNOWN_IDLE_AFTER,
    })
}

/// Where the figures live (a group member's, a checkpoint's, this process's) and so who keeps
/// the offsets.
fn open_figures(
    cli: &Cli,
    settings: &Settings,
    group: &str,
    threads: usize,
    window_rules: Option<WindowRules>,
) -> anyhow::Result<(Figures, shopstream_kafka::group_consumer::OffsetKeeping)> {
    let topics: Vec<String> = cli
        .consume
        .topic_kinds()
        .iter()
        .map(|&kind| settings.topics.name(kind).to_string())
        .collect();
    if cli.exactly_once {
        let config = exactly_once::Config {
            group: group.to_string(),
            topics,
            state_topic: settings.metrics_state_topic.clone(),
            from_beginning: cli.consume.from_beginning,
            commit_every: cli.commit_every,
            timeout: cli.kafka.connect_timeout,
            windows: window_rules,
        };
        Figures::group_member(settings, config)
    } else {
        Figures::in_process(
            topics,
            cli.checkpoint.as_deref(),
            cli.reset,
            threads,
            cli.commit_every,
            usize::try_from(settings.metrics_max_keys).unwrap_or(usize::MAX),
        )
    }
}

/// Says on stderr what is read, as which group, and how often a report comes.
fn announce(cli: &Cli, settings: &Settings, session: &Session, every: u64) {
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

/// Reader threads: --threads, else METRICS_THREADS; 0 means one per core. Several only where the
/// group keeps the offsets: a checkpoint or a transaction holds one engine with its offsets.
fn reader_threads(cli: &Cli, settings: &Settings) -> anyhow::Result<usize> {
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

/// `--view`: the group's figures from the state topic alone, once, or with --serve live until
/// Ctrl-C and then once.
fn view(
    cli: &Cli,
    settings: &Settings,
    printer: &ReportPrinter,
    dashboard: Option<Arc<Dashboard>>,
) -> anyhow::Result<()> {
    let topics: Vec<&str> = cli
        .consume
        .topic_kinds()
        .iter()
        .map(|&kind| settings.topics.name(kind))
        .collect();
    let mut group_view = GroupView::connect(
        settings,
        &printer.group,
        &topics,
        usize::try_from(cli.windows).unwrap_or(usize::MAX),
        cli.kafka.connect_timeout,
    )?;
    if let Some(dashboard) = dashboard {
        let stop = shopstream::stop_on_ctrl_c()?;
        if !cli.consume.json {
            eprintln!(
                "viewing group {} from {}; Ctrl-C to stop",
                printer.group, settings.metrics_state_topic
            );
        }
        group_view.serve(&dashboard, &stop)?;
    }
    let (snapshot, lag) = group_view.figures()?;
    printer.print(ReportKind::Final, &snapshot, &lag)
}
