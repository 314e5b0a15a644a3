//! Version 2 checkpoints: the whole engine and its offsets in one JSON file. Read as a snapshot
//! without a log; the first commit after writes the current format in its place. Version 1
//! (decimal money) and unknown versions are refused with their number.

use std::path::Path;

use serde::Deserialize;

use super::error::CheckpointError;
use super::files::Offsets;
use crate::metrics::MetricsEngine;

#[derive(Deserialize)]
struct VersionTwo {
    topics: Vec<String>,
    offsets: Offsets,
    engine: MetricsEngine,
}

/// The topics, offsets and engine of the version 2 checkpoint `text` (read from `path`).
pub fn read(
    path: &Path,
    text: &[u8],
) -> Result<(Vec<String>, Offsets, MetricsEngine), CheckpointError> {
    let invalid = |e: serde_json::Error| CheckpointError::invalid(path, e.to_string());
    let value: serde_json::Value = serde_json::from_slice(text).map_err(invalid)?;
    let found = value
        .get("version")
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0) as u32;
    if found != 2 {
        return Err(CheckpointError::Version {
            path: path.to_path_buf(),
            found,
        });
    }
    let old: VersionTwo = serde_json::from_value(value).map_err(invalid)?;
    Ok((old.topics, old.offsets, old.engine))
}
