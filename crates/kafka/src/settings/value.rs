//! A setting's value: what kinds of values there are, and how text becomes each Rust type.

use std::path::PathBuf;
use std::time::Duration;

use super::duration::parse_duration;

/// What values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text that must not be empty.
    Text,
    /// Text; empty means "off".
    Optional,
    /// A whole number from `min` to `max`.
    Number { min: u64, max: u64 },
    /// A file; a relative path read from a .env file is relative to that file's folder.
    Path,
    /// A length of time of at least a millisecond, as [`parse_duration`] reads it: `90s`, `1m`,
    /// `1h 30m` (humantime), or seconds.
    Duration,
    /// Kafka brokers: `host:port` (or `[ipv6]:port`, optionally after `protocol://`), comma
    /// separated, each port from 1 to 65535.
    Brokers,
}

/// A Rust type a setting's text converts to.
pub trait SettingValue: Sized {
    fn parse(text: &str, kind: Kind) -> Result<Self, String>;
    /// The value as it would be written in .env.
    fn shown(&self) -> String;
}

fn number_in_range(text: &str, kind: Kind) -> Result<u64, String> {
    let (min, max) = match kind {
        Kind::Number { min, max } => (min, max),
        _ => (0, u64::MAX),
    };
    match text.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("expected a whole number from {min} to {max}")),
    }
}

impl SettingValue for u64 {
    fn parse(text: &str, kind: Kind) -> Result<u64, String> {
        number_in_range(text, kind)
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for i32 {
    fn parse(text: &str, kind: Kind) -> Result<i32, String> {
        let n = number_in_range(text, kind)?;
        i32::try_from(n).map_err(|_| format!("expected a whole number up to {}", i32::MAX))
    }
    fn shown(&self) -> String {
        self.to_string()
    }
}

impl SettingValue for String {
    fn parse(text: &str, kind: Kind) -> Result<String, String> {
        if matches!(kind, Kind::Text | Kind::Brokers) && text.trim().is_empty() {
            return Err("must not be empty".to_string());
        }
        if kind == Kind::Brokers {
            for address in text.split(',') {
                check_broker_address(address.trim())?;
            }
        }
        Ok(text.to_string())
    }
    fn shown(&self) -> String {
        self.clone()
    }
}

impl SettingValue for Option<String> {
    fn parse(text: &str, _: Kind) -> Result<Option<String>, String> {
        Ok(Some(text.to_string()).filter(|text| !text.is_empty()))
    }
    fn shown(&self) -> String {
        self.clone().unwrap_or_default()
    }
}

impl SettingValue for Duration {
    fn parse(text: &str, _: Kind) -> Result<Duration, String> {
        let duration = parse_duration(text).map_err(|error| error.to_string())?;
        // Every Duration setting is a width or a wait that 0 would make meaningless.
        if duration < Duration::from_millis(1) {
            return Err(format!(
                "{text} is shorter than a millisecond, the least this setting takes"
            ));
        }
        Ok(duration)
    }
    fn shown(&self) -> String {
        humantime::format_duration(*self).to_string()
    }
}

impl SettingValue for PathBuf {
    fn parse(text: &str, _: Kind) -> Result<PathBuf, String> {
        Ok(PathBuf::from(text))
    }
    fn shown(&self) -> String {
        self.display().to_string()
    }
}

/// Checks one bootstrap address before any connection is tried: a typo in a port (`9o92`) would
/// otherwise surface as a connection to another port, or a wait for the timeout.
fn check_broker_address(address: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("'{address}' is not host:port ({why})"));
    let without_protocol = address.split_once("://").map_or(address, |(_, rest)| rest);
    let (host, port) = match without_protocol.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once("]:") {
            Some((host, port)) => (host, port),
            None => return bad("an IPv6 address is written [address]:port"),
        },
        None => match without_protocol.rsplit_once(':') {
            Some((host, port)) => (host, port),
            None => return bad("no port"),
        },
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return bad("no host name");
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(()),
        _ => bad(&format!(
            "the port '{port}' is not a number from 1 to 65535"
        )),
    }
}
