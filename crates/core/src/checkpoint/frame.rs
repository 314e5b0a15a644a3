//! Frames, the unit both checkpoint files are made of: the body's length (u32, little-endian),
//! a CRC-32 of that length and the body (u32), then the body. A frame is whole or it is not: a
//! SIGKILL in the middle of an append leaves a short or mismatching tail, told apart from a whole
//! frame and never taken for one.
//!
//! Entries (the engine's state, opaque keys and values) are packed in a body one after the other:
//! the key's length (u32) and bytes, then the value's length (u32, `u32::MAX` for a removal) and
//! bytes.

use std::io::{self, Read, Write};

use crate::metrics::StateEntry;

/// Bytes before a frame's body: its length and its checksum.
pub const FRAME_HEAD: u64 = 8;
/// A length above this is damage, not a frame (a frame holds at most one commit's entries, or
/// about a megabyte of a snapshot's).
const MAX_BODY: u32 = 1 << 30;
/// The value length that stands for a removed entry.
const REMOVED: u32 = u32::MAX;

/// What the next frame of a file is.
#[derive(Debug, PartialEq)]
pub enum Frame {
    Whole(Vec<u8>),
    /// The file ends where a frame would start.
    End,
    /// Cut short or damaged: nothing from here on is a frame.
    Broken,
}

fn checksum(length: [u8; 4], body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&length);
    hasher.update(body);
    hasher.finalize()
}

/// The frame holding `body`, ready to be written.
pub fn frame(body: &[u8]) -> io::Result<Vec<u8>> {
    let length = u32::try_from(body.len())
        .ok()
        .filter(|length| *length <= MAX_BODY)
        .ok_or_else(|| io::Error::other(format!("a frame of {} bytes", body.len())))?;
    let length = length.to_le_bytes();
    let mut bytes = Vec::with_capacity(body.len() + FRAME_HEAD as usize);
    bytes.extend_from_slice(&length);
    bytes.extend_from_slice(&checksum(length, body).to_le_bytes());
    bytes.extend_from_slice(body);
    Ok(bytes)
}

/// Writes one frame; returns the bytes written.
pub fn write_frame(out: &mut impl Write, body: &[u8]) -> io::Result<u64> {
    let bytes = frame(body)?;
    out.write_all(&bytes)?;
    Ok(bytes.len() as u64)
}

/// Reads the next frame. Only errors of the reader itself are errors: a short or damaged frame
/// is [`Frame::Broken`].
pub fn read_frame(input: &mut impl Read) -> io::Result<Frame> {
    let mut head = [0u8; FRAME_HEAD as usize];
    let mut filled = 0;
    while filled < head.len() {
        match input.read(&mut head[filled..]) {
            Ok(0) if filled == 0 => return Ok(Frame::End),
            Ok(0) => return Ok(Frame::Broken),
            Ok(read) => filled += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let length = [head[0], head[1], head[2], head[3]];
    let expected = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
    let body_length = u32::from_le_bytes(length);
    if body_length > MAX_BODY {
        return Ok(Frame::Broken);
    }
    // Read through `take`, so that a damaged length never allocates more than the file holds.
    let mut body = Vec::new();
    input.take(u64::from(body_length)).read_to_end(&mut body)?;
    if body.len() != body_length as usize || checksum(length, &body) != expected {
        return Ok(Frame::Broken);
    }
    Ok(Frame::Whole(body))
}

fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) -> io::Result<()> {
    let length = u32::try_from(bytes.len())
        .ok()
        .filter(|length| *length != REMOVED)
        .ok_or_else(|| io::Error::other(format!("an entry part of {} bytes", bytes.len())))?;
    out.extend_from_slice(&length.to_le_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

/// Appends one entry to a body.
pub fn push_entry(out: &mut Vec<u8>, entry: &StateEntry) -> io::Result<()> {
    push_bytes(out, entry.key.as_bytes())?;
    match &entry.value {
        Some(value) => push_bytes(out, value),
        None => {
            out.extend_from_slice(&REMOVED.to_le_bytes());
            Ok(())
        }
    }
}

/// The bytes an entry takes in a body.
pub fn entry_size(entry: &StateEntry) -> usize {
    8 + entry.key.len() + entry.value.as_ref().map_or(0, Vec::len)
}

/// A key, and its value or None for a removal, borrowed from a body.
pub type EntryRef<'a> = (&'a str, Option<&'a [u8]>);

/// Splits a body of packed entries into entries; every one is checked before any is used.
pub fn unpack_entries(mut body: &[u8]) -> Result<Vec<EntryRef<'_>>, String> {
    let mut entries = Vec::new();
    while !body.is_empty() {
        let (key, rest) = take_part(body).ok_or("an entry's key is cut short")?;
        let key = key.ok_or("an entry without a key")?;
        let key = std::str::from_utf8(key).map_err(|_| "an entry's key is not UTF-8")?;
        let (value, rest) = take_part(rest).ok_or("an entry's value is cut short")?;
        entries.push((key, value));
        body = rest;
    }
    Ok(entries)
}

/// A length-prefixed part (None for a removal) and what follows it.
fn take_part(bytes: &[u8]) -> Option<(Option<&[u8]>, &[u8])> {
    let (length, rest) = bytes.split_first_chunk::<4>()?;
    let length = u32::from_le_bytes(*length);
    if length == REMOVED {
        return Some((None, rest));
    }
    let (part, rest) = rest.split_at_checked(length as usize)?;
    Some((Some(part), rest))
}

#[cfg(test)]
mod tests;
