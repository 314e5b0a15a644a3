//! Lengths of time as people write them: the one parser of settings and flags alike.

use std::time::Duration;

/// Text that is not a length of time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text} is not a length of time ({reason}); write seconds (10, 1.5) or a number with a unit \
     (250ms, 30s, 1m, 1h 30m)"
)]
pub struct DurationError {
    text: String,
    reason: String,
}

/// "10", "1.5", "250ms", "2m", "1h 30m": a bare number is seconds, anything else is read by
/// humantime. 0 is a length of time; a setting or flag that must be longer checks that itself.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    let error = |reason: &str| DurationError {
        text: text.to_string(),
        reason: reason.to_string(),
    };
    match text.parse::<f64>() {
        Ok(seconds) => Duration::try_from_secs_f64(seconds).map_err(|_| {
            error(if seconds.is_nan() {
                "not a number"
            } else if seconds < 0.0 {
                "negative"
            } else {
                "too long"
            })
        }),
        Err(_) => humantime::parse_duration(text).map_err(|e| error(&e.to_string())),
    }
}
