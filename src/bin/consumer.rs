//! consumer: every event of the three topics as it arrives, one coloured line each.

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use colored::Colorize;
use serde::Serialize;
use shopstream::consumer_args::ConsumeArgs;
use shopstream::describe;
use shopstream::{CommonArgs, KafkaArgs};
use shopstream_core::Event;
use shopstream_kafka::consume_loop::{Handler, Incoming, Session};
use shopstream_kafka::group_consumer::OffsetKeeping;

/// Show every event of product-events, purchases and user-events as it arrives.
///
/// One line per event, coloured per topic: time, topic, partition@offset and what happened
/// ("U007 added 2 x Wireless Mouse (29.99) to cart"). A malformed message prints one "rejected"
/// line with its reason, and consumption goes on. Offsets are committed after each event is
/// shown, so a restart in the same group resumes where it stopped.
#[derive(Debug, Parser)]
#[command(
    version,
    after_help = "Examples:\n  consumer                                   # new events, all topics, until Ctrl-C\n  consumer --from-beginning --group replay-1   # everything, in a fresh group\n  consumer --topics purchases --max-messages 10\n  consumer --json --timeout 5s | jq .event.event_type"
)]
struct Cli {
    #[command(flatten)]
    kafka: KafkaArgs,

    #[command(flatten)]
    consume: ConsumeArgs,

    #[command(flatten)]
    common: CommonArgs,
}

fn main() -> ExitCode {
    shopstream::run(try_main)
}

fn try_main() -> anyhow::Result<ExitCode> {
    let cli: Cli = shopstream::parse_cli(|command| {
        shopstream::consumer_args::with_default_group(command, "shopstream-consumer")
    });
    shopstream::start(&cli.common, "consumer");
    let settings = shopstream::settings(&cli.kafka)?;
    let session = cli.consume.connect(
        &settings,
        cli.kafka.connect_timeout,
        "shopstream-consumer",
        "shopstream-consumer",
        OffsetKeeping::Group,
    )?;
    if !cli.consume.json {
        print_legend(&settings, &session);
    }
    let mut printer = Printer {
        json: cli.consume.json,
        events: 0,
        rejected: 0,
    };
    session.run(&cli.consume.limits(), &mut printer)?;
    if !cli.consume.json {
        eprintln!("{} events, {} rejected", printer.events, printer.rejected);
    }
    Ok(ExitCode::SUCCESS)
}

/// Prints each message as it comes.
struct Printer {
    json: bool,
    events: u64,
    rejected: u64,
}

impl Handler for Printer {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        match &incoming.decoded {
            Ok(_) => self.events += 1,
            Err(_) => self.rejected += 1,
        }
        let line = if self.json {
            json_line(&incoming)?
        } else {
            human_line(&incoming)
        };
        writeln!(std::io::stdout().lock(), "{line}")?;
        Ok(())
    }
}

fn print_legend(settings: &shopstream_kafka::Settings, session: &Session) {
    let topics: Vec<String> = session
        .subscription
        .topics
        .iter()
        .map(|&kind| describe::paint(settings.topics.name(kind), kind).to_string())
        .collect();
    let start = if session.subscription.from_beginning {
        "earliest"
    } else {
        "newest"
    };
    println!(
        "Listening to {} on {} as group {} (new groups start at the {start} events); Ctrl-C to stop",
        topics.join(", "),
        settings.bootstrap_servers,
        session.subscription.group
    );
}

fn human_line(incoming: &Incoming<'_>) -> String {
    let place = format!("p{}@{}", incoming.partition(), incoming.offset());
    match &incoming.decoded {
        Ok(event) => format!(
            "{}  {}  {:<9} {}",
            describe::clock(event).dimmed(),
            describe::paint(&format!("{:<15}", incoming.topic()), incoming.kind),
            place.dimmed(),
            describe::summary(event)
        ),
        Err(reason) => format!(
            "{}  {}  {:<9} {reason}",
            "rejected    ".red().bold(),
            describe::paint(&format!("{:<15}", incoming.topic()), incoming.kind),
            place
        ),
    }
}

/// One `--json` line: where the message was, and the event or why it was rejected.
#[derive(Serialize)]
struct JsonLine<'a> {
    topic: &'a str,
    partition: i32,
    offset: i64,
    key: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a Event<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rejected: Option<Rejection>,
}

#[derive(Serialize)]
struct Rejection {
    kind: &'static str,
    reason: String,
}

fn json_line(incoming: &Incoming<'_>) -> anyhow::Result<String> {
    let line = JsonLine {
        topic: incoming.topic(),
        partition: incoming.partition(),
        offset: incoming.offset(),
        key: incoming.key(),
        event: incoming.decoded.as_ref().ok(),
        rejected: incoming.decoded.as_ref().err().map(|reason| Rejection {
            kind: reason.kind(),
            reason: reason.to_string(),
        }),
    };
    Ok(serde_json::to_string(&line)?)
}
