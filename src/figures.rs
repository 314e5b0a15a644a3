//! Where metrics-consumer's figures live: one engine in this process (optionally checkpointed to
//! a file), or, with `--exactly-once`, per partition across the group, committed in Kafka
//! transactions and merged from the state topic; or, reading on several threads, one engine per
//! thread, merged for reports.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use shopstream_core::checkpoint::Checkpoint;
use shopstream_core::group_state::Coverage;
use shopstream_core::metrics::{MetricsEngine, Report};
use shopstream_core::windows::{EventTimeReport, EventTimeWindows, Placement};
use shopstream_kafka::consume::Incoming;
use shopstream_kafka::consumer::{LagContext, PartitionLag};
use shopstream_kafka::exactly_once::ExactlyOnce;

pub enum Figures {
    /// This process's engine and the offsets it covers; saved to `path` when given.
    Local {
        state: Box<Checkpoint>,
        path: Option<PathBuf>,
        commit_every: u64,
        unsaved: u64,
        last_save: Instant,
        /// With --window: figures per window of event time.
        windows: Option<Box<EventTime>>,
    },
    /// One engine per reader thread (see [`Figures::thread_engine`]).
    Threads {
        engines: Vec<Arc<Mutex<MetricsEngine>>>,
    },
    /// A member of an exactly-once group.
    Group {
        member: ExactlyOnce,
        /// Input partitions of the topics read.
        partitions_total: usize,
    },
}

impl Figures {
    pub fn local(state: Checkpoint, path: Option<PathBuf>, commit_every: u64) -> Figures {
        Figures::Local {
            state: Box::new(state),
            path,
            commit_every,
            unsaved: 0,
            last_save: Instant::now(),
            windows: None,
        }
    }

    /// Keeps figures per window of event time too, over `partitions` (topic, partition): each
    /// holds the watermark back until its first event or until it is idle.
    pub fn with_windows(
        mut self,
        mut windows: EventTimeWindows,
        partitions: &[(String, i32)],
    ) -> Figures {
        let clock = Instant::now();
        for (topic, partition) in partitions {
            windows.watch(topic, *partition, 0);
        }
        if let Figures::Local { windows: slot, .. } = &mut self {
            *slot = Some(Box::new(EventTime { windows, clock }));
        }
        self
    }

    /// Tells the windows how far behind the reader is on each partition: one with events
    /// waiting is never idle.
    pub fn note_lag(&mut self, lag: &[PartitionLag]) {
        if let Figures::Local {
            windows: Some(event_time),
            ..
        } = self
        {
            for partition in lag {
                event_time
                    .windows
                    .note_lag(&partition.topic, partition.partition, partition.lag);
            }
        }
    }

    /// Whether figures per window are kept.
    pub fn has_windows(&self) -> bool {
        matches!(
            self,
            Figures::Local {
                windows: Some(_),
                ..
            }
        )
    }

    /// The event-time part of the report, when windows are kept.
    pub fn event_time(&self) -> Option<EventTimeReport> {
        match self {
            Figures::Local {
                windows: Some(event_time),
                ..
            } => Some(event_time.windows.report(event_time.now())),
            _ => None,
        }
    }

    /// A new engine for one more reader thread, part of the figures from now on.
    pub fn thread_engine(&mut self) -> Arc<Mutex<MetricsEngine>> {
        let engine = Arc::new(Mutex::new(MetricsEngine::new()));
        if let Figures::Threads { engines } = self {
            engines.push(Arc::clone(&engine));
        }
        engine
    }

    /// Counts one message (and saves or commits when it is time).
    pub fn record(
        &mut self,
        incoming: &Incoming<'_>,
        consumer: &BaseConsumer<LagContext>,
    ) -> anyhow::Result<()> {
        match self {
            Figures::Local {
                state,
                path,
                commit_every,
                unsaved,
                last_save,
                windows,
            } => {
                match &incoming.decoded {
                    Ok(event) => {
                        state.engine.record(event);
                        if let Some(event_time) = windows {
                            let now = event_time.now();
                            let placement = event_time.windows.record(
                                incoming.kind,
                                incoming.topic(),
                                incoming.partition(),
                                event,
                                now,
                            );
                            if placement == Placement::TooLate {
                                tracing::debug!(
                                    "{} p{}@{}: too late for its window",
                                    incoming.topic(),
                                    incoming.partition(),
                                    incoming.offset()
                                );
                            }
                        }
                    }
                    Err(reason) => state.engine.record_rejected(reason),
                }
                state.advance(incoming.topic(), incoming.partition(), incoming.offset());
                // Only a checkpoint needs saving; without one, no clock read per message.
                if let Some(path) = path {
                    *unsaved += 1;
                    if *unsaved >= *commit_every || last_save.elapsed() >= Duration::from_secs(1) {
                        save(state, path, unsaved, last_save)?;
                    }
                }
            }
            Figures::Threads { engines } => {
                if engines.is_empty() {
                    engines.push(Arc::default());
                }
                record(&engines[0], incoming);
            }
            Figures::Group { member, .. } => member.record(
                consumer,
                incoming.topic(),
                incoming.partition(),
                incoming.offset(),
                &incoming.decoded,
            )?,
        }
        Ok(())
    }

