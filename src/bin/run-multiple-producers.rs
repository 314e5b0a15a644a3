//! run-multiple-producers: the three producers at once, from one shared simulator.

use std::process::ExitCode;

use clap::Parser;
use std::path::PathBuf;

use shopstream::produce::{self, Job, PaceArgs, Truth};
use shopstream::{CommonArgs, KafkaArgs, setting_help, setting_parser};
use shopstream_core::simulator::{Quota, Quotas};

/// Write product events, purchases and user events at once, from one shared shopper simulator.
///
/// The three topics tell consistent stories: every purchase follows an add_to_cart of the same
/// user, session and product, and each session's activity falls between its login and logout.
/// The per-topic counts are met exactly (the original demo's 40, 15 and 30 by default).
/// With --shard I/N, N launchers given the same counts (on N machines, say) each simulate a
/// disjoint share of the users and write their share of the counts: together, exactly the counts.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  run-multiple-producers                       # 40 / 15 / 30 events, like the original\n  run-multiple-producers --product-events 1000 --purchases 200 --user-events 500 --rate 0\n  run-multiple-producers --product-events 0 --purchases 0 --user-events 0 --rate 20000\n                                               # (counts 0: until Ctrl-C)\n  run-multiple-producers --shard 2/3 --seed 7 --rate 0   # shard 2 of 3 (one per machine)\n  run-multiple-producers --seed 1 --rate 0 --truth truth.jsonl --window 1m\n                                               # and the right answer per minute of event time"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[arg(long, value_name = "N", help = setting_help("PRODUCT_EVENTS_COUNT"), value_parser = setting_parser::<u64>("PRODUCT_EVENTS_COUNT"))]
    product_events: Option<u64>,

    #[arg(long, value_name = "N", help = setting_help("PURCHASE_EVENTS_COUNT"), value_parser = setting_parser::<u64>("PURCHASE_EVENTS_COUNT"))]
    purchases: Option<u64>,

    #[arg(long, value_name = "N", help = setting_help("USER_EVENTS_COUNT"), value_parser = setting_parser::<u64>("USER_EVENTS_COUNT"))]
    user_events: Option<u64>,

    #[command(flatten)]
    pace: PaceArgs,

    /// Write the ground truth of the run to FILE at the end: one JSON line per event-time window
    /// of the acknowledged events, with the figures a correct consumer computes for it (the same
    /// fields as metrics-consumer's windows); see docs/formats.md for the format
    #[arg(long, value_name = "FILE")]
    truth: Option<PathBuf>,

    #[arg(long, value_name = "DURATION", requires = "truth", help = setting_help("METRICS_WINDOW"), value_parser = setting_parser::<std::time::Duration>("METRICS_WINDOW"))]
    window: Option<std::time::Duration>,

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli: Cli = shopstream::parse_cli(|command| command);
    shopstream::start(&cli.common, "run-multiple-producers");
    let settings = shopstream::settings(&cli.kafka)?;
    let quotas = Quotas {
        product_events: Quota::from_count(
            cli.product_events.unwrap_or(settings.product_events_count),
        ),
        purchases: Quota::from_count(cli.purchases.unwrap_or(settings.purchase_events_count)),
        user_events: Quota::from_count(cli.user_events.unwrap_or(settings.user_events_count)),
    };
    produce::run(
        &settings,
        cli.kafka.connect_timeout,
        &cli.pace,
        Job {
            tool: "run-multiple-producers",
            quotas,
            truth: cli.truth.map(|path| Truth {
                path,
                width: cli.window.unwrap_or(settings.metrics_window),
            }),
        },
    )
}
