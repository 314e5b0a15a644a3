//! Exact metrics across a group of metrics-consumers, on Kafka's own transactions (the Kafka
//! Streams model, with no coordination of ShopStream's own):
//!
//! - the group shares the input partitions; each instance keeps one metrics engine per partition
//!   it owns, and the next offset that engine covers;
//! - every commit is ONE transaction ([`transactor`]): the state of each partition touched since
//!   the last commit goes to the compacted state topic (key: group, topic, partition) and the
//!   offsets go to the group with its metadata (KIP-447), so a member the group has moved on from
//!   is fenced and its transaction aborts;
//! - on assignment a partition is restored from its latest committed state record, the one that
//!   matches the group's committed offset, before it is read; on revocation the instance commits
//!   first; a lost partition (the group moved on) is dropped uncommitted;
//! - every instance (and `--view`) reads the state topic ([`state_reader`]) and merges the latest
//!   state of every partition: the whole group's figures.

pub mod state_reader;
pub mod transactor;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, KafkaResult};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaErrorCode;
use shopstream_core::group_state::{self, Coverage, StateError, StateRecord};
use shopstream_core::metrics::MetricsEngine;
use shopstream_core::windows::{
    EventTimeWindows, Placement, WidthMismatch, WindowRules, reader_clock,
};
use shopstream_core::{DecodeError, Event, TopicKind};

pub use state_reader::StateReader;
use transactor::{CommitFailure, Transactor};

use crate::admin::{AdminError, TopicAdmin, TopicShape};
use crate::client::client_config;
use crate::consumer::{LagContext, RebalanceHook};
use crate::settings::Settings;

/// How long a restore waits for a partition's committed state to show on the state topic. A
/// crashed instance's open transaction holds it back until the broker aborts it
/// (transaction.timeout.ms, 10 s).
const RESTORE_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a transactional producer waits for its transaction coordinator: when a node of a
/// cluster has just crashed, the coordinators it held move to the other nodes once the cluster
/// notices (after about 10 s).
const COORDINATOR_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ExactlyOnceError {
    #[error(transparent)]
    Admin(#[from] AdminError),
    #[error("cannot start the runtime for the admin client")]
    Runtime(#[source] std::io::Error),
    #[error(
        "no transaction coordinator answered within {} ({error}): the brokers at {servers} must \
         support transactions (Apache Kafka 2.5 or later) and be able to create their \
         transaction log (transaction.state.log.replication.factor and min.isr no larger than \
         the number of brokers)",
        crate::client::seconds(*.timeout)
    )]
    NoCoordinator {
        servers: String,
        timeout: Duration,
        error: String,
    },
    #[error(
        "not authorized to use transactions as {transactional_id} (the broker's ACLs must allow \
         Write and Describe on TransactionalId shopstream-metrics- as a prefix, and IdempotentWrite \
         on the cluster)"
    )]
    TransactionNotAuthorized { transactional_id: String },
    #[error(
        "not authorized: {0} (the broker's ACLs must allow this user to write the state topic and commit the group's offsets)"
    )]
    NotAuthorized(String),
    #[error("exactly-once producer: {0}")]
    Producer(String),
    #[error("cannot read the state topic {topic}: {error}")]
    Read { topic: String, error: KafkaError },
    #[error("state topic {topic} p{partition}@{offset}: {source}")]
    Record {
        topic: String,
        partition: i32,
        offset: i64,
        source: StateError,
    },
    #[error(
        "the state of {topic}/{partition} at offset {offset} (the group's committed offset) is not \
         on {state_topic} after {}: was the state topic deleted or emptied? Start over with a new \
         --group",
        crate::client::seconds(*.waited)
    )]
    StateMissing {
        topic: String,
        partition: i32,
        offset: i64,
        state_topic: String,
        waited: Duration,
    },
    #[error("cannot read the group's committed offsets: {0}")]
    Offsets(KafkaError),
    #[error(
        "cannot move back to the last committed offsets after an aborted transaction ({0}); \
         stopping so that no event is skipped or counted twice: a restart goes on from the last \
         commit"
    )]
    Seek(KafkaError),
    #[error("the consumer is not in its group yet (no group metadata to commit with)")]
    NoGroupMetadata,
    #[error(
        "{topic}/{partition}: the group's state on {state_topic} keeps windows of event time          that cannot go on ({source}); start over with a new --group, or keep their width"
    )]
    Windows {
        topic: String,
        partition: i32,
        state_topic: String,
        source: WidthMismatch,
    },
}

