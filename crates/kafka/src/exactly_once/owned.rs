//! The partitions a member owns, each with its metrics engine and the offset it has counted to.

use std::collections::BTreeMap;

use shopstream_core::metrics::MetricsEngine;

/// A partition this member owns.
pub(super) struct Owned {
    pub(super) engine: MetricsEngine,
    /// Everything before it is in `engine`.
    pub(super) next_offset: i64,
    /// Changed (or newly owned) since the last commit.
    pub(super) dirty: bool,
    /// Entry keys an earlier state of the partition left on the state topic that the next
    /// commit removes (tombstones): a partition started over must not inherit them.
    pub(super) stale: Vec<String>,
}

impl Owned {
    /// A partition's state from `engine`, dirty: the next commit records who owns it now.
    pub(super) fn new(engine: MetricsEngine, next_offset: i64) -> Owned {
        Owned {
            engine,
            next_offset,
            dirty: true,
            stale: Vec::new(),
        }
    }
}

/// Owned partitions by topic name, then partition number (a slot per partition number: looked
/// up for every message).
#[derive(Default)]
pub(super) struct OwnedPartitions {
    by_topic: BTreeMap<String, Vec<Option<Owned>>>,
}

impl OwnedPartitions {
    pub(super) fn get_mut(&mut self, topic: &str, partition: i32) -> Option<&mut Owned> {
        self.by_topic
            .get_mut(topic)?
            .get_mut(usize::try_from(partition).ok()?)?
            .as_mut()
    }

    pub(super) fn insert(&mut self, topic: &str, partition: i32, owned: Owned) {
        let Ok(index) = usize::try_from(partition) else {
            return;
        };
        let slots = self.by_topic.entry(topic.to_string()).or_default();
        if slots.len() <= index {
            slots.resize_with(index + 1, || None);
        }
        slots[index] = Some(owned);
    }

    pub(super) fn take(&mut self, topic: &str, partition: i32) -> Option<Owned> {
        self.by_topic
            .get_mut(topic)?
            .get_mut(usize::try_from(partition).ok()?)?
            .take()
    }

    pub(super) fn clear(&mut self) {
        self.by_topic.clear();
    }

    /// Every owned partition, by topic then partition number.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, i32, &Owned)> {
        self.by_topic.iter().flat_map(|(topic, slots)| {
            slots
                .iter()
                .enumerate()
                .filter_map(move |(partition, owned)| {
                    owned
                        .as_ref()
                        .map(|owned| (topic.as_str(), partition as i32, owned))
                })
        })
    }

    /// Every owned partition, its state changeable (a commit takes its changes).
    pub(super) fn iter_mut(&mut self) -> impl Iterator<Item = (&str, i32, &mut Owned)> {
        self.by_topic.iter_mut().flat_map(|(topic, slots)| {
            slots
                .iter_mut()
                .enumerate()
                .filter_map(move |(partition, owned)| {
                    owned
                        .as_mut()
                        .map(|owned| (topic.as_str(), partition as i32, owned))
                })
        })
    }

    /// (topic, partition) of every owned partition.
    pub(super) fn list(&self) -> Vec<(String, i32)> {
        self.iter()
            .map(|(topic, partition, _)| (topic.to_string(), partition))
            .collect()
    }

    /// After a commit: nothing is changed since.
    pub(super) fn mark_committed(&mut self) {
        for slots in self.by_topic.values_mut() {
            for owned in slots.iter_mut().flatten() {
                owned.dirty = false;
            }
        }
    }
}

#[cfg(test)]
mod tests;
