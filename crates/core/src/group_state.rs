//! The exactly-once state of a group of metrics-consumers, as kept on the compacted state topic:
//! one record per input partition (its metrics engine and the next offset that engine covers),
//! keyed by group, topic and partition, and the group's figures merged from the latest record of
//! every partition. No Kafka here: the bytes of keys and values, and the merge.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::metrics::MetricsEngine;
use crate::timestamp::Timestamp;

/// Format version of a state record; a record of another version is refused, never misread.
pub const VERSION: u32 = 1;

/// Which input partition of which group a state record is about. On the topic the key is the
/// JSON array `[group, topic, partition]`: unambiguous whatever characters the names hold, and
/// readable with any Kafka tool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    pub group: String,
    pub topic: String,
    pub partition: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("not a ShopStream state record key ({0})")]
    Key(String),
    #[error("not a ShopStream state record ({0})")]
    Value(String),
    #[error("state record version {found}, this ShopStream reads version {VERSION}")]
    Version { found: u64 },
}

impl PartitionKey {
    pub fn new(group: &str, topic: &str, partition: i32) -> PartitionKey {
        PartitionKey {
            group: group.to_string(),
            topic: topic.to_string(),
            partition,
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        // Serializing a tuple of strings and an integer cannot fail.
        serde_json::to_vec(&(&self.group, &self.topic, self.partition)).unwrap_or_default()
    }

    pub fn decode(bytes: &[u8]) -> Result<PartitionKey, StateError> {
        let (group, topic, partition): (String, String, i32) =
            serde_json::from_slice(bytes).map_err(|e| StateError::Key(e.to_string()))?;
        Ok(PartitionKey {
            group,
            topic,
            partition,
        })
    }
}

/// The state of one input partition: everything before `next_offset` is in `engine`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartitionState {
    pub version: u32,
    pub group: String,
    pub topic: String,
    pub partition: i32,
    /// The next offset of the input partition to read: the engine holds exactly the messages
    /// before it (the group's committed offset, written in the same transaction, is equal).
    pub next_offset: i64,
    /// The instance that wrote the record.
    pub instance: String,
    /// When the record was written, Unix milliseconds.
    pub written_at_ms: i64,
    pub engine: MetricsEngine,
}

/// A state record to write, borrowing the engine (no copy of it per commit); the same fields as
/// [`PartitionState`].
#[derive(Debug, Serialize)]
pub struct StateRecord<'a> {
    pub version: u32,
    pub group: &'a str,
    pub topic: &'a str,
    pub partition: i32,
    pub next_offset: i64,
    pub instance: &'a str,
    pub written_at_ms: i64,
    pub engine: &'a MetricsEngine,
}

impl StateRecord<'_> {
    pub fn key(&self) -> PartitionKey {
        PartitionKey::new(self.group, self.topic, self.partition)
    }

    /// Writes the record's value into `out` (cleared first, its capacity reused).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        out.clear();
        serde_json::to_writer(&mut *out, self).map_err(|e| StateError::Value(e.to_string()))
    }
}

impl PartitionState {
    pub fn key(&self) -> PartitionKey {
        PartitionKey::new(&self.group, &self.topic, self.partition)
    }

    /// The record to write for this state.
    pub fn record(&self) -> StateRecord<'_> {
        StateRecord {
            version: self.version,
            group: &self.group,
            topic: &self.topic,
            partition: self.partition,
            next_offset: self.next_offset,
            instance: &self.instance,
            written_at_ms: self.written_at_ms,
            engine: &self.engine,
        }
    }

    pub fn decode(bytes: &[u8]) -> Result<PartitionState, StateError> {
        #[derive(Deserialize)]
        struct Version {
            version: Option<u64>,
        }
        let version: Version =
            serde_json::from_slice(bytes).map_err(|e| StateError::Value(e.to_string()))?;
        let found = version.version.unwrap_or(0);
        if found != u64::from(VERSION) {
            return Err(StateError::Version { found });
        }
        serde_json::from_slice(bytes).map_err(|e| StateError::Value(e.to_string()))
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
    latest: BTreeMap<(String, i32), PartitionState>,
}

impl GroupStates {
    pub fn new(group: &str) -> GroupStates {
        GroupStates {
            group: group.to_string(),
            topics: Vec::new(),
            latest: BTreeMap::new(),
        }
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

    /// Takes one record of the state topic: records of other groups are ignored, a record with
    /// no value (a tombstone) forgets its partition. Returns whether the record was this group's.
    pub fn apply(&mut self, key: &[u8], value: Option<&[u8]>) -> Result<bool, StateError> {
        let key = PartitionKey::decode(key)?;
        if key.group != self.group || !(self.topics.is_empty() || self.topics.contains(&key.topic))
        {
            return Ok(false);
        }
        match value {
            None => {
                self.latest.remove(&(key.topic, key.partition));
            }
            Some(value) => {
                let state = PartitionState::decode(value)?;
                if state.key() != key {
                    return Err(StateError::Value(format!(
                        "the value is about {}/{} of group {}, the key about {}/{} of group {}",
                        state.topic,
                        state.partition,
                        state.group,
                        key.topic,
                        key.partition,
                        key.group
                    )));
                }
                self.latest.insert((key.topic, key.partition), state);
            }
        }
        Ok(true)
    }

    /// The latest state of one partition.
    pub fn get(&self, topic: &str, partition: i32) -> Option<&PartitionState> {
        self.latest.get(&(topic.to_string(), partition))
    }

    /// Every partition's latest state, in topic and partition order.
    pub fn states(&self) -> impl Iterator<Item = &PartitionState> {
        self.latest.values()
    }

    /// The group's figures: the merge of every partition's latest state, except the partitions
    /// `live` has its own (fresher) engine for, which are merged from `live` instead.
    pub fn merged<'a>(
        &'a self,
        live: impl IntoIterator<Item = (&'a str, i32, &'a MetricsEngine)>,
        me: Option<&str>,
        partitions_total: usize,
    ) -> (MetricsEngine, Coverage) {
        let mut engine = MetricsEngine::new();
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
        for state in self.latest.values() {
            if !covered.insert((&state.topic, state.partition)) {
                continue;
            }
            engine.merge(&state.engine);
            instances.insert(&state.instance);
            updated_at = updated_at.max(Some(state.written_at_ms));
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
