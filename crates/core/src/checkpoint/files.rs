//! The two files of a checkpoint: `PATH`, the snapshot (the whole state and the offsets it
//! covers, replaced atomically: temporary file, fsync, rename), and `PATH.log`, the commits since
//! (one frame each, appended and fsynced). Both name their lineage: the checkpoint's id and the
//! snapshot's generation; a log of another lineage (one a compaction was about to replace) is
//! not this snapshot's and is ignored.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::error::{CheckpointError, VERSION};
use super::frame::{self, Frame};
use crate::metrics::{MetricsEngine, StateEntry};

/// Next offset to read, per topic and partition.
pub type Offsets = BTreeMap<String, BTreeMap<i32, i64>>;

/// How a snapshot starts (a version 2 checkpoint starts with `{`).
pub const SNAPSHOT_MAGIC: &[u8] = b"ShopStream checkpoint\n";
const LOG_MAGIC: &[u8] = b"ShopStream checkpoint log\n";
/// A snapshot's entries go in frames of about this many bytes, so that neither writing nor
/// reading one holds more than that besides the engine.
const SNAPSHOT_FRAME_BYTES: usize = 1 << 20;

/// Which snapshot a log belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lineage {
    /// Made when the checkpoint is first written; kept by compactions.
    pub checkpoint: uuid::Uuid,
    /// One more at every compaction.
    pub generation: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SnapshotHeader {
    pub version: u32,
    #[serde(flatten)]
    pub lineage: Lineage,
    pub topics: Vec<String>,
    pub offsets: Offsets,
    /// How many entries follow, so that a snapshot is known to be complete.
    pub entries: u64,
}

#[derive(Debug, Serialize, Deserialize)]
struct LogHeader {
    version: u32,
    #[serde(flatten)]
    lineage: Lineage,
}

/// Only the version, read first so that another version is refused with its number.
#[derive(Deserialize)]
struct VersionOnly {
    version: u32,
}

/// `PATH.log`: where the commits after the snapshot `PATH` go.
pub fn log_path(path: &Path) -> PathBuf {
    with_suffix(path, ".log")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = OsString::from(path.as_os_str());
    name.push(suffix);
    PathBuf::from(name)
}

/// Every file of the checkpoint at `path`, temporary ones included.
pub fn all_files(path: &Path) -> [PathBuf; 4] {
    let log = log_path(path);
    [
        path.to_path_buf(),
        with_suffix(path, ".tmp"),
        with_suffix(&log, ".tmp"),
        log,
    ]
}

/// Makes a rename in the directory of `path` durable.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Some file systems cannot sync a directory; the rename is then as durable as they make it.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

/// Writes `bytes` (built by `fill`) to `target`'s temporary file, fsyncs it and renames it to
/// `target`: a crash leaves the old file or the new one. Returns the file, open, and its length.
fn replace_atomically(
    target: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> std::io::Result<u64>,
) -> Result<(File, u64), CheckpointError> {
    let error = CheckpointError::write(target);
    let temporary = with_suffix(target, ".tmp");
    let mut out = BufWriter::new(File::create(&temporary).map_err(&error)?);
    let length = fill(&mut out).map_err(&error)?;
    let file = out.into_inner().map_err(|e| error(e.into_error()))?;
    file.sync_all().map_err(&error)?;
    std::fs::rename(&temporary, target).map_err(&error)?;
    sync_dir(target);
    Ok((file, length))
}

fn json<T: Serialize>(value: &T) -> std::io::Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(std::io::Error::other)
}

/// Writes the snapshot `path` atomically; returns its length.
pub fn write_snapshot(
    path: &Path,
    header: &SnapshotHeader,
    entries: &[StateEntry],
) -> Result<u64, CheckpointError> {
    let (_, length) = replace_atomically(path, |out| {
        out.write_all(SNAPSHOT_MAGIC)?;
        let mut length = SNAPSHOT_MAGIC.len() as u64 + frame::write_frame(out, &json(header)?)?;
        let mut body = Vec::with_capacity(SNAPSHOT_FRAME_BYTES);
        for entry in entries {
            if !body.is_empty() && body.len() + frame::entry_size(entry) > SNAPSHOT_FRAME_BYTES {
                length += frame::write_frame(out, &body)?;
                body.clear();
            }
            frame::push_entry(&mut body, entry)?;
        }
        if !body.is_empty() {
            length += frame::write_frame(out, &body)?;
        }
        Ok(length)
    })?;
    Ok(length)
}

/// Reads a snapshot (its magic already read from `input`) into `engine`; returns its header.
/// A snapshot was renamed into place whole: any damage in it is an error.
pub fn read_snapshot(
    path: &Path,
    input: &mut impl Read,
    engine: &mut MetricsEngine,
) -> Result<SnapshotHeader, CheckpointError> {
    let damaged = || CheckpointError::invalid(path, "the snapshot is damaged");
    let Frame::Whole(head) = frame::read_frame(input).map_err(CheckpointError::read(path))? else {
        return Err(damaged());
    };
    let version: VersionOnly =
        serde_json::from_slice(&head).map_err(|e| CheckpointError::invalid(path, e.to_string()))?;
    if version.version != VERSION {
        return Err(CheckpointError::Version {
            path: path.to_path_buf(),
            found: version.version,
        });
    }
    let header: SnapshotHeader =
        serde_json::from_slice(&head).map_err(|e| CheckpointError::invalid(path, e.to_string()))?;
    let mut applied = 0;
    loop {
        match frame::read_frame(input).map_err(CheckpointError::read(path))? {
            Frame::Whole(body) => applied += apply_entries(path, &body, engine)?,
            Frame::End if applied == header.entries => return Ok(header),
            Frame::End | Frame::Broken => return Err(damaged()),
        }
    }
}

