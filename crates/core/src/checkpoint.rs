//! Checkpoints of metrics-consumer: the engine's state together with the offsets it covers, in
//! one file replaced atomically (write a temporary file, fsync, rename). Whatever moment the
//! process dies at, the file on disk holds a state and exactly the offsets that state has seen,
//! so resuming from it counts every event exactly once.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::metrics::MetricsEngine;

/// Format version; a file of another version is refused rather than misread. Version 2 keeps
/// money as whole cents and the tallies keyed by name (version 1 had decimal amounts, which the
/// message decoder's cap on one amount refused past $10 billion of revenue).
const VERSION: u32 = 2;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    version: u32,
    /// The topics (names) the state covers.
    pub topics: Vec<String>,
    /// Next offset to read, per topic and partition.
    pub offsets: BTreeMap<String, BTreeMap<i32, i64>>,
    pub engine: MetricsEngine,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: cannot read the checkpoint")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a ShopStream checkpoint ({message}); remove it or pass --reset")]
    Invalid { path: PathBuf, message: String },
    #[error(
        "{path}: checkpoint version {found}, this ShopStream reads version {VERSION}; pass --reset"
    )]
    Version { path: PathBuf, found: u32 },
    #[error(
        "{path}: the checkpoint covers topics {found:?}, not {wanted:?}; pass --reset to start over"
    )]
    OtherTopics {
        path: PathBuf,
        found: Vec<String>,
        wanted: Vec<String>,
    },
    #[error("{path}: cannot write the checkpoint")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl Checkpoint {
    pub fn new(topics: Vec<String>) -> Checkpoint {
        Checkpoint {
            version: VERSION,
            topics,
            offsets: BTreeMap::new(),
            engine: MetricsEngine::new(),
        }
    }

    /// The checkpoint at `path` for these topics, or None if there is no file yet.
    pub fn load(path: &Path, topics: &[String]) -> Result<Option<Checkpoint>, CheckpointError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(CheckpointError::Read {
                    path: path.to_path_buf(),
                    source,
                });
            }
        };
        let invalid = |message: String| CheckpointError::Invalid {
            path: path.to_path_buf(),
            message,
        };
        let version: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| invalid(e.to_string()))?;
        let found = version
            .get("version")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0) as u32;
        if found != VERSION {
            return Err(CheckpointError::Version {
                path: path.to_path_buf(),
                found,
            });
        }
        let checkpoint: Checkpoint =
            serde_json::from_value(version).map_err(|e| invalid(e.to_string()))?;
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

    /// Writes the checkpoint atomically: a crash leaves the old file or the new one, never a mix.
    pub fn save(&self, path: &Path) -> Result<(), CheckpointError> {
        let error = |source| CheckpointError::Write {
            path: path.to_path_buf(),
            source,
        };
        let mut temporary = path.as_os_str().to_owned();
        temporary.push(".tmp");
        let temporary = PathBuf::from(temporary);
        let bytes = serde_json::to_vec(self).map_err(|e| error(std::io::Error::other(e)))?;
        let mut file = std::fs::File::create(&temporary).map_err(error)?;
        file.write_all(&bytes).map_err(error)?;
        file.sync_all().map_err(error)?;
        std::fs::rename(&temporary, path).map_err(error)?;
        // The rename itself is durable once the directory is synced.
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && let Ok(dir) = std::fs::File::open(dir)
        {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// Removes the checkpoint (for --reset).
    pub fn remove(path: &Path) -> Result<(), CheckpointError> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(CheckpointError::Write {
                path: path.to_path_buf(),
                source: e,
            }),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests;
