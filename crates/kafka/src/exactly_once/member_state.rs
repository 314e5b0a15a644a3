//! What one member holds behind its lock: its owned partitions, the transactional producer, the
//! state topic's reader and when it last committed; and how it makes (and replaces) its producer.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::config::Config;
use super::error::ExactlyOnceError;
use super::owned::{Owned, OwnedPartitions};
use super::state_reader::StateReader;
use super::transactor::Transactor;
use crate::commit_cadence::CommitCadence;
use crate::settings::Settings;

/// How long a transactional producer waits for its transaction coordinator: when a node of a
/// cluster has just crashed, the coordinators it held move to the other nodes once the cluster
/// notices (after about 10 s).
const COORDINATOR_TIMEOUT: Duration = Duration::from_secs(30);

pub(super) struct Member {
    pub(super) settings: Settings,
    pub(super) config: Config,
    /// Names this member in state records and its transactional id.
    pub(super) instance: String,
    pub(super) transactor: Transactor,
    /// How many producers this member has made (a fenced one is replaced).
    producers: u32,
    pub(super) reader: StateReader,
    pub(super) owned: OwnedPartitions,
    /// The committed state of partitions revoked in the last rebalance: an eager rebalance
    /// revokes everything and gives most of it back, and these need no restore.
    pub(super) released: BTreeMap<(String, i32), Owned>,
    /// Where partitions the group has never committed start, until a commit records it.
    pub(super) fresh_starts: BTreeMap<(String, i32), i64>,
    cadence: CommitCadence,
    pub(super) uncommitted: u64,
    pub(super) last_commit: Instant,
}

impl Member {
    /// Starts reading the state topic (which must exist) and initializes the transactional
    /// producer.
    pub(super) fn start(settings: &Settings, config: Config) -> Result<Member, ExactlyOnceError> {
        let instance = format!(
            "{}-{}",
            std::process::id(),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let reader = StateReader::connect(
            settings,
            &config.state_topic,
            &config.group,
            &config.topics,
            config.timeout,
        )?;
        let transactor = connect_transactor(settings, &config, &instance, 1)?;
        tracing::debug!(
            "exactly-once member {instance} of group {}, transactional id {}",
            config.group,
            transactor.transactional_id()
        );
        Ok(Member {
            settings: settings.clone(),
            cadence: CommitCadence::new(config.commit_every),
            config,
            instance,
            transactor,
            producers: 1,
            reader,
            owned: OwnedPartitions::default(),
            released: BTreeMap::new(),
            fresh_starts: BTreeMap::new(),
            uncommitted: 0,
            last_commit: Instant::now(),
        })
    }

    /// After a message: whether --commit-every messages or a second have passed.
    pub(super) fn commit_due(&self) -> bool {
        self.cadence
            .due(self.uncommitted, self.last_commit.elapsed())
    }

    /// Between messages: whether the last commit is a second old.
    pub(super) fn commit_overdue(&self) -> bool {
        self.cadence.overdue(self.last_commit.elapsed())
    }

    /// A new transactional producer, after the broker fenced the old one (or it was abandoned).
    /// See [`COORDINATOR_TIMEOUT`].
    pub(super) fn replace_producer(&mut self) -> Result<(), ExactlyOnceError> {
        self.producers += 1;
        self.transactor =
            connect_transactor(&self.settings, &self.config, &self.instance, self.producers)?;
        Ok(())
    }

    /// Replaces the producer if it can do no more (a fatal error), so the next commit works.
    pub(super) fn replace_producer_if_lost(&mut self) -> Result<(), ExactlyOnceError> {
        if self.transactor.is_lost() {
            self.replace_producer()?;
        }
        Ok(())
    }
}

/// The member's `producer`th transactional producer.
fn connect_transactor(
    settings: &Settings,
    config: &Config,
    instance: &str,
    producer: u32,
) -> Result<Transactor, ExactlyOnceError> {
    Transactor::connect(
        settings,
        &config.state_topic,
        &transactional_id(&config.group, instance, producer),
        COORDINATOR_TIMEOUT.max(config.timeout),
    )
}

/// Unique per member and producer: with KIP-447 fencing comes from the group's generation, so
/// members need no stable ids; the prefix lets ACLs allow them all.
fn transactional_id(group: &str, instance: &str, producer: u32) -> String {
    format!("shopstream-metrics-{group}-{instance}-{producer}")
}