    /// Between messages: saves or commits what waited a second, closes the windows idleness lets
    /// close.
    pub fn tick(&mut self, consumer: &BaseConsumer<LagContext>) -> anyhow::Result<()> {
        if let Figures::Local {
            windows: Some(event_time),
            ..
        } = self
        {
            let now = event_time.now();
            event_time.windows.close(now);
        }
        match self {
            Figures::Local {
                state,
                path: Some(path),
                unsaved,
                last_save,
                ..
            } if *unsaved > 0 && last_save.elapsed() >= Duration::from_secs(1) => {
                save(state, path, unsaved, last_save)?
            }
            Figures::Group { member, .. } => member.tick(consumer)?,
            _ => {}
        }
        Ok(())
    }

    /// Saves or commits everything (at exit); a group member then reads the state topic to its
    /// end, so its final figures include every member's last commit.
    pub fn finish(&mut self, consumer: &BaseConsumer<LagContext>) -> anyhow::Result<()> {
        match self {
            Figures::Local {
                state,
                path: Some(path),
                ..
            } => state.save(path)?,
            Figures::Group { member, .. } => {
                if !member.finish(consumer, Duration::from_secs(30))? {
                    tracing::warn!(
                        "the state topic did not catch up within 30s: the final figures may miss \
                         other instances' last commits"
                    );
                }
            }
            Figures::Local { .. } | Figures::Threads { .. } => {}
        }
        Ok(())
    }

    /// The report, and for a group what it covers.
    pub fn report(&self) -> anyhow::Result<(Report, Option<Coverage>)> {
        Ok(match self {
            Figures::Local { state, .. } => (state.engine.report(), None),
            Figures::Threads { engines } => {
                let mut whole = MetricsEngine::new();
                for engine in engines {
                    let engine = engine
                        .lock()
                        .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                    whole.merge(&engine);
                }
                (whole.report(), None)
            }
            Figures::Group {
                member,
                partitions_total,
            } => {
                let (engine, coverage) = member.figures(*partitions_total)?;
                (engine.report(), Some(coverage))
            }
        })
    }
}

/// A reader's windows and the clock that tells when a partition is idle.
pub struct EventTime {
    windows: EventTimeWindows,
    clock: Instant,
}

impl EventTime {
    /// Milliseconds since the windows were set up.
    fn now(&self) -> i64 {
        i64::try_from(self.clock.elapsed().as_millis()).unwrap_or(i64::MAX)
    }
}

/// Counts one message in a reader thread's engine.
pub fn record(engine: &Mutex<MetricsEngine>, incoming: &Incoming<'_>) {
    // A poisoned engine belongs to a thread that panicked, which ends the run anyway.
    let mut engine = engine
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    match &incoming.decoded {
        Ok(event) => engine.record(event),
        Err(reason) => engine.record_rejected(reason),
    }
}

/// Writes the checkpoint and starts counting anew.
fn save(
    state: &Checkpoint,
    path: &std::path::Path,
    unsaved: &mut u64,
    last_save: &mut Instant,
) -> anyhow::Result<()> {
    state.save(path)?;
    *unsaved = 0;
    *last_save = Instant::now();
    Ok(())
}

/// One line on what a group's figures cover.
pub fn describe_coverage(group: &str, coverage: &Coverage) -> String {
    let instances = match coverage.instances {
        1 => "1 instance".to_string(),
        n => format!("{n} instances"),
    };
    let mut line = format!(
        "group {group}: {} of {} partitions, from {instances}",
        coverage.partitions, coverage.partitions_total
    );
    if let Some(updated_at) = coverage.updated_at {
        line.push_str(&format!(", state of {updated_at}"));
    }
    line
}
