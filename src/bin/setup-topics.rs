//! setup-topics: creates, lists or recreates the three ShopStream topics.

use std::io::{self, Write};
use std::process::ExitCode;

use clap::Parser;
use colored::Colorize;
use serde_json::json;
use shopstream::{CommonArgs, KafkaArgs, setting_help, setting_parser};
use shopstream_kafka::admin::{CreateOutcome, PartitionLayout, TopicAdmin, TopicInfo, TopicShape};

/// Create the three ShopStream topics (product-events, purchases, user-events) and the compacted
/// topic where `metrics-consumer --exactly-once` keeps its state.
///
/// Existing topics are reported and left as they are, so running it again is harmless. On a
/// replicated cluster, `--replication-factor 3` creates them with min.insync.replicas=2: every
/// acknowledged event is on two brokers at least, and one broker down stops nothing.
/// Topic names come from TOPIC_PRODUCT_EVENTS, TOPIC_PURCHASES, TOPIC_USER_EVENTS and
/// METRICS_STATE_TOPIC.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  setup-topics\n  setup-topics --partitions 6 --recreate\n  setup-topics --replication-factor 3 -b 127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094\n  setup-topics --list --json"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[arg(long, value_name = "N", help = setting_help("TOPIC_PARTITIONS"), value_parser = setting_parser::<i32>("TOPIC_PARTITIONS"))]
    partitions: Option<i32>,

    #[arg(long, value_name = "N", help = setting_help("TOPIC_REPLICATION_FACTOR"), value_parser = setting_parser::<i32>("TOPIC_REPLICATION_FACTOR"))]
    replication_factor: Option<i32>,

    #[arg(long, value_name = "N", help = setting_help("TOPIC_MIN_INSYNC_REPLICAS"), value_parser = setting_parser::<i32>("TOPIC_MIN_INSYNC_REPLICAS"))]
    min_insync_replicas: Option<i32>,

    /// Delete the topics (and every event and saved state in them) and create them again
    #[arg(long, conflicts_with = "list")]
    recreate: bool,

    /// Only list the topics: partitions, replication factor, min.insync.replicas, and each
    /// partition's leader, replicas and in-sync replicas
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
    if let Some(min_insync_replicas) = cli.min_insync_replicas {
        settings.min_insync_replicas = min_insync_replicas;
    }
    let shape = TopicShape::of(&settings);
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
        let mut listed = Vec::new();
        for topic in &existing {
            let policy = if topic.name == state_topic {
                Some(runtime.block_on(admin.cleanup_policy(state_topic))?)
            } else {
                None
            };
            let min_insync = runtime.block_on(admin.min_insync_replicas(&topic.name))?;
            listed.push(Listed {
                info: topic,
                cleanup_policy: policy,
                min_insync,
            });
        }
        let cluster = Cluster {
            servers: &settings.bootstrap_servers,
            brokers: admin.broker_count()?,
        };
        print_list(&mut io::stdout().lock(), &cluster, &all, &listed, cli.json)?;
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
        print_outcomes(
            &mut io::stdout().lock(),
            &settings.bootstrap_servers,
            &deleted,
            &[],
            0,
            cli.json,
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut outcomes = runtime.block_on(admin.create(&names, shape))?;
    outcomes.push(runtime.block_on(admin.create_compacted(state_topic, shape))?);
    print_outcomes(
        &mut io::stdout().lock(),
        &settings.bootstrap_servers,
        &deleted,
        &outcomes,
        settings.partitions,
        cli.json,
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Where the topics were looked up.
struct Cluster<'a> {
    servers: &'a str,
    brokers: usize,
}

/// A topic that exists, with what `--list` shows of its configuration.
struct Listed<'a> {
    info: &'a TopicInfo,
    /// Shown for the state topic only, whose compaction matters.
    cleanup_policy: Option<String>,
    min_insync: Option<i32>,
}

fn print_list(
    out: &mut impl Write,
    cluster: &Cluster<'_>,
    names: &[&str],
    listed: &[Listed<'_>],
    as_json: bool,
) -> io::Result<()> {
    let find = |name: &str| listed.iter().find(|t| t.info.name == name);
    if as_json {
        let topics: Vec<_> = names
            .iter()
            .map(|&name| match find(name) {
                Some(t) => {
                    let mut topic = json!({
                        "name": name,
                        "exists": true,
                        "partitions": t.info.partitions,
                        "replication_factor": t.info.replication_factor,
                        "min_insync_replicas": t.min_insync,
                        "layout": t.info.layout,
                    });
                    if let Some(policy) = &t.cleanup_policy {
                        topic["cleanup_policy"] = json!(policy);
                    }
                    topic
                }
                None => json!({"name": name, "exists": false}),
            })
            .collect();
        writeln!(
            out,
            "{}",
            json!({"bootstrap_servers": cluster.servers, "brokers": cluster.brokers, "topics": topics})
        )?;
        return Ok(());
    }
    let plural = if cluster.brokers == 1 { "" } else { "s" };
    writeln!(
        out,
        "Topics on {} ({} broker{plural}):",
        cluster.servers, cluster.brokers
    )?;
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
    for &name in names {
        let Some(t) = find(name) else {
            writeln!(
                out,
                "  {name:width$}  {}",
                "missing (run setup-topics to create it)".yellow()
            )?;
            continue;
        };
        let mut line = format!(
            "  {name:width$}  {} partitions, replication factor {}",
            t.info.partitions, t.info.replication_factor
        );
        if let Some(n) = t.min_insync {
            line.push_str(&format!(", min.insync.replicas {n}"));
        }
        if let Some(policy) = &t.cleanup_policy {
            line.push_str(&format!(", cleanup.policy {policy}"));
        }
        writeln!(out, "{line}")?;
        for partition in &t.info.layout {
            writeln!(out, "{}", layout_line(partition, t.info.layout.len()))?;
        }
    }
    Ok(())
}

/// `    partition 0  leader 2  replicas 2,3,1  in sync 2,3,1`, what is wrong in colour.
fn layout_line(p: &PartitionLayout, partitions: usize) -> String {
    let ids = |ids: &[i32]| ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",");
    let digits = partitions.saturating_sub(1).to_string().len();
    let leader = if p.leader < 0 {
        "none".red().to_string()
    } else {
        p.leader.to_string()
    };
    let in_sync = if p.under_replicated() {
        format!("{} (under-replicated)", ids(&p.in_sync))
            .yellow()
            .to_string()
    } else {
        ids(&p.in_sync)
    };
    format!(
        "      partition {:<digits$}  leader {leader}  replicas {}  in sync {in_sync}",
        p.partition,
        ids(&p.replicas)
    )
}

fn print_outcomes(
    out: &mut impl Write,
    servers: &str,
    deleted: &[String],
    outcomes: &[CreateOutcome],
    requested_partitions: i32,
    as_json: bool,
) -> io::Result<()> {
    if as_json {
        writeln!(
            out,
            "{}",
            json!({"bootstrap_servers": servers, "deleted": deleted, "topics": outcomes})
        )?;
        return Ok(());
    }
    writeln!(out, "Topics on {servers}:")?;
    let width = outcomes
        .iter()
        .map(|o| info(o).name.len())
        .max()
        .unwrap_or(0);
    for name in deleted {
        writeln!(out, "  {}  {name}", "deleted".red())?;
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
        writeln!(out, "{line}")?;
    }
    Ok(())
}

fn info(outcome: &CreateOutcome) -> &TopicInfo {
    match outcome {
        CreateOutcome::Created(t) | CreateOutcome::Exists(t) => t,
    }
}
