//! setup-topics: creates, lists or recreates the three ShopStream topics.

use std::process::ExitCode;

use clap::Parser;
use colored::Colorize;
use serde_json::json;
use shopstream::{CommonArgs, KafkaArgs, setting_help, setting_parser};
use shopstream_kafka::admin::{CreateOutcome, TopicAdmin, TopicInfo};

/// Create the three ShopStream topics (product-events, purchases, user-events).
///
/// Existing topics are reported and left as they are, so running it again is harmless.
/// Topic names come from TOPIC_PRODUCT_EVENTS, TOPIC_PURCHASES and TOPIC_USER_EVENTS.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  setup-topics\n  setup-topics --partitions 6 --recreate\n  setup-topics --list --json"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[arg(long, value_name = "N", help = setting_help("TOPIC_PARTITIONS"), value_parser = setting_parser::<i32>("TOPIC_PARTITIONS"))]
    partitions: Option<i32>,

    #[arg(long, value_name = "N", help = setting_help("TOPIC_REPLICATION_FACTOR"), value_parser = setting_parser::<i32>("TOPIC_REPLICATION_FACTOR"))]
    replication_factor: Option<i32>,

    /// Delete the topics (and every event in them) and create them again
    #[arg(long, conflicts_with = "list")]
    recreate: bool,

    /// Only list the topics with their partitions and replication factor
    #[arg(long)]
    list: bool,

    /// Only delete the topics (and every event in them)
    #[arg(long, conflicts_with_all = ["list", "recreate"])]
    delete: bool,

    /// Print the result as one JSON object
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    shopstream::start(&cli.common, "setup-topics");
    let mut settings = shopstream::settings(&cli.kafka)?;
    if let Some(partitions) = cli.partitions {
        settings.partitions = partitions;
    }
    if let Some(replication_factor) = cli.replication_factor {
        settings.replication_factor = replication_factor;
    }
    let names: Vec<&str> = settings.topics.iter().map(|(_, name)| name).collect();
    let admin = TopicAdmin::connect(&settings, cli.kafka.connect_timeout)?;

    if cli.list {
        let existing = admin.describe(&names)?;
        print_list(&settings.bootstrap_servers, &names, &existing, cli.json);
        return Ok(ExitCode::SUCCESS);
    }

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;
    let deleted = if cli.recreate {
        runtime.block_on(admin.delete(&names))?
    } else {
        Vec::new()
    };
    let outcomes =
        runtime.block_on(admin.create(&names, settings.partitions, settings.replication_factor))?;
    print_outcomes(
        &settings.bootstrap_servers,
        &deleted,
        &outcomes,
        settings.partitions,
        cli.json,
    );
    Ok(ExitCode::SUCCESS)
}

fn print_list(servers: &str, names: &[&str], existing: &[TopicInfo], as_json: bool) {
    let find = |name: &str| existing.iter().find(|t| t.name == name);
    if as_json {
        let topics: Vec<_> = names
            .iter()
            .map(|&name| match find(name) {
                Some(t) => json!({"name": name, "exists": true, "partitions": t.partitions, "replication_factor": t.replication_factor}),
                None => json!({"name": name, "exists": false}),
            })
            .collect();
        println!(
            "{}",
            json!({"bootstrap_servers": servers, "topics": topics})
        );
        return;
    }
    println!("Topics on {servers}:");
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for &name in names {
        match find(name) {
            Some(t) => println!(
                "  {name:width$}  {} partitions, replication factor {}",
                t.partitions, t.replication_factor
            ),
            None => println!(
                "  {name:width$}  {}",
                "missing (run setup-topics to create it)".yellow()
            ),
        }
    }
}

fn print_outcomes(
    servers: &str,
    deleted: &[String],
    outcomes: &[CreateOutcome],
    requested_partitions: i32,
    as_json: bool,
) {
    if as_json {
        println!(
            "{}",
            json!({"bootstrap_servers": servers, "deleted": deleted, "topics": outcomes})
        );
        return;
    }
    println!("Topics on {servers}:");
    let width = outcomes
        .iter()
        .map(|o| info(o).name.len())
        .max()
        .unwrap_or(0);
    for name in deleted {
        println!("  {}  {name}", "deleted".red());
    }
    for outcome in outcomes {
        let (label, t) = match outcome {
            CreateOutcome::Created(t) => ("created".green(), t),
            CreateOutcome::Exists(t) => ("exists ".yellow(), t),
        };
        let mut line = format!(
            "  {label}  {:width$}  {} partitions, replication factor {}",
            t.name, t.partitions, t.replication_factor
        );
        if matches!(outcome, CreateOutcome::Exists(_))
            && t.partitions != requested_partitions as usize
        {
            line.push_str(&format!(
                " (you asked for {requested_partitions}; --recreate changes it)"
            ));
        }
        println!("{line}");
    }
}

fn info(outcome: &CreateOutcome) -> &TopicInfo {
    match outcome {
        CreateOutcome::Created(t) | CreateOutcome::Exists(t) => t,
    }
}
