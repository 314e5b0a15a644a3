//! Where metrics-consumer's figures live: one engine in this process (optionally checkpointed to
//! a file), or, with `--exactly-once`, per partition across the group, committed in Kafka
//! transactions and merged from the state topic; or, reading on several threads, one engine per
//! thread, merged for reports. With `--window` each engine keeps its windows of event time too,
//! so they are saved, committed and merged with the rest.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::Context;
use rdkafka::consumer::BaseConsumer;
use shopstream_core::checkpoint::Checkpoint;
use shopstream_core::group_state::Coverage;
use shopstream_core::metrics::{MetricsEngine, Report, WindowsResumed};
use shopstream_core::windows::{
    EventTimeReport, EventTimeWindows, Placement, WindowRules, reader_clock,
};
use shopstream_kafka::Settings;
use shopstream_kafka::commit_cadence::CommitCadence;
use shopstream_kafka::consume_loop::Incoming;
use shopstream_kafka::exactly_once::{self, ExactlyOnce};
use shopstream_kafka::group_consumer::{EventConsumerContext, OffsetKeeping, PartitionLag};

pub enum Figures {
    /// This process's engine and the offsets it covers; saved to `path` when given.
    Local {
        state: Box<Checkpoint>,
        path: Option<PathBuf>,
        cadence: CommitCadence,
        unsaved: u64,
        last_save: Instant,
    },
    /// One engine per reader thread (see [`Figures::thread_engine`]).
    Threads {
        engines: Vec<Arc<Mutex<MetricsEngine>>>,
        /// With --window: the rules of each thread's windows, and the main thread's watch over
        /// every partition, whose watermark closes the windows of all threads.
        windows: Option<(WindowRules, Box<EventTimeWindows>)>,
        /// Each engine's distinct-key bound (and the merge's).
        max_keys: usize,
    },
    /// A member of an exactly-once group (its windows, if any, are per partition, set up by
    /// the member).
    Group {
        member: ExactlyOnce,
        /// Input partitions of the topics read.
        partitions_total: usize,
        /// With --window: how many windows a report shows.
        keep_windows: usize,
    },
}

/// One report's figures.
pub struct Snapshot {
    pub report: Report,
    /// For a group: what its figures cover.
    pub coverage: Option<Coverage>,
    /// With --window: the watermark, the too-late counts and the latest windows.
    pub event_time: Option<EventTimeReport>,
}

impl Figures {
    /// With --exactly-once: this instance as a member of the group, its figures and offsets
    /// committed together in Kafka transactions.
    pub fn group_member(
        settings: &Settings,
        config: exactly_once::Config,
    ) -> anyhow::Result<(Figures, OffsetKeeping)> {
        let member = ExactlyOnce::start(settings, config)?;
        let hook = member.hook();
        let figures = Figures::Group {
            member,
            partitions_total: 0,
            keep_windows: 0,
        };
        Ok((figures, OffsetKeeping::Transactional(hook)))
    }

    /// Without --exactly-once: figures kept in this process over `topics` (one engine per reader
    /// thread when `threads` > 1). With a `checkpoint` file (forgotten first with `reset`) the
    /// engine and its offsets are loaded from it and saved to it every `commit_every` messages,
    /// and decide where reading starts; without, the group's offsets do. Engines hold at most
    /// `max_keys` distinct keys.
    pub fn in_process(
        topics: Vec<String>,
        checkpoint: Option<&Path>,
        reset: bool,
        threads: usize,
        commit_every: u64,
        max_keys: usize,
    ) -> anyhow::Result<(Figures, OffsetKeeping)> {
        // A checkpoint holds one engine with its offsets (metrics-consumer refuses --threads
        // with --checkpoint; this keeps a saved state from being loaded and then left unsaved).
        anyhow::ensure!(
            checkpoint.is_none() || threads <= 1,
            "several reader threads do not go with a checkpoint"
        );
        // The engine and the offsets it covers live together: in memory always, on disk with
        // --checkpoint (where they then also decide where reading starts).
        let mut state = match checkpoint {
            Some(path) => {
                if reset {
                    Checkpoint::remove(path)?;
                }
                Checkpoint::load(path, &topics)?.unwrap_or_else(|| Checkpoint::new(topics))
            }
            None => Checkpoint::new(topics),
        };
        state.engine.set_max_keys(max_keys);
        let offsets = match checkpoint {
            Some(_) => OffsetKeeping::Assigned(state.offsets.clone()),
            None => OffsetKeeping::Group,
        };
        let figures = if threads > 1 {
            Figures::Threads {
                engines: Vec::new(),
                windows: None,
                max_keys,
            }
        } else {
            Figures::local(state, checkpoint.map(Path::to_path_buf), commit_every)
        };
        Ok((figures, offsets))
    }

