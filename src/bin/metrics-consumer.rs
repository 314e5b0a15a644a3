//! metrics-consumer: business metrics over the three topics, every N events and at the end.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use colored::Colorize;
use shopstream::consume::ConsumeArgs;
use shopstream::serve::{self, Dashboard, JsonReport};
use shopstream::{CommonArgs, KafkaArgs, report, setting_help, setting_parser};
use shopstream_core::PerTopic;
use shopstream_core::checkpoint::Checkpoint;
use shopstream_kafka::consume::{Handler, Incoming, Session};
use shopstream_kafka::consumer::PartitionLag;

/// Business metrics over product-events, purchases and user-events, live.
///
/// Prints a report every --every messages and a final one on exit (--max-messages, --timeout or
/// Ctrl-C): events by type, region and customer type; top 5 products by views, add_to_cart and
/// quantity purchased; view-to-purchase and cart-to-purchase conversion; revenue overall and by
/// region; orders and average order value; rejected messages and consumer lag per partition.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  metrics-consumer                                  # new events, a report every METRICS_REPORT_EVERY\n  metrics-consumer --from-beginning --group audit-1 --timeout 5s\n  metrics-consumer --json --every 1000 | jq .revenue\n  metrics-consumer --checkpoint metrics.checkpoint --from-beginning   # exact across restarts"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[command(flatten)]
    consume: ConsumeArgs,

    #[arg(long, value_name = "N", help = setting_help("METRICS_REPORT_EVERY"), value_parser = setting_parser::<u64>("METRICS_REPORT_EVERY"))]
    every: Option<u64>,

    /// Keep the figures and the offsets they cover in this file (replaced atomically), and resume
    /// from it: after any kill and restart the figures are exact, every event counted once
    #[arg(long, value_name = "PATH")]
    checkpoint: Option<PathBuf>,

    /// Forget the checkpoint and start over
    #[arg(long, requires = "checkpoint")]
    reset: bool,

    #[arg(long, value_name = "HOST:PORT", help = setting_help("METRICS_SERVE"), value_parser = setting_parser::<String>("METRICS_SERVE"))]
    serve: Option<String>,

    /// Write the checkpoint every this many messages (and at least every second, and at exit)
    #[arg(long, default_value = "5000", value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    checkpoint_every: u64,

    #[command(flatten)]
    common: CommonArgs,
}

const DEFAULT_GROUP: &str = "shopstream-metrics";

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    shopstream::start(&cli.common, "metrics-consumer");
    let settings = shopstream::settings(&cli.kafka)?;
    let every = cli.every.unwrap_or(settings.metrics_report_every);
    let topic_names: Vec<String> = cli
        .consume
        .topic_kinds()
        .iter()
        .map(|&kind| settings.topics.name(kind).to_string())
        .collect();
    // The engine and the offsets it covers live together: in memory always, on disk with
    // --checkpoint (where they then also decide where reading starts).
    let state = match &cli.checkpoint {
        Some(path) => {
            if cli.reset {
                Checkpoint::remove(path)?;
            }
            Checkpoint::load(path, &topic_names)?.unwrap_or_else(|| Checkpoint::new(topic_names))
        }
        None => Checkpoint::new(topic_names),
    };
    // The dashboard binds first: a taken port is reported before anything else happens.
    let group = cli
        .consume
        .group
        .clone()
        .unwrap_or_else(|| DEFAULT_GROUP.to_string());
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
    let session = cli.consume.connect(
        &settings,
        cli.kafka.connect_timeout,
        DEFAULT_GROUP,
        "shopstream-metrics-consumer",
        cli.checkpoint.as_ref().map(|_| state.offsets.clone()),
    )?;
    if !cli.consume.json {
        eprintln!(
            "metrics over {} as group {}: a report every {every} messages; Ctrl-C for the final one",
            settings.bootstrap_servers, session.subscription.group
        );
    }
    let mut metrics = Metrics {
        state,
        every,
        json: cli.consume.json,
        group: session.subscription.group.clone(),
        checkpoint: cli.checkpoint.clone(),
        checkpoint_every: cli.checkpoint_every,
        unsaved: 0,
        last_save: Instant::now(),
        session: &session,
        dashboard,
        last_publish: Instant::now(),
    };
    metrics.publish();
    session.run(&cli.consume.limits(), &mut metrics)?;
    metrics.save()?;
    let lag = session
        .consumer
        .exact_lag(Duration::from_secs(5))
        .unwrap_or_else(|error| {
            tracing::warn!("{error}; showing the lag of the last statistics instead");
            session.consumer.lag()
        });
    metrics.print("final", &lag)?;
    if let Some(dashboard) = &metrics.dashboard {
        dashboard.publish(metrics.state.engine.report(), lag);
    }
    Ok(ExitCode::SUCCESS)
}