/// What an exactly-once group member is given.
#[derive(Debug, Clone)]
pub struct Config {
    pub group: String,
    /// The input topics read.
    pub topics: Vec<String>,
    pub state_topic: String,
    /// Where a partition with no state starts: its earliest offset, else its end.
    pub from_beginning: bool,
    /// Commit after this many messages (and at least every second).
    pub commit_every: u64,
    /// How long one request to Kafka may take.
    pub timeout: Duration,
    /// With --window: each partition keeps its windows of event time, closed by its own
    /// watermark (its latest event time: Kafka Streams' stream time per task), so that they are
    /// committed with its offsets alone.
    pub windows: Option<WindowRules>,
}

/// Counts of what the member did, for its last words.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    pub commits: u64,
    /// Transactions aborted and rolled back (fenced, or the broker refused them).
    pub aborts: u64,
    /// Partitions restored from the state topic (on assignment or after an abort).
    pub restored: u64,
}

/// One member of an exactly-once group: its partitions' engines, the transactional producer and
/// the state topic's reader. Also the group's [`RebalanceHook`]: pass [`ExactlyOnce::hook`] to
/// the consumer's subscription.
pub struct ExactlyOnce {
    shared: Arc<Shared>,
}

struct Shared {
    inner: Mutex<Member>,
    /// Set when a rebalance callback met an error that must stop the member.
    failed: AtomicBool,
    failure: Mutex<Option<ExactlyOnceError>>,
    commits: AtomicU64,
    aborts: AtomicU64,
    restored: AtomicU64,
}

/// A partition this member owns.
struct Owned {
    engine: MetricsEngine,
    /// Everything before it is in `engine`.
    next_offset: i64,
    /// Changed (or newly owned) since the last commit.
    dirty: bool,
}

struct Member {
    settings: Settings,
    config: Config,
    /// Names this member in state records and its transactional id.
    instance: String,
    transactor: Transactor,
    /// How many producers this member has made (a fenced one is replaced).
    producers: u32,
    reader: StateReader,
    /// Owned partitions by topic name, then partition number.
    owned: BTreeMap<String, Vec<Option<Owned>>>,
    /// The committed state of partitions revoked in the last rebalance: an eager rebalance
    /// revokes everything and gives most of it back, and these need no restore.
    released: BTreeMap<(String, i32), Owned>,
    /// Where partitions the group has never committed start, until a commit records it.
    fresh_starts: BTreeMap<(String, i32), i64>,
    uncommitted: u64,
    last_commit: Instant,
    /// Reused key and value buffers of state records.
    buffers: Vec<(Vec<u8>, Vec<u8>)>,
}