    /// Once the consumer is connected to `partitions` (topic, partition) of the input topics: a
    /// group member's figures cover them all; with `windows`, figures per window of event time
    /// are kept too (see [`Figures::with_windows`]).
    pub fn connected(
        mut self,
        partitions: &[(String, i32)],
        windows: Option<WindowRules>,
    ) -> anyhow::Result<Figures> {
        if let Figures::Group {
            partitions_total, ..
        } = &mut self
        {
            *partitions_total = partitions.len();
        }
        match windows {
            Some(rules) => self.with_windows(rules, partitions),
            None => Ok(self),
        }
    }

    pub fn local(state: Checkpoint, path: Option<PathBuf>, commit_every: u64) -> Figures {
        Figures::Local {
            state: Box::new(state),
            path,
            cadence: CommitCadence::new(commit_every),
            unsaved: 0,
            last_save: Instant::now(),
        }
    }

    /// Keeps figures per window of event time too, over `partitions` (topic, partition): each
    /// holds the watermark back until its first event or until it is idle. Windows saved in a
    /// checkpoint go on from where they were.
    pub fn with_windows(
        mut self,
        rules: WindowRules,
        partitions: &[(String, i32)],
    ) -> anyhow::Result<Figures> {
        let now = reader_clock();
        let watched = |mut windows: EventTimeWindows| {
            for (topic, partition) in partitions {
                windows.watch(topic, *partition, now);
            }
            windows
        };
        match &mut self {
            Figures::Local { state, path, .. } => {
                let watching = partitions.iter().map(|(t, p)| (t.as_str(), *p));
                let resumed = state
                    .engine
                    .resume_windows(rules, now, watching)
                    .with_context(|| {
                        format!(
                            "{}: cannot go on with --window {:?}; pass --reset to start over",
                            path.as_deref()
                                .unwrap_or(std::path::Path::new("checkpoint"))
                                .display(),
                            rules.width
                        )
                    })?;
                if resumed == WindowsResumed::StartedAfterCounts {
                    tracing::warn!(
                        "the checkpoint was kept without --window: windows start with the events \
                         read from now on"
                    );
                }
            }
            Figures::Threads { windows, .. } => {
                *windows = Some((rules, Box::new(watched(EventTimeWindows::new(rules)))));
            }
            Figures::Group { keep_windows, .. } => *keep_windows = rules.keep,
        }
        Ok(self)
    }

    /// Tells the windows how far behind the reader is on each partition: one with events
    /// waiting is never idle.
    pub fn note_lag(&mut self, lag: &[PartitionLag]) {
        let windows = match self {
            Figures::Local { state, .. } => state.engine.windows_mut(),
            Figures::Threads {
                windows: Some((_, main)),
                ..
            } => Some(&mut **main),
            _ => None,
        };
        if let Some(windows) = windows {
            for partition in lag {
                windows.note_lag(&partition.topic, partition.partition, partition.lag);
            }
        }
    }

    /// Whether figures per window are kept (and told about the lag).
    pub fn has_windows(&self) -> bool {
        match self {
            Figures::Local { state, .. } => state.engine.windows().is_some(),
            Figures::Threads { windows, .. } => windows.is_some(),
            Figures::Group { .. } => false,
        }
    }

    /// A new engine for one more reader thread, part of the figures from now on.
    pub fn thread_engine(&mut self) -> Arc<Mutex<MetricsEngine>> {
        match self {
            Figures::Threads {
                engines,
                windows,
                max_keys,
            } => {
                let engine = thread_engine(windows.as_ref().map(|(rules, _)| *rules), *max_keys);
                engines.push(Arc::clone(&engine));
                engine
            }
            _ => thread_engine(None, shopstream_core::metrics::DEFAULT_MAX_KEYS),
        }
    }

    /// Counts one message (and saves or commits when it is time); says whether it came too late
    /// for its window of event time.
    pub fn record(
        &mut self,
        incoming: &Incoming<'_>,
        consumer: &BaseConsumer<EventConsumerContext>,
    ) -> anyhow::Result<Placement> {
        let placement = match self {
            Figures::Local {
                state,
                path,
                cadence,
                unsaved,
                last_save,
            } => {
                let placement = record_in(&mut state.engine, incoming);
                state.advance(incoming.topic(), incoming.partition(), incoming.offset());
                // Only a checkpoint needs saving; without one, no clock read per message.
                if let Some(path) = path {
                    *unsaved += 1;
                    if cadence.due(*unsaved, last_save.elapsed()) {
                        save(state, path, unsaved, last_save)?;
                    }
                }
                placement
            }
            Figures::Threads {
                engines,
                windows,
                max_keys,
            } => {
                if engines.is_empty() {
                    let rules = windows.as_ref().map(|(rules, _)| *rules);
                    engines.push(thread_engine(rules, *max_keys));
                }
                record(&engines[0], incoming)
            }
            Figures::Group { member, .. } => member.record(
                consumer,
                incoming.kind,
                incoming.topic(),
                incoming.partition(),
                incoming.offset(),
                &incoming.decoded,
                reader_clock(),
            )?,
        };
        Ok(placement)
    }

