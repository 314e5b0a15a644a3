//! What can go wrong with a checkpoint; every message names the file and, where starting over is
//! the way out, says `--reset`.

use std::path::PathBuf;

/// The format version written (version 2, the whole engine in one JSON file, is still read).
pub const VERSION: u32 = 3;

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
        "{path}: checkpoint version {found}, this ShopStream reads versions 2 and {VERSION}; pass --reset"
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
    #[error("cannot take the engine's state for the checkpoint")]
    Entries(#[from] crate::metrics::EntryError),
}

impl CheckpointError {
    pub(crate) fn read(path: &std::path::Path) -> impl Fn(std::io::Error) -> CheckpointError {
        move |source| CheckpointError::Read {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn write(path: &std::path::Path) -> impl Fn(std::io::Error) -> CheckpointError {
        move |source| CheckpointError::Write {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn invalid(path: &std::path::Path, message: impl Into<String>) -> CheckpointError {
        CheckpointError::Invalid {
            path: path.to_path_buf(),
            message: message.into(),
        }
    }
}
