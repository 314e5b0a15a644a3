//! Event time: milliseconds since the Unix epoch, written as RFC 3339 in UTC with milliseconds
//! ("2026-11-27T12:43:19.123Z").

use std::fmt;

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(i64);

/// Why a text is not an event timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimestampError {
    #[error("is not an RFC 3339 date-time ({0})")]
    Syntax(String),
    #[error("is outside years 1970..=9999")]
    OutOfRange,
}

/// 1970-01-01 counted as chrono's `num_days_from_ce` counts it.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// 9999-12-31T23:59:59.999Z: the last instant with a four-digit year.
const MAX_MILLIS: i64 = 253_402_300_799_999;

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }

    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis.clamp(0, MAX_MILLIS))
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn parse(text: &str) -> Result<Timestamp, TimestampError> {
        if let Some(timestamp) = Timestamp::parse_canonical(text) {
            return Ok(timestamp);
        }
        let parsed = DateTime::parse_from_rfc3339(text)
            .map_err(|e| TimestampError::Syntax(e.to_string()))?;
        let millis = parsed.timestamp_millis();
        if !(0..=MAX_MILLIS).contains(&millis) {
            return Err(TimestampError::OutOfRange);
        }
        Ok(Timestamp(millis))
    }

    /// The fast path for the form ShopStream writes ("2026-11-27T12:43:19.123Z"): it runs once
    /// per consumed event. Anything else goes to chrono's full RFC 3339 parser.
    fn parse_canonical(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() != 24 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
            return None;
        }
        if b[16] != b':' || b[19] != b'.' || b[23] != b'Z' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            b[range].iter().try_fold(0u32, |n, &d| {
                d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0'))
            })
        };
        // chrono checks the date (month lengths, leap years); the time of day is plain arithmetic.
        let date =
            chrono::NaiveDate::from_ymd_opt(number(0..4)? as i32, number(5..7)?, number(8..10)?)?;
        let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let seconds_of_day = i64::from(hour * 3600 + minute * 60 + second);
        let days = i64::from(date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE);
        let millis = (days * 86_400 + seconds_of_day) * 1000 + i64::from(number(20..23)?);
        (0..=MAX_MILLIS)
            .contains(&millis)
            .then_some(Timestamp(millis))
    }

    /// Writes the 24-byte RFC 3339 form without allocating: this runs once per produced event.
    pub fn write_rfc3339(self, out: &mut [u8; 24]) {
        // from_millis clamps into chrono's range, so this cannot fail; fall back to the epoch anyway.
        let time = DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default();
        let date = time.date_naive();
        let fields = [
            (0, 4, date.year() as u32),
            (5, 2, date.month()),
            (8, 2, date.day()),
            (11, 2, time.hour()),
            (14, 2, time.minute()),
            (17, 2, time.second()),
            (20, 3, time.timestamp_subsec_millis()),
        ];
        *out = *b"0000-00-00T00:00:00.000Z";
        for (start, width, mut value) in fields {
            for slot in out[start..start + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 24];
        self.write_rfc3339(&mut buf);
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&buf).map_err(|_| fmt::Error)?)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 24];
        self.write_rfc3339(&mut buf);
        let text = std::str::from_utf8(&buf).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(text)
    }
}

#[cfg(test)]
mod tests;
