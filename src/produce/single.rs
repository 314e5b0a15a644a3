//! product-producer, purchase-producer and user-producer: one command line, one `main`.

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};
use shopstream_core::TopicKind;
use shopstream_core::simulator::Quotas;

use super::{Job, PaceArgs, run};

/// The command line of product-producer, purchase-producer and user-producer: one struct, with
/// the count's environment variable set per tool.
#[derive(Debug, clap::Parser)]
#[command(version)]
pub struct SingleProducerCli {
    #[command(flatten)]
    pub kafka: crate::KafkaArgs,

    /// Events to write, 0 = until Ctrl-C (or --duration)
    #[arg(long, short = 'n', value_name = "N")]
    pub count: Option<u64>,

    #[command(flatten)]
    pub pace: PaceArgs,

    #[command(flatten)]
    pub common: crate::CommonArgs,
}

/// `main` of a single-topic producer.
pub fn single_producer_main(
    tool: &'static str,
    topic: TopicKind,
    count_setting: &'static str,
    about: &'static str,
) -> ExitCode {
    crate::run(|| {
        let command = SingleProducerCli::command()
            .name(tool)
            .bin_name(tool)
            .about(about)
            .mut_arg("count", |arg| {
                arg.help(crate::setting_help(count_setting))
                    .value_parser(crate::setting_parser::<u64>(count_setting))
            })
            .after_help(format!(
                "Examples:\n  {tool}                       # the .env count, one event per EVENT_DELAY_MS\n  {tool} --count 1000 --rate 100\n  {tool} --count 0 --rate 0     # as fast as possible until Ctrl-C\n  {tool} --seed 42 --json | jq ."
            ));
        let cli = SingleProducerCli::from_arg_matches(&crate::matches_or_generate(command))?;
        crate::start(&cli.common, tool);
        let settings = crate::settings(&cli.kafka)?;
        let count = cli.count.unwrap_or(match topic {
            TopicKind::ProductEvents => settings.product_events_count,
            TopicKind::Purchases => settings.purchase_events_count,
            TopicKind::UserEvents => settings.user_events_count,
        });
        run(
            &settings,
            cli.kafka.connect_timeout,
            &cli.pace,
            Job {
                tool,
                quotas: Quotas::only(topic, count),
                truth: None,
            },
        )
    })
}