    /// Between messages: saves or commits what waited a second, closes the windows idleness lets
    /// close.
    pub fn tick(&mut self, consumer: &BaseConsumer<EventConsumerContext>) -> anyhow::Result<()> {
        match self {
            Figures::Local {
                state,
                path,
                cadence,
                unsaved,
                last_save,
            } => {
                if let Some(windows) = state.engine.windows_mut() {
                    windows.close(reader_clock());
                }
                if let Some(path) = path
                    && *unsaved > 0
                    && cadence.overdue(last_save.elapsed())
                {
                    save(state, path, unsaved, last_save)?
                }
            }
            Figures::Threads {
                engines,
                windows: Some((_, main)),
                ..
            } => close_thread_windows(engines, main),
            Figures::Threads { .. } => {}
            Figures::Group { member, .. } => member.tick(consumer)?,
        }
        Ok(())
    }

    /// Saves or commits everything (at exit); a group member then reads the state topic to its
    /// end, so its final figures include every member's last commit.
    pub fn finish(&mut self, consumer: &BaseConsumer<EventConsumerContext>) -> anyhow::Result<()> {
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

    /// The figures of a report.
    pub fn snapshot(&self) -> anyhow::Result<Snapshot> {
        Ok(match self {
            Figures::Local { state, .. } => Snapshot {
                report: state.engine.report(),
                coverage: None,
                event_time: state
                    .engine
                    .windows()
                    .map(|windows| windows.report(reader_clock())),
            },
            Figures::Threads {
                engines,
                windows,
                max_keys,
            } => {
                let mut whole = MetricsEngine::with_max_keys(*max_keys);
                for engine in engines {
                    let engine = engine
                        .lock()
                        .map_err(|_| anyhow::anyhow!("a reader thread failed"))?;
                    whole.merge(&engine);
                }
                let event_time = windows.as_ref().map(|(rules, main)| {
                    let watermark = main.watermark(reader_clock());
                    match whole.windows() {
                        Some(merged) => merged.report_with(watermark),
                        None => EventTimeWindows::new(*rules).report_with(watermark),
                    }
                });
                Snapshot {
                    report: whole.report(),
                    coverage: None,
                    event_time,
                }
            }
            Figures::Group {
                member,
                partitions_total,
                keep_windows,
            } => {
                let (mut engine, coverage) = member.figures(*partitions_total)?;
                Snapshot {
                    report: engine.report(),
                    coverage: Some(coverage),
                    event_time: group_event_time(&mut engine, *keep_windows),
                }
            }
        })
    }
}

/// The event-time part of a group's merged figures: the latest `keep` windows, the watermark of
/// the slowest partition (a group's partitions are read elsewhere; their idleness is not known).
pub fn group_event_time(engine: &mut MetricsEngine, keep: usize) -> Option<EventTimeReport> {
    let windows = engine.windows_mut()?;
    windows.set_keep(keep);
    Some(windows.report_with(windows.slowest_partition()))
}

/// An engine for a reader thread, whose windows (with `rules`) the main thread closes.
fn thread_engine(rules: Option<WindowRules>, max_keys: usize) -> Arc<Mutex<MetricsEngine>> {
    let mut engine = MetricsEngine::with_max_keys(max_keys);
    if let Some(rules) = rules {
        engine.set_windows(Some(EventTimeWindows::closed_by_caller(rules)));
    }
    Arc::new(Mutex::new(engine))
}

/// The main thread's part with reader threads: takes in every thread's event time, and closes
/// every thread's windows on the watermark over all of them (as one reader would).
fn close_thread_windows(engines: &[Arc<Mutex<MetricsEngine>>], main: &mut EventTimeWindows) {
    let now = reader_clock();
    for engine in engines {
        if let Some(windows) = lock(engine).windows() {
            main.follow(windows, now);
        }
    }
    main.close(now);
    for engine in engines {
        if let Some(windows) = lock(engine).windows_mut() {
            windows.close_before(main.closed_before());
        }
    }
}

/// A reader thread's engine. A poisoned one belongs to a thread that panicked, which ends the
/// run anyway.
fn lock(engine: &Mutex<MetricsEngine>) -> MutexGuard<'_, MetricsEngine> {
    engine
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts one message in an engine (in its windows too, when it keeps them).
fn record_in(engine: &mut MetricsEngine, incoming: &Incoming<'_>) -> Placement {
    match &incoming.decoded {
        // The clock is read only for windows: none per message without them.
        Ok(event) if engine.windows().is_some() => engine.record_at(
            incoming.kind,
            incoming.topic(),
            incoming.partition(),
            event,
            reader_clock(),
        ),
        Ok(event) => {
            engine.record(event);
            Placement::Counted
        }
        Err(reason) => {
            engine.record_rejected(reason);
            Placement::Counted
        }
    }
}

/// Counts one message in a reader thread's engine.
pub fn record(engine: &Mutex<MetricsEngine>, incoming: &Incoming<'_>) -> Placement {
    record_in(&mut lock(engine), incoming)
}

/// Commits to the checkpoint (a frame of what changed appended to its log) and starts counting
/// anew.
fn save(
    state: &mut Checkpoint,
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
