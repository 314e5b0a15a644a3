//! The records of the state topic as bytes (format 2, a per-key changelog):
//!
//! - an ENTRY record per engine entry a commit changed: key `[group, topic, partition, entry]`,
//!   value `{"version":2,"entry":<the entry's JSON>}`, or no value (a tombstone) when the entry
//!   is gone;
//! - a POSITION record per partition a commit touched, written after its entries: key
//!   `[group, topic, partition]`, value `{"version":2,"next_offset":..,"instance":..,
//!   "written_at_ms":..}`.
//!
//! Format 1 (an older ShopStream) wrote the whole engine into the position's key; such a record
//! is refused with [`StateError::OldFormat`]. Entry keys and values are the engine's, opaque here.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::metrics::EntryError;

/// Format version of state records; a record of another version is refused, never misread.
pub const VERSION: u32 = 2;

/// The format of an older ShopStream: one record per partition holding its whole engine.
const OLD_VERSION: u64 = 1;

/// How an entry record's value starts; it ends with `}`. Written and read as bytes, so that the
/// entry's JSON is neither parsed nor copied twice.
const ENTRY_PREFIX: &[u8] = br#"{"version":2,"entry":"#;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("not a ShopStream state record key ({0})")]
    Key(String),
    #[error("not a ShopStream state record ({0})")]
    Value(String),
    #[error("state record version {found}, this ShopStream reads version {VERSION}")]
    Version { found: u64 },
    #[error("a state record of an older ShopStream (format {OLD_VERSION}: one whole engine)")]
    OldFormat,
    #[error(transparent)]
    Entry(#[from] EntryError),
    #[error(
        "records of {topic}/{partition} on partitions {first} and {then} of the state topic (were \
         partitions added to it?)"
    )]
    Scattered {
        topic: String,
        partition: i32,
        first: i32,
        then: i32,
    },
}

/// Which input partition of which group a state record is about. On the topic the key is the
/// JSON array `[group, topic, partition]` (with the entry's key as a fourth element for entry
/// records): unambiguous whatever characters the names hold, and readable with any Kafka tool.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartitionKey {
    pub group: String,
    pub topic: String,
    pub partition: i32,
}

impl PartitionKey {
    pub fn new(group: &str, topic: &str, partition: i32) -> PartitionKey {
        PartitionKey {
            group: group.to_string(),
            topic: topic.to_string(),
            partition,
        }
    }

    /// The key of the partition's position record.
    pub fn encode(&self) -> Vec<u8> {
        // Serializing a tuple of strings and an integer cannot fail.
        serde_json::to_vec(&(&self.group, &self.topic, self.partition)).unwrap_or_default()
    }

    /// The key of one of the partition's entry records.
    pub fn entry_key(&self, entry: &str) -> Vec<u8> {
        serde_json::to_vec(&(&self.group, &self.topic, self.partition, entry)).unwrap_or_default()
    }

    /// The partition of a state topic of `partitions` partitions that holds every record of this
    /// input partition: FNV-1a of the position key, modulo. One state partition per input
    /// partition keeps its entries and positions in one ordered log, so a reader that has read a
    /// position has read every entry committed with it. Part of the format: changing the hash
    /// would be a new format version.
    pub fn state_partition(&self, partitions: i32) -> i32 {
        let hash = self.encode().iter().fold(0x811c_9dc5_u32, |hash, &byte| {
            (hash ^ u32::from(byte)).wrapping_mul(0x0100_0193)
        });
        let partitions = u32::try_from(partitions.max(1)).unwrap_or(1);
        i32::try_from(hash % partitions).unwrap_or(0)
    }
}

/// A state record's key, decoded without copying the names when it can.
#[derive(Debug, PartialEq, Eq)]
pub struct StateKey<'a> {
    pub group: Cow<'a, str>,
    pub topic: Cow<'a, str>,
    pub partition: i32,
    /// The entry's key for an entry record; None for a position (or a format-1 record).
    pub entry: Option<Cow<'a, str>>,
}

/// A string borrowed from the key's bytes unless it holds escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'a> StateKey<'a> {
    pub fn decode(bytes: &'a [u8]) -> Result<StateKey<'a>, StateError> {
        serde_json::from_slice(bytes).map_err(|e| StateError::Key(e.to_string()))
    }
}

impl<'de> Deserialize<'de> for StateKey<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<StateKey<'de>, D::Error> {
        deserializer.deserialize_seq(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = StateKey<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("[group, topic, partition] or [group, topic, partition, entry]")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StateKey<'de>, A::Error> {
        let missing = |n| de::Error::invalid_length(n, &self);
        let Text(group) = seq.next_element()?.ok_or_else(|| missing(0))?;
        let Text(topic) = seq.next_element()?.ok_or_else(|| missing(1))?;
        let partition: i32 = seq.next_element()?.ok_or_else(|| missing(2))?;
        let entry = seq.next_element::<Text<'de>>()?.map(|Text(entry)| entry);
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(5, &self));
        }
        Ok(StateKey {
            group,
            topic,
            partition,
            entry,
        })
    }
}

/// An entry record's value: the entry's JSON in a versioned envelope (`out` cleared first, its
/// capacity reused).
pub fn encode_entry_into(entry: &[u8], out: &mut Vec<u8>) {
    out.clear();
    out.reserve(ENTRY_PREFIX.len() + entry.len() + 1);
    out.extend_from_slice(ENTRY_PREFIX);
    out.extend_from_slice(entry);
    out.push(b'}');
}

/// The entry's JSON in an entry record's value.
pub fn decode_entry(value: &[u8]) -> Result<&[u8], StateError> {
    value
        .strip_prefix(ENTRY_PREFIX)
        .and_then(|rest| rest.strip_suffix(b"}"))
        .ok_or_else(|| unreadable(value))
}

/// Where a partition's state stands: its engine holds exactly the input messages before
/// `next_offset` (the group's committed offset, written in the same transaction, is equal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub version: u32,
    pub next_offset: i64,
    /// The instance that wrote the record.
    pub instance: String,
    /// When the record was written, Unix milliseconds.
    pub written_at_ms: i64,
}

impl Position {
    pub fn new(next_offset: i64, instance: &str, written_at_ms: i64) -> Position {
        Position {
            version: VERSION,
            next_offset,
            instance: instance.to_string(),
            written_at_ms,
        }
    }

    /// The position record's value (`out` cleared first).
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), StateError> {
        out.clear();
        serde_json::to_writer(&mut *out, self).map_err(|e| StateError::Value(e.to_string()))
    }

    pub fn decode(bytes: &[u8]) -> Result<Position, StateError> {
        match serde_json::from_slice::<Position>(bytes) {
            Ok(position) if position.version == VERSION => Ok(position),
            _ => Err(unreadable(bytes)),
        }
    }
}

/// Why a value is not a format-2 record: its version, if it says one.
fn unreadable(value: &[u8]) -> StateError {
    #[derive(Deserialize)]
    struct Version {
        version: Option<u64>,
    }
    match serde_json::from_slice::<Version>(value) {
        Ok(Version {
            version: Some(OLD_VERSION),
        }) => StateError::OldFormat,
        Ok(Version {
            version: Some(found),
        }) if found != u64::from(VERSION) => StateError::Version { found },
        Ok(Version { version: None }) => StateError::Version { found: 0 },
        Ok(_) => StateError::Value("not a format-2 entry or position".to_string()),
        Err(error) => StateError::Value(error.to_string()),
    }
}
