//! metrics-consumer: business metrics over the three topics, every N events and at the end.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use colored::Colorize;
use serde::Serialize;
use shopstream::consume::{ConsumeArgs, Session};
use shopstream::{CommonArgs, KafkaArgs, report};
use shopstream_core::consumer::PartitionLag;
use shopstream_core::metrics::{MetricsEngine, Report};

/// Business metrics over product-events, purchases and user-events, live.
///
/// Prints a report every --every messages and a final one on exit (--max-messages, --timeout or
/// Ctrl-C): events by type, region and customer type; top 5 products by views, add_to_cart and
/// quantity purchased; view-to-purchase and cart-to-purchase conversion; revenue overall and by
/// region; orders and average order value; rejected messages and consumer lag per partition.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  metrics-consumer                                  # new events, a report every METRICS_REPORT_EVERY\n  metrics-consumer --from-beginning --group audit-1 --timeout 5s\n  metrics-consumer --json --every 1000 | jq .revenue"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[command(flatten)]
    consume: ConsumeArgs,

    /// Print a report every this many messages
    #[arg(long, env = "METRICS_REPORT_EVERY", value_parser = clap::value_parser!(u64).range(1..), value_name = "N")]
    every: Option<u64>,

    #[command(flatten)]
    common: CommonArgs,
}

/// One `--json` line: the report's figures plus where they stand.
#[derive(Serialize)]
struct JsonReport<'a> {
    report: &'static str,
    group: &'a str,
    #[serde(flatten)]
    figures: &'a Report,
    lag: &'a [PartitionLag],
}

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    shopstream::start(&cli.common, "metrics-consumer");
    let settings = shopstream::settings(&cli.kafka)?;
    let every = cli.every.unwrap_or(settings.metrics_report_every);
    let session = Session::connect(
        &settings,
        cli.kafka.connect_timeout,
        &cli.consume,
        "shopstream-metrics",
        "shopstream-metrics-consumer",
    )?;
    let group = session.subscription.group.clone();
    let print = |kind: &'static str, report: &Report, lag: &[PartitionLag]| -> anyhow::Result<()> {
        if cli.consume.json {
            let line = JsonReport {
                report: kind,
                group: &group,
                figures: report,
                lag,
            };
            println!("{}", serde_json::to_string(&line)?);
        } else {
            let title = if kind == "final" {
                "Final report"
            } else {
                "Report"
            };
            println!("{}", report::render(&title.bold().to_string(), report, lag));
        }
        Ok(())
    };
    if !cli.consume.json {
        eprintln!(
            "metrics over {} as group {group}: a report every {every} messages; Ctrl-C for the final one",
            settings.bootstrap_servers
        );
    }

    let mut engine = MetricsEngine::new();
    session.run(
        &cli.consume,
        |incoming| {
            match &incoming.decoded {
                Ok(event) => engine.record(event),
                Err(reason) => {
                    engine.record_rejected(reason);
                    if !cli.consume.json {
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
            if engine.messages() % every == 0 {
                print("periodic", &engine.report(), &session.consumer.lag())?;
            }
            Ok(())
        },
        || Ok(()),
    )?;
    let lag = session
        .consumer
        .exact_lag(Duration::from_secs(5))
        .unwrap_or_else(|error| {
            tracing::warn!("{error}; showing the lag of the last statistics instead");
            session.consumer.lag()
        });
    print("final", &engine.report(), &lag)?;
    Ok(ExitCode::SUCCESS)
}
