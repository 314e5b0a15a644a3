//! Checkpoints of metrics-consumer: the engine's state together with the offsets it covers, in
//! two files. `PATH` is a snapshot (the whole state and its offsets, replaced atomically: write a
//! temporary file, fsync, rename); `PATH.log` is an append-only log with one frame per commit
//! since (the offsets then and the entries that changed, checksummed, fsynced), so a commit costs
//! what changed, not the whole state. Loading takes the snapshot, then the log's frames in order
//! up to the first torn or damaged one: a frame is the commit, so whatever moment the process
//! dies at, the state loaded and its offsets agree, and resuming counts every event exactly once.
//! When the log outgrows the snapshot, a compaction writes a new snapshot and starts a new log
//! (see [`Checkpoint::compact`] for why that order is safe at any point).

mod error;
mod files;
mod frame;
mod legacy;

use std::collections::BTreeMap;
use std::io::{BufReader, Read};
use std::path::Path;

pub use error::{CheckpointError, VERSION};
pub use files::{Offsets, log_path};

use files::{Lineage, Log, SnapshotHeader};

use crate::metrics::MetricsEngine;

/// A log shorter than this is never compacted, however small the snapshot: compacting a small
/// state costs little, but not every commit.
const COMPACT_ABOVE: u64 = 4 << 20;

#[derive(Debug)]
pub struct Checkpoint {
    /// The topics (names) the state covers.
    pub topics: Vec<String>,
    /// Next offset to read, per topic and partition.
    pub offsets: Offsets,
    pub engine: MetricsEngine,
    /// What is on disk, once loaded from or saved to the current format.
    disk: Option<OnDisk>,
    /// The log is compacted once longer than this and than the snapshot.
    compact_above: u64,
}

#[derive(Debug)]
struct OnDisk {
    lineage: Lineage,
    snapshot_length: u64,
    log: LogState,
}

#[derive(Debug)]
enum LogState {
    /// Loaded with this many bytes of whole frames; opened (and cut back to them) on the first
    /// commit.
    Loaded(u64),
    Open(Log),
    /// No log of this snapshot: the next commit compacts.
    Missing,
}

/// Figures and offsets; what is on disk is bookkeeping.
impl PartialEq for Checkpoint {
    fn eq(&self, other: &Checkpoint) -> bool {
        self.topics == other.topics && self.offsets == other.offsets && self.engine == other.engine
    }
}

impl Checkpoint {
    pub fn new(topics: Vec<String>) -> Checkpoint {
        Checkpoint {
            topics,
            offsets: Offsets::new(),
            engine: MetricsEngine::new(),
            disk: None,
            compact_above: COMPACT_ABOVE,
        }
    }

    /// The checkpoint at `path` (with its log `PATH.log`) for these topics, or None if there is
    /// no file yet. A version 2 checkpoint (one JSON file) is read too; the first commit after
    /// writes the current format in its place.
    pub fn load(path: &Path, topics: &[String]) -> Result<Option<Checkpoint>, CheckpointError> {
        let mut input = match std::fs::File::open(path) {
            Ok(file) => BufReader::new(file),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(CheckpointError::read(path)(e)),
        };
        let mut start = Vec::with_capacity(files::SNAPSHOT_MAGIC.len());
        (&mut input)
            .take(files::SNAPSHOT_MAGIC.len() as u64)
            .read_to_end(&mut start)
            .map_err(CheckpointError::read(path))?;
        let checkpoint = if start == files::SNAPSHOT_MAGIC {
            Checkpoint::read_current(path, &mut input)?
        } else {
            input
                .read_to_end(&mut start)
                .map_err(CheckpointError::read(path))?;
            let (topics, offsets, engine) = legacy::read(path, &start)?;
            Checkpoint {
                topics,
                offsets,
                engine,
                ..Checkpoint::new(Vec::new())
            }
        };
        let (mut found, mut wanted) = (checkpoint.topics.clone(), topics.to_vec());
        found.sort();
        wanted.sort();
        if found != wanted {
            return Err(CheckpointError::OtherTopics {
                path: path.to_path_buf(),
                found,
                wanted,
            });
        }
        Ok(Some(checkpoint))
    }

