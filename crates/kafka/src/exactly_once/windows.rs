//! A restored partition's windows of event time: saved ones go on, a state without any starts
//! them now, and without --window none are kept.
//! (src/figures.rs resumes a checkpoint's windows the same way: one shared function is due.)

use shopstream_core::metrics::MetricsEngine;
use shopstream_core::windows::{EventTimeWindows, reader_clock};

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
        let now = reader_clock();
        let mut windows = match engine.windows().cloned() {
            Some(saved) => {
                saved
                    .resume(rules, now)
                    .map_err(|source| ExactlyOnceError::Windows {
                        topic: topic.to_string(),
                        partition,
                        state_topic: self.config.state_topic.clone(),
                        source,
                    })?
            }
            None => {
                if engine.messages() > 0 {
                    tracing::warn!(
                        "{topic}/{partition}: the group's state was kept without --window: its \
                         windows start with the events read from now on"
                    );
                }
                EventTimeWindows::new(rules)
            }
        };
        windows.watch(topic, partition, now);
        engine.set_windows(Some(windows));
        Ok(engine)
    }
}
