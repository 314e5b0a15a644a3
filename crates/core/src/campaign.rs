//! Campaigns: a flash sale or promotion, a span of simulated time during which session arrivals
//! and the shoppers' purchase propensity are multiplied. Written `START/DURATION/FACTOR`, as in
//! `2026-01-01T18:00:00Z/2h/3` (three times the traffic and buying for two hours).

use std::fmt;
use std::str::FromStr;

use crate::timestamp::{Timestamp, TimestampError};

/// The largest factor a campaign may have (a hundred times the usual traffic).
pub const MAX_FACTOR: f64 = 100.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Campaign {
    pub start: Timestamp,
    /// Milliseconds, above 0.
    pub duration_ms: i64,
    /// Above 0, at most [`MAX_FACTOR`]; below 1 it quietens the shop.
    pub factor: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CampaignError {
    #[error("campaign \"{text}\": expected START/DURATION/FACTOR, as in 2026-01-01T18:00:00Z/2h/3")]
    Shape { text: String },
    // `reason`, not `source`: the message already says it, and error chains would say it twice.
    #[error("campaign \"{text}\": the start {reason}")]
    Start {
        text: String,
        reason: TimestampError,
    },
    #[error(
        "campaign \"{text}\": the duration \"{duration}\" is not a duration above 0 (as in 90s, 30m, 2h, 1d12h)"
    )]
    Duration { text: String, duration: String },
    #[error(
        "campaign \"{text}\": the factor \"{factor}\" is not a number above 0 and at most {MAX_FACTOR}"
    )]
    Factor { text: String, factor: String },
}

impl Campaign {
    /// The first millisecond after the campaign.
    pub fn end_ms(&self) -> i64 {
        self.start.millis().saturating_add(self.duration_ms)
    }

    pub fn is_on(&self, at_ms: i64) -> bool {
        (self.start.millis()..self.end_ms()).contains(&at_ms)
    }
}

/// The product of the factors of the campaigns on at `at_ms` (1 when none is).
pub fn factor_at(campaigns: &[Campaign], at_ms: i64) -> f64 {
    campaigns
        .iter()
        .filter(|c| c.is_on(at_ms))
        .map(|c| c.factor)
        .product()
}

impl FromStr for Campaign {
    type Err = CampaignError;

    fn from_str(text: &str) -> Result<Campaign, CampaignError> {
        let mut parts = text.trim().split('/');
        let (Some(start), Some(duration), Some(factor), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(CampaignError::Shape {
                text: text.to_string(),
            });
        };
        let start = Timestamp::parse(start.trim()).map_err(|reason| CampaignError::Start {
            text: text.to_string(),
            reason,
        })?;
        let duration_ms = parse_duration_ms(duration.trim())
            .filter(|ms| *ms > 0)
            .ok_or_else(|| CampaignError::Duration {
                text: text.to_string(),
                duration: duration.trim().to_string(),
            })?;
        let factor = factor
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| *f > 0.0 && *f <= MAX_FACTOR)
            .ok_or_else(|| CampaignError::Factor {
                text: text.to_string(),
                factor: factor.trim().to_string(),
            })?;
        Ok(Campaign {
            start,
            duration_ms,
            factor,
        })
    }
}

impl fmt::Display for Campaign {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}ms/{}", self.start, self.duration_ms, self.factor)
    }
}

/// "90s", "30m", "2h", "1d12h", "500ms": whole numbers with units d, h, m, s, ms, one after
/// another; None for anything else or on overflow.
fn parse_duration_ms(text: &str) -> Option<i64> {
    let mut rest = text;
    let mut total: i64 = 0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let number: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.bytes().take_while(u8::is_ascii_alphabetic).count();
        let unit_ms: i64 = match &rest[..unit_len] {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total = total.checked_add(number.checked_mul(unit_ms)?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests;