/// Applies a body of packed entries, in order; returns how many.
fn apply_entries(
    path: &Path,
    body: &[u8],
    engine: &mut MetricsEngine,
) -> Result<u64, CheckpointError> {
    let entries = frame::unpack_entries(body).map_err(|e| CheckpointError::invalid(path, e))?;
    for (key, value) in &entries {
        engine
            .apply_entry(key, *value)
            .map_err(|e| CheckpointError::invalid(path, e.to_string()))?;
    }
    Ok(entries.len() as u64)
}

/// The log, open for appending.
#[derive(Debug)]
pub struct Log {
    file: File,
    /// Its length: whole frames only.
    pub length: u64,
}

impl Log {
    /// A new, empty log of `lineage` replaces `PATH.log` atomically.
    pub fn start(path: &Path, lineage: Lineage) -> Result<Log, CheckpointError> {
        let header = LogHeader {
            version: VERSION,
            lineage,
        };
        let (file, length) = replace_atomically(&log_path(path), |out| {
            out.write_all(LOG_MAGIC)?;
            Ok(LOG_MAGIC.len() as u64 + frame::write_frame(out, &json(&header)?)?)
        })?;
        Ok(Log { file, length })
    }

    /// The log of a loaded checkpoint, cut back to its `length` of whole frames (what follows
    /// is the torn tail of a commit that never finished).
    pub fn reopen(path: &Path, length: u64) -> Result<Log, CheckpointError> {
        let path = log_path(path);
        let error = CheckpointError::write(&path);
        let mut file = OpenOptions::new().write(true).open(&path).map_err(&error)?;
        file.set_len(length).map_err(&error)?;
        file.sync_all().map_err(&error)?;
        file.seek(SeekFrom::End(0)).map_err(&error)?;
        Ok(Log { file, length })
    }

    /// Appends one commit, the offsets covered and the entries changed, and fsyncs: once this
    /// returns, the commit survives a crash. Returns the bytes appended.
    pub fn append(
        &mut self,
        path: &Path,
        offsets: &Offsets,
        entries: &[StateEntry],
    ) -> Result<u64, CheckpointError> {
        let log = log_path(path);
        let error = CheckpointError::write(&log);
        let offsets = json(offsets).map_err(&error)?;
        let size = 4 + offsets.len() + entries.iter().map(frame::entry_size).sum::<usize>();
        let mut body = Vec::with_capacity(size);
        let offsets_length =
            u32::try_from(offsets.len()).map_err(|e| error(std::io::Error::other(e)))?;
        body.extend_from_slice(&offsets_length.to_le_bytes());
        body.extend_from_slice(&offsets);
        for entry in entries {
            frame::push_entry(&mut body, entry).map_err(&error)?;
        }
        let bytes = frame::frame(&body).map_err(&error)?;
        self.file.write_all(&bytes).map_err(&error)?;
        self.file.sync_data().map_err(&error)?;
        self.length += bytes.len() as u64;
        Ok(bytes.len() as u64)
    }
}

/// Replays the log of the snapshot of `lineage` into `engine` and `offsets`, commit by commit,
/// up to its first torn or damaged frame. Returns the length of its whole frames, or None when
/// there is no log of this snapshot (none yet, or the one a compaction was replacing).
pub fn replay_log(
    path: &Path,
    lineage: Lineage,
    engine: &mut MetricsEngine,
    offsets: &mut Offsets,
) -> Result<Option<u64>, CheckpointError> {
    let path = log_path(path);
    let mut input = match File::open(&path) {
        Ok(file) => BufReader::new(file),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(CheckpointError::read(&path)(e)),
    };
    let read_error = CheckpointError::read(&path);
    let mut magic = vec![0u8; LOG_MAGIC.len()];
    if input.read_exact(&mut magic).is_err() || magic != LOG_MAGIC {
        return Ok(None);
    }
    let Frame::Whole(head) = frame::read_frame(&mut input).map_err(&read_error)? else {
        return Ok(None);
    };
    match serde_json::from_slice::<LogHeader>(&head) {
        Ok(header) if header.version == VERSION && header.lineage == lineage => {}
        _ => return Ok(None),
    }
    let mut length = (LOG_MAGIC.len() + head.len()) as u64 + frame::FRAME_HEAD;
    while let Frame::Whole(body) = frame::read_frame(&mut input).map_err(&read_error)? {
        let (offsets_length, rest) = body
            .split_first_chunk::<4>()
            .ok_or_else(|| CheckpointError::invalid(&path, "a commit without offsets"))?;
        let (covered, entries) = rest
            .split_at_checked(u32::from_le_bytes(*offsets_length) as usize)
            .ok_or_else(|| CheckpointError::invalid(&path, "a commit's offsets are cut short"))?;
        let covered: Offsets = serde_json::from_slice(covered)
            .map_err(|e| CheckpointError::invalid(&path, e.to_string()))?;
        apply_entries(&path, entries, engine)?;
        *offsets = covered;
        length += body.len() as u64 + frame::FRAME_HEAD;
    }
    Ok(Some(length))
}
