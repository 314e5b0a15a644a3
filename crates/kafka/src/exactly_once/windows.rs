//! A restored partition's windows of event time: saved ones go on, a state without any starts
//! them now, and without --window none are kept.

use shopstream_core::metrics::{MetricsEngine, WindowsResumed};
use shopstream_core::windows::reader_clock;

use super::error::ExactlyOnceError;
use super::member_state::Member;

impl Member {
    /// A partition's engine with its windows as this member keeps them.
    pub(super) fn with_windows(
        &self,
        mut engine: MetricsEngine,
        topic: &str,
        partition: i32,
    ) -> Result<MetricsEngine, ExactlyOnceError> {
        let Some(rules) = self.config.windows else {
            engine.set_windows(None);
            return Ok(engine);
        };
        let resumed = engine
            .resume_windows(rules, reader_clock(), [(topic, partition)])
            .map_err(|source| ExactlyOnceError::Windows {
                topic: topic.to_string(),
                partition,
                state_topic: self.config.state_topic.clone(),
                source,
            })?;
        if resumed == WindowsResumed::StartedAfterCounts {
            tracing::warn!(
                "{topic}/{partition}: the group's state was kept without --window: its windows \
                 start with the events read from now on"
            );
        }
        Ok(engine)
    }
}