/// Feeds the engine, prints reports and keeps the checkpoint.
struct Metrics<'s> {
    /// The engine and the offsets it covers.
    state: Checkpoint,
    every: u64,
    json: bool,
    group: String,
    checkpoint: Option<PathBuf>,
    checkpoint_every: u64,
    unsaved: u64,
    last_save: Instant,
    session: &'s Session,
    dashboard: Option<Arc<Dashboard>>,
    last_publish: Instant,
}

impl Metrics<'_> {
    /// Hands the dashboard a fresh report (a few times a second at most).
    fn publish(&mut self) {
        if let Some(dashboard) = &self.dashboard {
            dashboard.publish(self.state.engine.report(), self.session.consumer.lag());
            self.last_publish = Instant::now();
        }
    }

    fn print(&self, kind: &'static str, lag: &[PartitionLag]) -> anyhow::Result<()> {
        let report = self.state.engine.report();
        if self.json {
            let line = JsonReport {
                report: kind,
                group: &self.group,
                figures: &report,
                lag,
            };
            writeln!(
                std::io::stdout().lock(),
                "{}",
                serde_json::to_string(&line)?
            )?;
        } else {
            let title = if kind == "final" {
                "Final report"
            } else {
                "Report"
            };
            writeln!(
                std::io::stdout().lock(),
                "{}",
                report::render(&title.bold().to_string(), &report, lag)
            )?;
        }
        Ok(())
    }

    fn save(&mut self) -> anyhow::Result<()> {
        if let Some(path) = &self.checkpoint {
            self.state.save(path)?;
        }
        self.unsaved = 0;
        self.last_save = Instant::now();
        Ok(())
    }
}

impl Handler for Metrics<'_> {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        match &incoming.decoded {
            Ok(event) => self.state.engine.record(event),
            Err(reason) => {
                self.state.engine.record_rejected(reason);
                if !self.json {
                    eprintln!(
                        "{} {} p{}@{}: {reason}",
                        "rejected".red(),
                        incoming.topic(),
                        incoming.partition(),
                        incoming.offset()
                    );
                }
            }
        }
        self.state
            .advance(incoming.topic(), incoming.partition(), incoming.offset());
        if let Some(dashboard) = &self.dashboard {
            dashboard.count(incoming.kind);
            if self.last_publish.elapsed() >= Duration::from_millis(250) {
                self.publish();
            }
        }
        if self.state.engine.messages() % self.every == 0 {
            self.print("periodic", &self.session.consumer.lag())?;
        }
        // Only a checkpoint needs saving; without one, no clock read per message.
        if self.checkpoint.is_some() {
            self.unsaved += 1;
            if self.unsaved >= self.checkpoint_every
                || self.last_save.elapsed() >= Duration::from_secs(1)
            {
                self.save()?;
            }
        }
        Ok(())
    }

    fn idle(&mut self) -> anyhow::Result<()> {
        if self.last_publish.elapsed() >= Duration::from_millis(250) {
            self.publish();
        }
        if self.unsaved > 0 && self.last_save.elapsed() >= Duration::from_secs(1) {
            self.save()?;
        }
        Ok(())
    }
}
