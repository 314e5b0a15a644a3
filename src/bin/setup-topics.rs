//! setup-topics: creates, lists or recreates the three ShopStream topics.

use std::process::ExitCode;

use clap::Parser;
use colored::Colorize;
use serde_json::json;
use shopstream::{CommonArgs, KafkaArgs, setting_help, setting_parser};
use shopstream_kafka::admin::{CreateOutcome, TopicAdmin, TopicInfo};

/// Create the three ShopStream topics (product-events, purchases, user-events) and the compacted
/// topic where `metrics-consumer --exactly-once` keeps its state.
///
/// Existing topics are reported and left as they are, so running it again is harmless.
/// Topic names come from TOPIC_PRODUCT_EVENTS, TOPIC_PURCHASES, TOPIC_USER_EVENTS and
/// METRICS_STATE_TOPIC.
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

    /// Delete the topics (and every event and saved state in them) and create them again
    #[arg(long, conflicts_with = "list")]
    recreate: bool,

    /// Only list the topics with their partitions and replication factor
    #[arg(long)]
    list: bool,

    /// Only delete the topics (and every event and saved state in them)
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
    let cli: Cli = shopstream::parse_cli(|command| command);
    shopstream::start(&cli.common, "setup-topics");
    let mut settings = shopstream::settings(&cli.kafka)?;
    if let Some(partitions) = cli.partitions {
        settings.partitions = partitions;
    }
    if let Some(replication_factor) = cli.replication_factor {
        settings.replication_factor = replication_factor;
    }
    let names: Vec<&str> = settings.topics.iter().map(|(_, name)| name).collect();
    let state_topic = settings.metrics_state_topic.as_str();
    let mut all = names.clone();
    all.push(state_topic);
    let admin = TopicAdmin::connect(&settings, cli.kafka.connect_timeout)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()?;

    if cli.list {
        let existing = admin.describe(&all)?;
        let state_policy = if existing.iter().any(|t| t.name == state_topic) {
            Some(runtime.block_on(admin.cleanup_policy(state_topic))?)
        } else {
            None
        };
        let state = (state_topic, state_policy.as_deref());
        print_list(
            &settings.bootstrap_servers,
            &all,
            &existing,
            state,
            cli.json,
        );
        return Ok(ExitCode::SUCCESS);
    }

    // The state topic goes with the events: a state outliving the events it counted would be
    // shown by metrics-consumer --view as the figures of topics that no longer hold them.
    let deleted = if cli.recreate || cli.delete {
        runtime.block_on(admin.delete(&all))?
    } else {
        Vec::new()
    };
    if cli.delete {
        print_outcomes(&settings.bootstrap_servers, &deleted, &[], 0, cli.json);
        return Ok(ExitCode::SUCCESS);
    }
    let mut outcomes =
        runtime.block_on(admin.create(&names, settings.partitions, settings.replication_factor))?;
    outcomes.push(runtime.block_on(admin.create_compacted(
        state_topic,
        settings.partitions,
        settings.replication_factor,
    ))?);
    print_outcomes(
        &settings.bootstrap_servers,
        &deleted,
        &outcomes,
        settings.partitions,
        cli.json,
    );
    Ok(ExitCode::SUCCESS)
}

/// Lists the topics; `state` is the state topic's name and its cleanup.policy when it exists.
fn print_list(
    servers: &str,
    names: &[&str],
    existing: &[TopicInfo],
    state: (&str, Option<&str>),
    as_json: bool,
) {
    let find = |name: &str| existing.iter().find(|t| t.name == name);
    let policy = |name: &str| state.1.filter(|_| name == state.0);
    if as_json {
        let topics: Vec<_> = names
            .iter()
            .map(|&name| match (find(name), policy(name)) {
                (Some(t), Some(policy)) => json!({"name": name, "exists": true, "partitions": t.partitions, "replication_factor": t.replication_factor, "cleanup_policy": policy}),
                (Some(t), None) => json!({"name": name, "exists": true, "partitions": t.partitions, "replication_factor": t.replication_factor}),
                (None, _) => json!({"name": name, "exists": false}),
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
                "  {name:width$}  {} partitions, replication factor {}{}",
                t.partitions,
                t.replication_factor,
                policy(name)
                    .map(|p| format!(", cleanup.policy {p}"))
                    .unwrap_or_default()
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
