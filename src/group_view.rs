//! `metrics-consumer --view`: an exactly-once group's figures read from its state topic alone,
//! without consuming events.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shopstream_kafka::Settings;
use shopstream_kafka::admin::TopicAdmin;
use shopstream_kafka::exactly_once::StateReader;
use shopstream_kafka::group_consumer::PartitionLag;

use crate::figures::{self, Snapshot};
use crate::serve::Dashboard;

/// How long the state topic is given to be read to its end at start.
const CATCH_UP: Duration = Duration::from_secs(30);

/// How often the dashboard gets the group's figures while viewing.
const PUBLISH_EVERY: Duration = Duration::from_millis(500);

/// A reader of a group's state topic, caught up.
pub struct GroupView {
    reader: StateReader,
    /// Input partitions of the topics read.
    partitions_total: usize,
    /// How many windows a report shows.
    keep_windows: usize,
    timeout: Duration,
}

impl GroupView {
    /// Reads the state of `group` over the input `topics` from the state topic, which must exist,
    /// to its end (or for at most 30 s).
    pub fn connect(
        settings: &Settings,
        group: &str,
        topics: &[&str],
        keep_windows: usize,
        timeout: Duration,
    ) -> anyhow::Result<GroupView> {
        let admin = TopicAdmin::connect(settings, timeout)?;
        let state_topic = &settings.metrics_state_topic;
        if admin.describe(&[state_topic])?.is_empty() {
            anyhow::bail!(
                "state topic {state_topic} does not exist on {} (it is made by setup-topics, or by \
                 the first metrics-consumer --exactly-once)",
                settings.bootstrap_servers
            );
        }
        let partitions_total = admin.describe(topics)?.iter().map(|t| t.partitions).sum();
        let inputs: Vec<String> = topics.iter().map(ToString::to_string).collect();
        let mut reader = StateReader::connect(settings, state_topic, group, &inputs, timeout)?;
        if !reader.catch_up(CATCH_UP)? {
            tracing::warn!("the state topic did not catch up within 30s: showing what was read");
        }
        Ok(GroupView {
            reader,
            partitions_total,
            keep_windows,
            timeout,
        })
    }

    /// The group's figures as read so far, and its lag.
    pub fn figures(&self) -> anyhow::Result<(Snapshot, Vec<PartitionLag>)> {
        let (mut engine, coverage) = self.reader.states().merged([], None, self.partitions_total);
        let snapshot = Snapshot {
            report: engine.report(),
            coverage: Some(coverage),
            event_time: figures::group_event_time(&mut engine, self.keep_windows),
        };
        Ok((snapshot, self.reader.lag(self.timeout)?))
    }

    /// Hands `dashboard` the group's figures twice a second, reading the state topic in between,
    /// until `stop` is raised.
    pub fn serve(&mut self, dashboard: &Dashboard, stop: &AtomicBool) -> anyhow::Result<()> {
        while !stop.load(Ordering::Relaxed) {
            let (snapshot, lag) = self.figures()?;
            dashboard.publish(snapshot, lag);
            let until = Instant::now() + PUBLISH_EVERY;
            while Instant::now() < until && !stop.load(Ordering::Relaxed) {
                self.reader.poll(Duration::from_millis(100))?;
            }
        }
        Ok(())
    }
}
