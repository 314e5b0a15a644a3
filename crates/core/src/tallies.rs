//! Small helpers that turn tallies into report figures, shared by the whole-stream report
//! ([`crate::metrics`]) and the per-window report ([`crate::windows`]), which both need them
//! (kept here so neither module imports the other back).

use std::collections::BTreeMap;

use enum_map::{EnumArray, EnumMap};

/// `numerator / denominator` rounded to four decimals, or 0 when nothing was counted.
pub(crate) fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        return 0.0;
    }
    // Four decimals: enough for a report, and the same value whichever side computes it.
    (numerator as f64 / denominator as f64 * 10_000.0).round() / 10_000.0
}

/// A tally keyed by the names the report shows.
pub(crate) fn named<K: EnumArray<V>, V: Copy>(
    tally: &EnumMap<K, V>,
    name: impl Fn(K) -> &'static str,
) -> BTreeMap<&'static str, V> {
    tally.iter().map(|(k, v)| (name(k), *v)).collect()
}

/// The distinct-key bound of an engine made with `MetricsEngine::new()`: product tallies held,
/// and distinct users counted exactly per window. A million fits the real shop (a
/// million products) at about 200 MB of product tallies (measured: docs/consumers.md, "Bounded
/// memory").
pub const DEFAULT_MAX_KEYS: usize = 1_000_000;

/// A distinct-key bound (see [`DEFAULT_MAX_KEYS`]); at least 1. The reader's setting, not a
/// figure: never saved, and two engines with equal figures are equal whatever their bounds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MaxKeys(usize);

impl MaxKeys {
    pub(crate) fn new(max_keys: usize) -> MaxKeys {
        MaxKeys(max_keys.max(1))
    }

    pub(crate) fn get(self) -> usize {
        self.0
    }
}

impl Default for MaxKeys {
    fn default() -> MaxKeys {
        MaxKeys(DEFAULT_MAX_KEYS)
    }
}

impl PartialEq for MaxKeys {
    fn eq(&self, _: &MaxKeys) -> bool {
        true
    }
}
