//! The flags both consumers take, and the consume session they open with them.

use std::time::Duration;

use clap::Args;
use shopstream_core::TopicKind;
use shopstream_kafka::Settings;
use shopstream_kafka::consume_loop::{Limits, Session};
use shopstream_kafka::group_consumer::{OffsetKeeping, Subscription};

/// Flags both consumers take.
#[derive(Debug, Args)]
pub struct ConsumeArgs {
    /// Topics to read, comma-separated: product-events, purchases, user-events [default: all three]
    #[arg(long, value_delimiter = ',', value_parser = parse_topic_kind, value_name = "TOPICS")]
    pub topics: Vec<TopicKind>,

    /// Consumer group id; a restart in the same group resumes where it stopped
    #[arg(long, short = 'g')]
    pub group: Option<String>,

    /// A group with no committed offsets starts at the earliest events (else at the newest)
    #[arg(long)]
    pub from_beginning: bool,

    /// Exit after this many messages (valid or rejected)
    #[arg(long, value_name = "N")]
    pub max_messages: Option<u64>,

    /// Exit after this long without a message (e.g. 5s)
    #[arg(long, value_parser = crate::parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Print JSON lines (for jq) instead of human output
    #[arg(long)]
    pub json: bool,

    /// Copy each rejected message, untouched, to this topic (created if missing), with headers
    /// naming its source topic, partition, offset and the reason
    #[arg(long, value_name = "TOPIC")]
    pub dead_letter_topic: Option<String>,
}

impl ConsumeArgs {
    /// The topics asked for: all three unless --topics names some.
    pub fn topic_kinds(&self) -> Vec<TopicKind> {
        if self.topics.is_empty() {
            <TopicKind as strum::VariantArray>::VARIANTS.to_vec()
        } else {
            self.topics.clone()
        }
    }

    /// When the consume loop ends by itself.
    pub fn limits(&self) -> Limits {
        Limits {
            max_messages: self.max_messages,
            idle_timeout: self.timeout,
        }
    }

    /// Connects a consume session for these flags, stopped by Ctrl-C.
    pub fn connect(
        &self,
        settings: &Settings,
        connect_timeout: Duration,
        default_group: &str,
        client_id: &str,
        offsets: OffsetKeeping,
    ) -> anyhow::Result<Session> {
        let subscription = Subscription {
            topics: self.topic_kinds(),
            group: self
                .group
                .clone()
                .unwrap_or_else(|| default_group.to_string()),
            from_beginning: self.from_beginning,
            offsets,
        };
        Ok(Session::connect(
            settings,
            connect_timeout,
            subscription,
            client_id,
            self.dead_letter_topic.as_deref(),
            crate::stop_on_ctrl_c()?,
        )?)
    }
}

/// Shows a tool's default group in the help of `--group`.
pub fn with_default_group(command: clap::Command, group: &str) -> clap::Command {
    command.mut_arg("group", |arg| {
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        arg.help(format!("{help} [default: {group}]"))
    })
}

fn parse_topic_kind(text: &str) -> Result<TopicKind, String> {
    text.trim().parse().map_err(|_| {
        format!("unknown topic {text:?}: expected product-events, purchases or user-events")
    })
}
