//! check-truth: compares another pipeline's windows with the ground truth of `--truth`.

use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use colored::Colorize;
use shopstream::{CommonArgs, KafkaArgs, parse_duration};
use shopstream_core::truth_check::{self, Comparison, Window};

/// Compare a pipeline's windows with the ground truth, window by window.
///
/// Reads the ground truth that `run-multiple-producers --truth FILE` wrote, and the windows of
/// another pipeline (Flink, ksqlDB, your own consumer) as JSON lines with the truth's field names,
/// from a file or a Kafka topic; metrics-consumer's `--json` reports work too. Counts must be
/// exact, revenue exact to the cent, rates equal at four decimals. Prints the windows that differ
/// and why, and exits 1 on any difference; windows the pipeline has not closed yet, and windows
/// outside the truth's range, are listed apart and are not errors. A window the pipeline emits
/// more than once is taken at its last line.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  check-truth --truth truth.jsonl --file flink-windows.jsonl\n  check-truth --truth truth.jsonl --topic shop-windows --ignore active_users\n  check-truth --truth truth.jsonl --file metrics.jsonl --json   # metrics-consumer --json output"
)]
struct Cli {
    /// The ground-truth file (run-multiple-producers --truth FILE)
    #[arg(long, value_name = "FILE")]
    truth: PathBuf,

    /// Read the pipeline's windows from this file of JSON lines
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "topic",
        conflicts_with = "topic"
    )]
    file: Option<PathBuf>,

    /// Read the pipeline's windows from this Kafka topic, from its beginning to its end
    #[arg(long, value_name = "TOPIC")]
    topic: Option<String>,

    /// Leave a field out of the comparison (repeatable), for a pipeline that does not compute it:
    /// end, events, events_by_type, orders, revenue, view_to_purchase, cart_to_purchase,
    /// active_users
    #[arg(long, value_name = "FIELD")]
    ignore: Vec<String>,

    /// Give up reading --topic after this long
    #[arg(long, default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    timeout: Duration,

    /// Print the comparison as one JSON object
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    kafka: KafkaArgs,

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli: Cli = shopstream::parse_cli(|command| command);
    shopstream::start(&cli.common, "check-truth");
    let truth = truth_check::read_windows(&cli.truth.display().to_string(), lines(&cli.truth)?)?;
    let pipeline = pipeline_windows(&cli)?;
    let comparison = truth_check::compare(&truth, &pipeline, &cli.ignore)?;
    let mut out = io::stdout().lock();
    if cli.json {
        serde_json::to_writer(&mut out, &comparison)?;
        writeln!(out)?;
    } else {
        print_comparison(&mut out, &comparison)?;
    }
    out.flush()?;
    if !comparison.agrees() {
        return Ok(ExitCode::FAILURE);
    }
    if comparison.matching == 0 {
        anyhow::bail!(
            "no closed window of the pipeline lies in the truth's range: nothing compared"
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn lines(path: &Path) -> anyhow::Result<Vec<String>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    io::BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .with_context(|| format!("cannot read {}", path.display()))
}

fn pipeline_windows(cli: &Cli) -> anyhow::Result<std::collections::BTreeMap<i64, Window>> {
    if let Some(path) = &cli.file {
        return Ok(truth_check::read_windows(
            &path.display().to_string(),
            lines(path)?,
        )?);
    }
    let topic = cli.topic.as_deref().unwrap_or_default();
    let settings = shopstream::settings(&cli.kafka)?;
    shopstream_kafka::client::probe_cluster(&settings, cli.kafka.connect_timeout)?;
    let values = shopstream_kafka::topic_reader::read_values(&settings, topic, cli.timeout)?;
    Ok(truth_check::read_windows(
        &format!("topic {topic}"),
        values,
    )?)
}

fn print_comparison(out: &mut impl Write, comparison: &Comparison) -> io::Result<()> {
    let colour = shopstream::colour(shopstream::Stream::Stdout);
    let paint = |text: String, bad: bool| -> String {
        match (colour, bad) {
            (true, true) => text.red().bold().to_string(),
            (true, false) => text.green().bold().to_string(),
            _ => text,
        }
    };
    let differing = comparison.differing.len();
    writeln!(
        out,
        "{}, {}",
        paint(format!("{} windows match", comparison.matching), false),
        paint(format!("{differing} differ"), differing > 0)
    )?;
    if differing > 0 {
        writeln!(
            out,
            "\n{:<26} {:<28} {:>14} {:>14}",
            "window", "field", "truth", "pipeline"
        )?;
        for window in &comparison.differing {
            for difference in &window.differences {
                writeln!(
                    out,
                    "{:<26} {:<28} {:>14} {:>14}",
                    window.start, difference.field, difference.truth, difference.pipeline
                )?;
            }
        }
    }
    let apart = [
        ("not closed by the pipeline yet", &comparison.not_yet_closed),
        ("still open in the pipeline", &comparison.open),
        ("outside the truth's range", &comparison.outside_truth),
    ];
    for (what, windows) in apart.into_iter().filter(|(_, w)| !w.is_empty()) {
        let (first, last) = (&windows[0], &windows[windows.len() - 1]);
        writeln!(
            out,
            "{} windows {what} (not compared): {first} .. {last}",
            windows.len()
        )?;
    }
    Ok(())
}
