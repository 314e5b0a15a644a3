//! The public face of an exactly-once group member: start it, count messages into it, tick it
//! between messages, finish it, and read the whole group's figures.

use std::sync::Arc;
use std::time::Duration;

use rdkafka::consumer::BaseConsumer;
use shopstream_core::group_state::Coverage;
use shopstream_core::metrics::MetricsEngine;
use shopstream_core::windows::Placement;
use shopstream_core::{DecodeError, Event, TopicKind};

use super::activity::Activity;
use super::config::Config;
use super::error::ExactlyOnceError;
use super::member_state::Member;
use super::shared::Shared;
use crate::admin::{self, Cleanup, TopicShape};
use crate::group_consumer::{EventConsumerContext, RebalanceHook};
use crate::settings::Settings;

/// One member of an exactly-once group: its partitions' engines, the transactional producer and
/// the state topic's reader. Also the group's [`RebalanceHook`]: pass [`ExactlyOnce::hook`] to
/// the consumer's subscription.
pub struct ExactlyOnce {
    shared: Arc<Shared>,
}

impl ExactlyOnce {
    /// Makes sure the state topic exists and is compacted (creating it like setup-topics would),
    /// starts reading it, and initializes the transactional producer.
    pub fn start(settings: &Settings, config: Config) -> Result<ExactlyOnce, ExactlyOnceError> {
        let state_topic = admin::ensure_topic(
            settings,
            &config.state_topic,
            TopicShape::of(settings),
            Cleanup::Compact,
            config.timeout,
        )?;
        if state_topic.created() {
            tracing::info!("created the state topic {}", config.state_topic);
        }
        let member = Member::start(settings, config)?;
        Ok(ExactlyOnce {
            shared: Arc::new(Shared::new(member)),
        })
    }

    /// The rebalance hook to subscribe with.
    pub fn hook(&self) -> Arc<dyn RebalanceHook> {
        Arc::clone(&self.shared) as Arc<dyn RebalanceHook>
    }

    /// Counts one message of `topic`/`partition` at `offset` into that partition's engine, and
    /// commits when --commit-every messages or a second have passed.
    /// `kind` is the topic's kind, `now` the reader's wall clock (ms; for the windows). Says
    /// whether the event came too late for its window of event time.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        kind: TopicKind,
        topic: &str,
        partition: i32,
        offset: i64,
        decoded: &Result<Event<'_>, DecodeError>,
        now: i64,
    ) -> Result<Placement, ExactlyOnceError> {
        let mut member = self.shared.member();
        let mut placement = Placement::Counted;
        match member.owned.get_mut(topic, partition) {
            // Never count an offset twice, whatever the fetcher hands over.
            Some(owned) if offset >= owned.next_offset => {
                match decoded {
                    Ok(event) => {
                        placement = owned.engine.record_at(kind, topic, partition, event, now)
                    }
                    Err(reason) => owned.engine.record_rejected(reason),
                }
                owned.next_offset = offset + 1;
                owned.dirty = true;
            }
            Some(owned) => tracing::debug!(
                "{topic}/{partition}@{offset} is before {}: already counted",
                owned.next_offset
            ),
            None => tracing::debug!("{topic}/{partition}@{offset}: not an owned partition"),
        }
        member.uncommitted += 1;
        if member.commit_due() {
            member.commit_or_roll_back(consumer, &self.shared.counters)?;
        }
        drop(member);
        self.shared.check()?;
        Ok(placement)
    }

    /// Between messages: commits what waited a second, and takes other members' new states.
    pub fn tick(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
    ) -> Result<(), ExactlyOnceError> {
        let mut member = self.shared.member();
        if member.commit_overdue() {
            member.commit_or_roll_back(consumer, &self.shared.counters)?;
        }
        member.reader.poll(Duration::ZERO)?;
        drop(member);
        self.shared.check()
    }

    /// Commits what is left (before exiting), then reads the state topic up to its end (at most
    /// `catch_up` long) so that the figures include every member's last commit.
    pub fn finish(
        &self,
        consumer: &BaseConsumer<EventConsumerContext>,
        catch_up: Duration,
    ) -> Result<bool, ExactlyOnceError> {
        let mut member = self.shared.member();
        member.commit_or_roll_back(consumer, &self.shared.counters)?;
        let caught_up = member.reader.catch_up(catch_up)?;
        drop(member);
        self.shared.check()?;
        Ok(caught_up)
    }

    /// The whole group's figures: this member's live engines for the partitions it owns, the
    /// latest committed state for every other partition.
    pub fn figures(
        &self,
        partitions_total: usize,
    ) -> Result<(MetricsEngine, Coverage), ExactlyOnceError> {
        let mut member = self.shared.member();
        member.reader.poll(Duration::ZERO)?;
        let member = &*member;
        let live = member
            .owned
            .iter()
            .map(|(topic, partition, owned)| (topic, partition, &owned.engine));
        Ok(member
            .reader
            .states()
            .merged(live, Some(&member.instance), partitions_total))
    }

    pub fn activity(&self) -> Activity {
        self.shared.counters.activity()
    }
}
