//! Money as whole cents, so totals and revenue are exact. On the wire it is a JSON number with at
//! most two decimals (29.99), as the original demo wrote it; in saved state it is the whole
//! number of cents ([`cents`]).

use std::fmt;
use std::ops::{Add, AddAssign};

use serde::{Serialize, Serializer};

/// An amount in cents. Always >= 0 in this domain; i64 leaves room to sum any realistic revenue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Money(i64);

/// The largest amount accepted from a message or catalog: 1e12 cents (10 billion). Anything larger
/// is a corrupt or hostile number, not a price.
pub const MAX_CENTS: i64 = 1_000_000_000_000;

/// Why a number cannot be an amount of money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("is negative")]
    Negative,
    #[error("is not a finite number")]
    NotFinite,
    #[error("is larger than {}", Money(MAX_CENTS))]
    TooLarge,
    #[error("has more than two decimals")]
    SubCent,
}

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    pub const fn cents(self) -> i64 {
        self.0
    }

    /// Converts a decimal amount as JSON carries it. Accepts exactly what a two-decimal number
    /// parses to (29.99 is not exactly representable in binary, so "exact" means within a tiny
    /// tolerance of a whole number of cents).
    pub fn from_decimal(value: f64) -> Result<Money, MoneyError> {
        if !value.is_finite() {
            return Err(MoneyError::NotFinite);
        }
        if value < 0.0 {
            return Err(MoneyError::Negative);
        }
        let cents = value * 100.0;
        if cents > MAX_CENTS as f64 {
            return Err(MoneyError::TooLarge);
        }
        let rounded = cents.round();
        if (cents - rounded).abs() > 1e-6 * rounded.max(1.0) {
            return Err(MoneyError::SubCent);
        }
        Ok(Money(rounded as i64))
    }

    /// The amount as the nearest f64; its shortest decimal form is the two-decimal amount.
    pub fn as_decimal(self) -> f64 {
        self.0 as f64 / 100.0
    }

    /// price x quantity, exact; None on overflow.
    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(quantity)).map(Money)
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0.saturating_add(rhs.0))
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        *self = *self + rhs;
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.as_decimal())
    }
}

/// Money as a whole number of cents, the form saved state (checkpoints) keeps, for
/// `#[serde(with = "crate::money::cents")]`: exact at any size, and not bound by [`MAX_CENTS`],
/// which caps one amount read from a message, not a sum of them.
pub mod cents {
    use serde::{Deserialize, Deserializer, Serializer};

    use super::{Money, MoneyError};

    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(money.0)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let cents = i64::deserialize(deserializer)?;
        if cents < 0 {
            return Err(serde::de::Error::custom(format_args!(
                "{cents} cents {}",
                MoneyError::Negative
            )));
        }
        Ok(Money(cents))
    }
}

#[cfg(test)]
mod tests;