    /// The snapshot (its magic read) and the commits of its log.
    fn read_current(path: &Path, input: &mut impl Read) -> Result<Checkpoint, CheckpointError> {
        let mut engine = MetricsEngine::new();
        let header = files::read_snapshot(path, input, &mut engine)?;
        let snapshot_length = std::fs::metadata(path)
            .map_err(CheckpointError::read(path))?
            .len();
        let mut offsets = header.offsets;
        let log = match files::replay_log(path, header.lineage, &mut engine, &mut offsets)? {
            Some(length) => LogState::Loaded(length),
            None => LogState::Missing,
        };
        // From here on a commit writes only what changed.
        engine.track_changes();
        Ok(Checkpoint {
            topics: header.topics,
            offsets,
            engine,
            disk: Some(OnDisk {
                lineage: header.lineage,
                snapshot_length,
                log,
            }),
            compact_above: COMPACT_ABOVE,
        })
    }

    /// Records that everything before `offset + 1` of this partition is in the engine.
    pub fn advance(&mut self, topic: &str, partition: i32, offset: i64) {
        match self.offsets.get_mut(topic) {
            Some(partitions) => {
                partitions.insert(partition, offset + 1);
            }
            None => {
                self.offsets
                    .insert(topic.to_string(), BTreeMap::from([(partition, offset + 1)]));
            }
        }
    }

    /// Commits: appends the offsets and what changed since the last commit to the log, one
    /// fsynced frame, and compacts when the log has outgrown the snapshot. The first commit of a
    /// new (or version 2) checkpoint writes the snapshot instead.
    pub fn save(&mut self, path: &Path) -> Result<(), CheckpointError> {
        let Some(disk) = &mut self.disk else {
            return self.compact(path);
        };
        let changes = self.engine.take_changes()?;
        let log = match std::mem::replace(&mut disk.log, LogState::Missing) {
            LogState::Open(log) => Some(log),
            LogState::Loaded(length) => Some(Log::reopen(path, length)?),
            LogState::Missing => None,
        };
        let Some(mut log) = log else {
            return self.compact(path);
        };
        // Should the append fail, the log stays Missing: a later commit compacts.
        log.append(path, &self.offsets, &changes)?;
        let due = log.length > disk.snapshot_length.max(self.compact_above);
        disk.log = LogState::Open(log);
        if due {
            self.compact(path)?;
        }
        Ok(())
    }

    /// Writes the whole state as a new snapshot and starts a new, empty log. The snapshot goes
    /// first and names its generation; the log, replaced after, names the generation it belongs
    /// to. Killed before the snapshot's rename: the old snapshot and its log stand. Killed
    /// between the two renames: the new snapshot holds everything and ignores the old log (of
    /// the generation before). Killed after: the new pair stands.
    pub fn compact(&mut self, path: &Path) -> Result<(), CheckpointError> {
        // Changes are tracked from the first snapshot on (not before: an engine never saved
        // would keep marks nobody takes).
        self.engine.track_changes();
        let entries = self.engine.entries()?;
        // Marks set since the last take are in these entries already.
        self.engine.take_changes()?;
        self.write_snapshot(path, &entries)
    }

    fn write_snapshot(
        &mut self,
        path: &Path,
        entries: &[crate::metrics::StateEntry],
    ) -> Result<(), CheckpointError> {
        let lineage = match &self.disk {
            Some(disk) => Lineage {
                generation: disk.lineage.generation + 1,
                ..disk.lineage
            },
            None => Lineage {
                checkpoint: uuid::Uuid::new_v4(),
                generation: 1,
            },
        };
        let header = SnapshotHeader {
            version: VERSION,
            lineage,
            topics: self.topics.clone(),
            offsets: self.offsets.clone(),
            entries: entries.len() as u64,
        };
        // Once the snapshot is renamed, the old log is no longer its log; should writing fail,
        // the next commit compacts again (into a generation of its own).
        if let Some(disk) = &mut self.disk {
            disk.log = LogState::Missing;
        }
        let snapshot_length = files::write_snapshot(path, &header, entries)?;
        let log = Log::start(path, lineage)?;
        self.disk = Some(OnDisk {
            lineage,
            snapshot_length,
            log: LogState::Open(log),
        });
        Ok(())
    }

    /// Removes the checkpoint, its log and any temporary file (for --reset).
    pub fn remove(path: &Path) -> Result<(), CheckpointError> {
        for file in files::all_files(path) {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(CheckpointError::write(&file)(e));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
