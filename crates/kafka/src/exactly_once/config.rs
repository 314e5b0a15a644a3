//! What an exactly-once group member is given.

use std::time::Duration;

use shopstream_core::windows::WindowRules;

#[derive(Debug, Clone)]
pub struct Config {
    pub group: String,
    /// The input topics read.
    pub topics: Vec<String>,
    pub state_topic: String,
    /// Where a partition with no state starts: its earliest offset, else its end.
    pub from_beginning: bool,
    /// Commit after this many messages (and at least every second).
    pub commit_every: u64,
    /// How long one request to Kafka may take.
    pub timeout: Duration,
    /// With --window: each partition keeps its windows of event time, closed by its own
    /// watermark (its latest event time: Kafka Streams' stream time per task), so that they are
    /// committed with its offsets alone.
    pub windows: Option<WindowRules>,
}
