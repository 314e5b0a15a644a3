//! The exactly-once state of a group of metrics-consumers, as kept on the compacted state topic:
//! a per-key changelog of each input partition's engine (one record per entry a commit changed,
//! then one with the partition's position: the next offset its engine covers), and the group's
//! figures merged from every partition's engine rebuilt from those records. No Kafka here: the
//! bytes of keys and values ([`record`]), the replay and the merge.

mod record;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

pub use self::record::{
    PartitionKey, Position, StateError, StateKey, VERSION, decode_entry, encode_entry_into,
};
use crate::metrics::MetricsEngine;
use crate::timestamp::Timestamp;

/// One input partition's state as read so far: its engine rebuilt from its entry records, in the
/// order written, and the position of its last commit.
#[derive(Debug, Clone)]
pub struct PartitionState {
    pub topic: String,
    pub partition: i32,
    /// The last position read; None before the first.
    pub position: Option<Position>,
    /// Whether the last record read was the position: then the engine is exactly the state
    /// committed with it, not part way through the next commit's entries.
    pub settled: bool,
    pub engine: MetricsEngine,
    /// The state topic partition its records come from (all of them, see
    /// [`PartitionKey::state_partition`]).
    state_partition: i32,
}

impl PartitionState {
    /// The position whose state the engine holds exactly, if any (see `settled`).
    pub fn committed(&self) -> Option<&Position> {
        self.position.as_ref().filter(|_| self.settled)
    }
}

/// What the group's figures cover, shown beside them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coverage {
    /// Input partitions whose state the figures include.
    pub partitions: usize,
    /// Input partitions of the topics read (0 when not known).
    pub partitions_total: usize,
    /// Instances that wrote those states (an instance counts itself).
    pub instances: usize,
    /// The newest state among them: how fresh the figures are.
    pub updated_at: Option<Timestamp>,
}

/// The latest state of every partition of one group, as read from the state topic.
#[derive(Debug, Default)]
pub struct GroupStates {
    group: String,
    /// The input topics whose states count (empty: all of the group's).
    topics: Vec<String>,
    /// By topic, then partition (looked up without an allocation per record).
    latest: BTreeMap<String, BTreeMap<i32, PartitionState>>,
    /// The distinct-key bound of the engines rebuilt and merged (the reader's METRICS_MAX_KEYS).
    max_keys: usize,
}

impl GroupStates {
    pub fn new(group: &str) -> GroupStates {
        GroupStates {
            group: group.to_string(),
            topics: Vec::new(),
            latest: BTreeMap::new(),
            max_keys: crate::metrics::DEFAULT_MAX_KEYS,
        }
    }

    /// Engines rebuilt from the records and their merge keep at most this many distinct keys
    /// exactly (see [`MetricsEngine::with_max_keys`]).
    pub fn with_max_keys(mut self, max_keys: usize) -> GroupStates {
        self.max_keys = max_keys;
        self
    }

    /// Only the states of these input topics count (those being read), so that the figures
    /// and their coverage are of the same partitions.
    pub fn of_topics(mut self, topics: &[String]) -> GroupStates {
        self.topics = topics.to_vec();
        self
    }

    pub fn group(&self) -> &str {
        &self.group
    }

    /// Takes one record of the state topic, read from its partition `state_partition`, in the
    /// order of that partition. Records of other groups are ignored; an entry record changes
    /// its partition's engine (no value: the entry is gone); a position record settles it; a
    /// position tombstone forgets the partition. Returns whether the record was this group's. A
    /// key that is not a state record key is [`StateError::Key`] (whoever wrote it); any other
    /// error is about a record of this group.
    pub fn apply(
        &mut self,
        state_partition: i32,
        key: &[u8],
        value: Option<&[u8]>,
    ) -> Result<bool, StateError> {
        let key = StateKey::decode(key)?;
        if key.group != self.group
            || !(self.topics.is_empty() || self.topics.iter().any(|t| *t == key.topic))
        {
            return Ok(false);
        }
        let (topic, partition) = (key.topic.as_ref(), key.partition);
        if key.entry.is_none() && value.is_none() {
            if let Some(partitions) = self.latest.get_mut(topic) {
                partitions.remove(&partition);
            }
            return Ok(true);
        }
        let state = self.slot(topic, partition, state_partition)?;
        match (key.entry, value) {
            (Some(entry), value) => {
                let value = value.map(decode_entry).transpose()?;
                state.engine.apply_entry(&entry, value)?;
                state.settled = false;
            }
            (None, Some(value)) => {
                state.position = Some(Position::decode(value)?);
                state.settled = true;
            }
            (None, None) => {}
        }
        Ok(true)
    }

    /// The state of `topic`/`partition`, made empty the first time; its records must all come
    /// from one state partition.
    fn slot(
        &mut self,
        topic: &str,
        partition: i32,
        state_partition: i32,
    ) -> Result<&mut PartitionState, StateError> {
        let max_keys = self.max_keys;
        if !self.latest.contains_key(topic) {
            self.latest.insert(topic.to_string(), BTreeMap::new());
        }
        let partitions = self
            .latest
            .get_mut(topic)
            .ok_or_else(|| StateError::Key(topic.to_string()))?;
        let state = partitions
            .entry(partition)
            .or_insert_with(|| PartitionState {
                topic: topic.to_string(),
                partition,
                position: None,
                settled: false,
                engine: MetricsEngine::with_max_keys(max_keys),
                state_partition,
            });
        if state.state_partition != state_partition {
            return Err(StateError::Scattered {
                topic: topic.to_string(),
                partition,
                first: state.state_partition,
                then: state_partition,
            });
        }
        Ok(state)
    }

    /// The state of one partition read so far.
    pub fn get(&self, topic: &str, partition: i32) -> Option<&PartitionState> {
        self.latest.get(topic)?.get(&partition)
    }

    /// Every partition's state with a position, in topic and partition order.
    pub fn states(&self) -> impl Iterator<Item = &PartitionState> {
        self.latest
            .values()
            .flat_map(BTreeMap::values)
            .filter(|state| state.position.is_some())
    }

    /// The group's figures: the merge of every partition's latest state, except the partitions
    /// `live` has its own (fresher) engine for, which are merged from `live` instead.
    pub fn merged<'a>(
        &'a self,
        live: impl IntoIterator<Item = (&'a str, i32, &'a MetricsEngine)>,
        me: Option<&str>,
        partitions_total: usize,
    ) -> (MetricsEngine, Coverage) {
        let mut engine = MetricsEngine::with_max_keys(self.max_keys);
        let mut covered: BTreeSet<(&str, i32)> = BTreeSet::new();
        let mut instances: BTreeSet<&str> = BTreeSet::new();
        let mut updated_at: Option<i64> = None;
        for (topic, partition, live) in live {
            engine.merge(live);
            covered.insert((topic, partition));
        }
        if let Some(me) = me.filter(|_| !covered.is_empty()) {
            instances.insert(me);
            updated_at = Some(Timestamp::now().millis());
        }
        for state in self.states() {
            let Some(position) = &state.position else {
                continue;
            };
            if !covered.insert((&state.topic, state.partition)) {
                continue;
            }
            engine.merge(&state.engine);
            instances.insert(&position.instance);
            updated_at = updated_at.max(Some(position.written_at_ms));
        }
        let coverage = Coverage {
            partitions: covered.len(),
            partitions_total,
            instances: instances.len(),
            updated_at: updated_at.map(Timestamp::from_millis),
        };
        (engine, coverage)
    }
}

#[cfg(test)]
mod tests;
