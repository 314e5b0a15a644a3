//! The flags every producer takes: pace, history, seed, output, lateness, shard and the shop's
//! size.

use std::time::Duration;

use clap::Args;
use shopstream_core::Timestamp;

/// Flags every producer takes.
#[derive(Debug, Args)]
pub struct PaceArgs {
    /// Events per second, 0 = as fast as the broker takes them [default: one event per EVENT_DELAY_MS per topic]
    #[arg(long, value_name = "EVENTS_PER_SECOND", allow_negative_numbers = true)]
    pub rate: Option<f64>,

    /// Stop after this long (e.g. 30s, 5m), even if the count is not reached (with --backfill:
    /// this long after the history is written)
    #[arg(long, value_parser = crate::parse_duration, value_name = "DURATION")]
    pub duration: Option<Duration>,

    /// Run the simulated clock this many times faster than the wall clock (144: a day in ten
    /// minutes), each event sent when its time comes; --rate, if given, is then a ceiling [default
    /// without counts and without --rate: 1, the shop's own pace]
    #[arg(long, value_name = "X")]
    pub time_scale: Option<f64>,

    /// Where the simulated clock starts, RFC 3339 (e.g. 2026-03-02T00:00:00Z) [default: with
    /// --seed 2026-01-01T00:00:00Z, otherwise now less --backfill]
    #[arg(long, value_name = "TIME", value_parser = parse_timestamp)]
    pub start: Option<Timestamp>,

    /// Write this much simulated history first, as fast as the broker takes it, then go on live
    /// from where it ends, without a gap or an overlap (e.g. 1d, 12h)
    #[arg(long, value_name = "DURATION", value_parser = crate::parse_duration)]
    pub backfill: Option<Duration>,

    /// A campaign, SPEC = START/DURATION/FACTOR (e.g. 2026-01-01T18:00:00Z/2h/3): session arrivals
    /// and purchase propensity times FACTOR while it is on (runs without counts); may be repeated
    // Parsed after clap, so that a bad value is one error line.
    #[arg(long, value_name = "SPEC")]
    pub campaign: Vec<String>,

    /// Make the run reproducible: the same seed gives the same events, ids and timestamps included
    #[arg(long)]
    pub seed: Option<u64>,

    /// No per-event lines or progress bar, only the final summary
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print each event as one JSON line on stdout (the summary goes to stderr)
    #[arg(long, conflicts_with = "quiet")]
    pub json: bool,

    /// At the end or on Ctrl-C, wait this long at most for the events in flight
    #[arg(long, default_value = "30s", value_parser = crate::parse_duration, value_name = "DURATION")]
    pub flush_timeout: Duration,

    /// Hold back this share of the events (0 to 1) and send each one later, once the event clock
    /// has moved on by up to --max-delay, its timestamp unchanged: arrival order then differs
    /// from event order, as with phones that come back online
    #[arg(long, value_name = "F")]
    pub late_fraction: Option<f64>,

    /// With --late-fraction: the longest a held-back event waits, in event time
    #[arg(long, default_value = "10s", requires = "late_fraction", value_parser = crate::parse_duration, value_name = "DURATION")]
    pub max_delay: Duration,

    #[arg(long, value_name = "N", help = crate::setting_help("SHOP_USERS"), value_parser = crate::setting_parser::<u64>("SHOP_USERS"))]
    pub users: Option<u64>,

    #[arg(long, value_name = "N", help = crate::setting_help("SHOP_PRODUCTS"), value_parser = crate::setting_parser::<u64>("SHOP_PRODUCTS"))]
    pub products: Option<u64>,

    /// Write only shard I of N of the run (e.g. 2/3): its own users and its share of every count,
    /// so that N processes given the same flags, shards 1/N to N/N, write the whole run together
    // Parsed after clap, so that a bad value is one error line (clap adds usage lines).
    #[arg(long, value_name = "I/N", allow_hyphen_values = true)]
    pub shard: Option<String>,
}

fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text).map_err(|e| format!("{text} {e}, as in 2026-03-06T00:00:00Z"))
}
