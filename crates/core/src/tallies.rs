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