impl ExactlyOnce {
    /// Makes sure the state topic exists and is compacted (creating it like setup-topics would),
    /// starts reading it, and initializes the transactional producer.
    pub fn start(settings: &Settings, config: Config) -> Result<ExactlyOnce, ExactlyOnceError> {
        ensure_state_topic(settings, &config)?;
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
        let transactor = Transactor::connect(
            settings,
            &config.state_topic,
            &transactional_id(&config.group, &instance, 1),
            COORDINATOR_TIMEOUT.max(config.timeout),
        )?;
        tracing::debug!(
            "exactly-once member {instance} of group {}, transactional id {}",
            config.group,
            transactor.transactional_id()
        );
        Ok(ExactlyOnce {
            shared: Arc::new(Shared {
                inner: Mutex::new(Member {
                    settings: settings.clone(),
                    config,
                    instance,
                    transactor,
                    producers: 1,
                    reader,
                    owned: BTreeMap::new(),
                    released: BTreeMap::new(),
                    fresh_starts: BTreeMap::new(),
                    uncommitted: 0,
                    last_commit: Instant::now(),
                    buffers: Vec::new(),
                }),
                failed: AtomicBool::new(false),
                failure: Mutex::new(None),
                commits: AtomicU64::new(0),
                aborts: AtomicU64::new(0),
                restored: AtomicU64::new(0),
            }),
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
        consumer: &BaseConsumer<LagContext>,
        kind: TopicKind,
        topic: &str,
        partition: i32,
        offset: i64,
        decoded: &Result<Event<'_>, DecodeError>,
        now: i64,
    ) -> Result<Placement, ExactlyOnceError> {
        let mut member = self.shared.member();
        let mut placement = Placement::Counted;
        match member.owned_mut(topic, partition) {
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
        if member.uncommitted >= member.config.commit_every
            || member.last_commit.elapsed() >= Duration::from_secs(1)
        {
            member.commit_or_roll_back(consumer, &self.shared)?;
        }
        drop(member);
        self.shared.check()?;
        Ok(placement)
    }

    /// Between messages: commits what waited a second, and takes other members' new states.
    pub fn tick(&self, consumer: &BaseConsumer<LagContext>) -> Result<(), ExactlyOnceError> {
        let mut member = self.shared.member();
        if member.last_commit.elapsed() >= Duration::from_secs(1) {
            member.commit_or_roll_back(consumer, &self.shared)?;
        }
        member.reader.poll(Duration::ZERO)?;
        drop(member);
        self.shared.check()
    }

    /// Commits what is left (before exiting), then reads the state topic up to its end (at most
    /// `catch_up` long) so that the figures include every member's last commit.
    pub fn finish(
        &self,
        consumer: &BaseConsumer<LagContext>,
        catch_up: Duration,
    ) -> Result<bool, ExactlyOnceError> {
        let mut member = self.shared.member();
        member.commit_or_roll_back(consumer, &self.shared)?;
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
        let live = member.owned.iter().flat_map(|(topic, partitions)| {
            partitions
                .iter()
                .enumerate()
                .filter_map(move |(partition, owned)| {
                    owned
                        .as_ref()
                        .map(|owned| (topic.as_str(), partition as i32, &owned.engine))
                })
        });
        Ok(member
            .reader
            .states()
            .merged(live, Some(&member.instance), partitions_total))
    }

    pub fn activity(&self) -> Activity {
        Activity {
            commits: self.shared.commits.load(Ordering::Relaxed),
            aborts: self.shared.aborts.load(Ordering::Relaxed),
            restored: self.shared.restored.load(Ordering::Relaxed),
        }
    }
}

impl Shared {
    fn member(&self) -> MutexGuard<'_, Member> {
        // A panic while holding the lock ends the process anyway; the data is still usable.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Raises an error met inside a rebalance callback, where it cannot be returned.
    fn fail(&self, error: ExactlyOnceError) {
        if let Ok(mut failure) = self.failure.lock()
            && failure.is_none()
        {
            *failure = Some(error);
        }
        self.failed.store(true, Ordering::Release);
    }

    fn check(&self) -> Result<(), ExactlyOnceError> {
        if !self.failed.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.failure.lock().ok().and_then(|mut f| f.take()) {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }
}

impl RebalanceHook for Shared {
    fn assign(&self, consumer: &BaseConsumer<LagContext>, partitions: &mut TopicPartitionList) {
        let mut member = self.member();
        match member.restore(consumer, partitions) {
            Ok(restored) => {
                self.restored.fetch_add(restored, Ordering::Relaxed);
            }
            Err(error) => self.fail(error),
        }
    }

    fn revoke(
        &self,
        consumer: &BaseConsumer<LagContext>,
        partitions: &TopicPartitionList,
        lost: bool,
    ) {
        let mut member = self.member();
        let keep = if lost {
            tracing::warn!(
                "the group gave this instance's partitions to others while it was out of touch \
                 (fenced): its uncommitted counts are dropped; the new owners go on from the last \
                 commit"
            );
            false
        } else {
            match member.commit(consumer) {
                Ok(committed) => {
                    if committed {
                        self.commits.fetch_add(1, Ordering::Relaxed);
                    }
                    true
                }
                Err(CommitFailure::Fatal(error)) => {
                    self.fail(error);
                    false
                }
                Err(CommitFailure::Aborted(reason) | CommitFailure::ProducerLost(reason)) => {
                    self.aborts.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!("{reason}; the partitions are handed over from the last commit");
                    if let Err(error) = member.replace_producer_if_lost() {
                        self.fail(error);
                    }
                    false
                }
            }
        };
        member.release(partitions, keep);
    }
}

impl Member {
    fn owned_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Owned> {
        self.owned
            .get_mut(topic)?
            .get_mut(usize::try_from(partition).ok()?)?
            .as_mut()
    }

    fn insert(&mut self, topic: &str, partition: i32, owned: Owned) {
        let Ok(index) = usize::try_from(partition) else {
            return;
        };
        let slots = self.owned.entry(topic.to_string()).or_default();
        if slots.len() <= index {
            slots.resize_with(index + 1, || None);
        }
        slots[index] = Some(owned);
    }

    fn take(&mut self, topic: &str, partition: i32) -> Option<Owned> {
        self.owned
            .get_mut(topic)?
            .get_mut(usize::try_from(partition).ok()?)?
            .take()
    }

    fn owned_partitions(&self) -> Vec<(String, i32)> {
        self.owned
            .iter()
            .flat_map(|(topic, slots)| {
                slots
                    .iter()
                    .enumerate()
                    .filter(|(_, owned)| owned.is_some())
                    .map(move |(partition, _)| (topic.clone(), partition as i32))
            })
            .collect()
    }

    /// Commits; after an aborted transaction, goes back to the last committed state of every
    /// owned partition (and reads on from there).
    fn commit_or_roll_back(
        &mut self,
        consumer: &BaseConsumer<LagContext>,
        shared: &Shared,
    ) -> Result<(), ExactlyOnceError> {
        match self.commit(consumer) {
            Ok(committed) => {
                if committed {
                    shared.commits.fetch_add(1, Ordering::Relaxed);
                }
                Ok(())
            }
            Err(CommitFailure::Fatal(error)) => Err(error),
            Err(CommitFailure::Aborted(reason)) => {
                shared.aborts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!("{reason}; going back to the last commit");
                let restored = self.roll_back(consumer)?;
                shared.restored.fetch_add(restored, Ordering::Relaxed);
                Ok(())
            }
            Err(CommitFailure::ProducerLost(reason)) => {
                shared.aborts.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    "{reason}; starting a new producer and going back to the last commit"
                );
                self.replace_producer()?;
                let restored = self.roll_back(consumer)?;
                shared.restored.fetch_add(restored, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// A new transactional producer, after the broker fenced the old one (or it was abandoned).
    /// See [`COORDINATOR_TIMEOUT`].
    fn replace_producer(&mut self) -> Result<(), ExactlyOnceError> {
        self.producers += 1;
        self.transactor = Transactor::connect(
            &self.settings,
            &self.config.state_topic,
            &transactional_id(&self.config.group, &self.instance, self.producers),
            COORDINATOR_TIMEOUT.max(self.config.timeout),
        )?;
        Ok(())
    }

    /// Replaces the producer if it can do no more (a fatal error), so the next commit works.
    fn replace_producer_if_lost(&mut self) -> Result<(), ExactlyOnceError> {
        if self.transactor.is_lost() {
            self.replace_producer()?;
        }
        Ok(())
    }

    /// One transaction: the state of every dirty partition and the offsets they cover. Returns
    /// whether there was anything to commit.
    fn commit(&mut self, consumer: &BaseConsumer<LagContext>) -> Result<bool, CommitFailure> {
        self.uncommitted = 0;
        self.last_commit = Instant::now();
        let written_at_ms = shopstream_core::Timestamp::now().millis();
        let mut offsets = TopicPartitionList::new();
        let mut count = 0;
        for (topic, slots) in &self.owned {
            for (partition, owned) in slots.iter().enumerate() {
                let Some(owned) = owned.as_ref().filter(|o| o.dirty) else {
                    continue;
                };
                let record = StateRecord {
                    version: group_state::VERSION,
                    group: &self.config.group,
                    topic,
                    partition: partition as i32,
                    next_offset: owned.next_offset,
                    instance: &self.instance,
                    written_at_ms,
                    engine: &owned.engine,
                };
                if self.buffers.len() <= count {
                    self.buffers.push((Vec::new(), Vec::new()));
                }
                let (key, value) = &mut self.buffers[count];
                *key = record.key().encode();
                record
                    .encode_into(value)
                    .map_err(|e| CommitFailure::Fatal(ExactlyOnceError::Producer(e.to_string())))?;
                offsets
                    .add_partition_offset(
                        topic,
                        partition as i32,
                        Offset::Offset(owned.next_offset),
                    )
                    .map_err(|e| CommitFailure::Aborted(e.to_string()))?;
                count += 1;
            }
        }
        if count == 0 {
            return Ok(false);
        }
        let group = consumer
            .group_metadata()
            .ok_or(CommitFailure::Fatal(ExactlyOnceError::NoGroupMetadata))?;
        let records = self.buffers[..count]
            .iter()
            .map(|(key, value)| (key.as_slice(), value.as_slice()));
        self.transactor.commit(records, &offsets, group)?;
        self.fresh_starts.clear();
        for slots in self.owned.values_mut() {
            for owned in slots.iter_mut().flatten() {
                owned.dirty = false;
            }
        }
        Ok(true)
    }

    /// Drops every owned partition's uncommitted counts: restores its last committed state and
    /// moves the consumer back to the offset that state covers. Returns how many were restored.
    fn roll_back(&mut self, consumer: &BaseConsumer<LagContext>) -> Result<u64, ExactlyOnceError> {
        let mut partitions = TopicPartitionList::new();
        for (topic, partition) in self.owned_partitions() {
            partitions.add_partition(&topic, partition);
        }
        self.owned.clear();
        self.released.clear();
        let restored = self.restore(consumer, &mut partitions)?;
        // Reading on from anywhere else would skip or repeat events: stop rather than guess.
        let sought = consumer
            .seek_partitions(partitions, self.config.timeout)
            .map_err(ExactlyOnceError::Seek)?;
        if let Some(error) = sought.elements().iter().find_map(|e| e.error().err()) {
            return Err(ExactlyOnceError::Seek(error));
        }
        Ok(restored)
    }

    /// Takes revoked partitions away; `keep` their engines for a quick return when they were
    /// committed just now.
    fn release(&mut self, partitions: &TopicPartitionList, keep: bool) {
        self.released.clear();
        for element in partitions.elements() {
            let (topic, partition) = (element.topic(), element.partition());
            if let Some(owned) = self.take(topic, partition)
                && keep
            {
                self.released.insert((topic.to_string(), partition), owned);
            }
        }
    }

    /// Gives each partition of `partitions` its last committed state and sets its start offset
    /// to the one that state covers. Returns how many were restored from the state topic.
    fn restore(
        &mut self,
        consumer: &BaseConsumer<LagContext>,
        partitions: &mut TopicPartitionList,
    ) -> Result<u64, ExactlyOnceError> {
        if partitions.count() == 0 {
            self.released.clear();
            return Ok(0);
        }
        // One deadline for the whole restore: it runs inside the rebalance callback, and the
        // group gives up on a member that does not poll for max.poll.interval.ms (5 min).
        let deadline = Instant::now() + RESTORE_TIMEOUT;
        // With isolation.level=read_committed librdkafka asks for stable offsets: this waits for
        // any transaction still open on them to end, so each offset is one a commit completed. A
        // crashed member's open transaction ends when the broker aborts it: after
        // transaction.timeout.ms, on its next check for such transactions (10 s by default).
        // The group coordinator may be on a node that has just crashed: ask again meanwhile.
        // A partition whose offset could not be read is not a partition never committed:
        // starting it over would wipe its history, so its error is asked about again too.
        let committed = ask_until(deadline, "the group's committed offsets", |left| {
            let committed = consumer.committed_offsets(partitions.clone(), left)?;
            for element in committed.elements() {
                element.error()?;
            }
            Ok(committed)
        })
        .map_err(ExactlyOnceError::Offsets)?;
        let mut wanted: Vec<(String, i32, Offset)> = Vec::new();
        for element in committed.elements() {
            wanted.push((
                element.topic().to_string(),
                element.partition(),
                element.offset(),
            ));
        }
        let mut restored = 0;
        for (topic, partition, committed) in wanted {
            let (engine, next_offset) = match committed {
                Offset::Offset(offset) => match self.released.remove(&(topic.clone(), partition)) {
                    Some(owned) if owned.next_offset == offset => (owned.engine, offset),
                    _ => {
                        restored += 1;
                        self.committed_state(&topic, partition, offset, deadline)?
                    }
                },
                _ => self.fresh_state(consumer, &topic, partition, deadline)?,
            };
            let engine = self.with_windows(engine, &topic, partition)?;
            partitions
                .set_partition_offset(&topic, partition, Offset::Offset(next_offset))
                .map_err(ExactlyOnceError::Offsets)?;
            // Dirty: the next commit records that this member owns it now.
            self.insert(
                &topic,
                partition,
                Owned {
                    engine,
                    next_offset,
                    dirty: true,
                },
            );
        }
        self.released.clear();
        tracing::debug!(
            "restored {restored} partition states; owning {:?}",
            self.owned_partitions()
        );
        Ok(restored)
    }

    /// A partition's engine with its windows as this member keeps them: saved ones go on, a
    /// state without any starts them now, and without --window none are kept.
    fn with_windows(
        &self,
        mut engine: MetricsEngine,
        topic: &str,
        partition: i32,
    ) -> Result<MetricsEngine, ExactlyOnceError> {
        let Some(rules) = self.config.windows else {
            engine.set_windows(None);
            return Ok(engine);
        };
        let now = reader_clock();
        let mut windows = match engine.windows().cloned() {
            Some(saved) => {
                saved
                    .resume(rules, now)
                    .map_err(|source| ExactlyOnceError::Windows {
                        topic: topic.to_string(),
                        partition,
                        state_topic: self.config.state_topic.clone(),
                        source,
                    })?
            }
            None => {
                if engine.messages() > 0 {
                    tracing::warn!(
                        "{topic}/{partition}: the group's state was kept without --window: its                          windows start with the events read from now on"
                    );
                }
                EventTimeWindows::new(rules)
            }
        };
        windows.watch(topic, partition, now);
        engine.set_windows(Some(windows));
        Ok(engine)
    }

    /// The state committed with the group's offset `offset`, read from the state topic.
    fn committed_state(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        deadline: Instant,
    ) -> Result<(MetricsEngine, i64), ExactlyOnceError> {
        loop {
            if let Some(state) = self.reader.states().get(topic, partition)
                && state.next_offset >= offset
            {
                if state.next_offset > offset {
                    // Offsets moved back by hand (kafka-consumer-groups --reset-offsets): the
                    // state decides, so that no event is counted twice.
                    tracing::warn!(
                        "{topic}/{partition}: the group's offset {offset} is behind its state's \
                         {}; reading on from the state's",
                        state.next_offset
                    );
                }
                return Ok((state.engine.clone(), state.next_offset));
            }
            if Instant::now() >= deadline {
                return Err(ExactlyOnceError::StateMissing {
                    topic: topic.to_string(),
                    partition,
                    offset,
                    state_topic: self.config.state_topic.clone(),
                    waited: RESTORE_TIMEOUT,
                });
            }
            self.reader.poll(Duration::from_millis(50))?;
        }
    }

    /// A partition the group has never committed: an empty state from its first offset (or its
    /// end, without --from-beginning), made concrete now so the first commit records it.
    fn fresh_state(
        &mut self,
        consumer: &BaseConsumer<LagContext>,
        topic: &str,
        partition: i32,
        deadline: Instant,
    ) -> Result<(MetricsEngine, i64), ExactlyOnceError> {
        self.reader.poll(Duration::ZERO)?;
        if let Some(state) = self.reader.states().get(topic, partition) {
            tracing::warn!(
                "{topic}/{partition}: the group has no committed offset, yet {} holds a state at \
                 offset {} (the group's offsets expired, or the topic was recreated): starting over",
                self.config.state_topic,
                state.next_offset
            );
        }
        // Once chosen, a fresh partition's start stays until a commit records it: choosing a
        // newer end after an aborted first commit would skip the events in between.
        if let Some(&start) = self.fresh_starts.get(&(topic.to_string(), partition)) {
            return Ok((MetricsEngine::new(), start));
        }
        // A partition's new leader answers OffsetNotAvailable until its high watermark has
        // caught up after a failover. The member's own client has also been seen to answer
        // UnknownPartition for a minute after a node's crash, while the partition had a leader
        // again: every other attempt asks through a client of its own, with fresh metadata.
        let mut attempt = 0u32;
        let (low, high) = ask_until(deadline, "the partition's offsets", |left| {
            attempt += 1;
            let timeout = left.min(self.config.timeout);
            if attempt % 2 == 1 {
                return consumer.fetch_watermarks(topic, partition, timeout);
            }
            let fresh: BaseConsumer = client_config(&self.settings, "shopstream-metrics-offsets")
                .set("group.id", &self.config.group)
                .create()?;
            fresh.fetch_watermarks(topic, partition, timeout)
        })
        .map_err(ExactlyOnceError::Offsets)?;
        let start = if self.config.from_beginning {
            low
        } else {
            high
        };
        self.fresh_starts
            .insert((topic.to_string(), partition), start);
        Ok((MetricsEngine::new(), start))
    }
}

/// Unique per member and producer: with KIP-447 fencing comes from the group's generation, so
/// members need no stable ids; the prefix lets ACLs allow them all.
fn transactional_id(group: &str, instance: &str, producer: u32) -> String {
    format!("shopstream-metrics-{group}-{instance}-{producer}")
}

/// Creates the state topic (compacted) when it is missing; refuses one that is not compacted.
fn ensure_state_topic(settings: &Settings, config: &Config) -> Result<(), ExactlyOnceError> {
    let admin = TopicAdmin::connect(settings, config.timeout)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(ExactlyOnceError::Runtime)?;
    runtime.block_on(async {
        if admin.describe(&[&config.state_topic])?.is_empty() {
            admin
                .create_compacted(&config.state_topic, TopicShape::of(settings))
                .await?;
            tracing::info!("created the state topic {}", config.state_topic);
        }
        admin.check_compacted(&config.state_topic).await
    })?;
    Ok(())
}

/// Whether an error may pass while a group coordinator moves off a crashed node: librdkafka then
/// answers with timeouts, transport failures, unknown partitions or coordinator errors for a few
/// seconds. Refusals by the broker's ACLs never pass.
/// Asks `ask` (given the time left) again every half second while it fails with anything but a
/// refusal, until `deadline`: on a cluster, a crashed node's groups and partitions move to other
/// nodes within seconds, and librdkafka gives up early meanwhile (timed out, transport failure,
/// unknown partition, offset not available).
fn ask_until<T>(
    deadline: Instant,
    what: &str,
    mut ask: impl FnMut(Duration) -> KafkaResult<T>,
) -> KafkaResult<T> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ask(left) {
            Err(error)
                if coordinator_moving(&error)
                    && Instant::now() + Duration::from_millis(500) < deadline =>
            {
                tracing::warn!("cannot read {what} yet ({error}); asking again");
                std::thread::sleep(Duration::from_millis(500));
            }
            answer => return answer,
        }
    }
}

fn coordinator_moving(error: &KafkaError) -> bool {
    !matches!(
        error.rdkafka_error_code(),
        Some(
            RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::ClusterAuthorizationFailed
                | RDKafkaErrorCode::Fatal
        )
    )
}

#[cfg(test)]
mod tests;
