//! metrics-consumer's handlers for the consume loop: [`MetricsHandler`] feeds the figures, prints
//! reports and keeps the dashboard fresh; with reader threads each thread counts into its own
//! engine through a [`ThreadTally`].

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use colored::Colorize;
use shopstream_core::Timestamp;
use shopstream_core::metrics::MetricsEngine;
use shopstream_core::windows::{Placement, window_start};
use shopstream_kafka::consume_loop::threads::ParallelHandler;
use shopstream_kafka::consume_loop::{Handler, Incoming, Limits, Session};

use crate::figures::{self, Figures};
use crate::report_printer::{ReportKind, ReportPrinter};
use crate::serve::Dashboard;

/// The dead letters' `shopstream.reject.kind` of an event that came too late for its window.
pub const TOO_LATE: &str = "too_late";

/// How often the dashboard gets a fresh report.
const PUBLISH_EVERY: Duration = Duration::from_millis(250);

/// How often the windows hear how far behind the reader is.
const NOTE_LAG_EVERY: Duration = Duration::from_secs(1);

/// Reports to a terminal come at most this often.
const TERMINAL_REPORT_EVERY: Duration = Duration::from_secs(1);

/// Something done at most once a period.
#[derive(Debug)]
pub struct Interval {
    period: Duration,
    last: Instant,
}

impl Interval {
    /// The first period starts now.
    pub fn starting_now(period: Duration) -> Interval {
        Interval {
            period,
            last: Instant::now(),
        }
    }

    /// Whether a period has passed since the last time it was due; if so, the next period starts.
    pub fn due(&mut self) -> bool {
        if self.last.elapsed() < self.period {
            return false;
        }
        self.last = Instant::now();
        true
    }
}

/// Feeds the figures, prints reports and keeps the dashboard fresh.
pub struct MetricsHandler<'s> {
    figures: Figures,
    printer: ReportPrinter,
    every: u64,
    /// Messages this instance handled.
    seen: u64,
    session: &'s Session,
    dashboard: Option<Arc<Dashboard>>,
    publishing: Interval,
    /// A periodic report is owed (--every messages have passed since the last).
    report_due: bool,
    /// Reports to a terminal come at most about once a second.
    paced: bool,
    last_report: Option<Instant>,
    /// When the windows last heard how far behind the reader is.
    lag_noting: Interval,
    /// With --window: the windows' width.
    window_width: Option<Duration>,
}

impl<'s> MetricsHandler<'s> {
    /// A handler for `session` that reports every `every` messages (taken as 1 if 0), sets aside
    /// events too late for their window (with --window, `window_width` wide), and hands the
    /// dashboard, if any, its first report at once.
    pub fn start(
        figures: Figures,
        printer: ReportPrinter,
        every: u64,
        session: &'s Session,
        dashboard: Option<Arc<Dashboard>>,
        window_width: Option<Duration>,
    ) -> anyhow::Result<MetricsHandler<'s>> {
        let paced = !printer.json && std::io::stdout().is_terminal();
        let mut handler = MetricsHandler {
            figures,
            printer,
            every: every.max(1),
            seen: 0,
            session,
            dashboard,
            publishing: Interval::starting_now(PUBLISH_EVERY),
            report_due: false,
            paced,
            last_report: None,
            lag_noting: Interval::starting_now(NOTE_LAG_EVERY),
            window_width,
        };
        handler.publish()?;
        Ok(handler)
    }

    /// Consumes until a limit or Ctrl-C, on `threads` reader threads (one: this thread).
    pub fn consume(&mut self, threads: usize, limits: &Limits) -> anyhow::Result<()> {
        let session = self.session;
        if threads > 1 {
            session.run_parallel(threads, limits, self)?;
        } else {
            session.run(limits, self)?;
        }
        Ok(())
    }

    /// Saves or commits everything, prints the final report (with the exact lag when it can be
    /// read) and hands it to the dashboard.
    pub fn finish(mut self) -> anyhow::Result<()> {
        let consumer = &self.session.consumer;
        self.figures.finish(consumer.base())?;
        let lag = consumer
            .exact_lag(Duration::from_secs(5))
            .unwrap_or_else(|error| {
                tracing::warn!("{error}; showing the lag of the last statistics instead");
                consumer.lag()
            });
        let snapshot = self.figures.snapshot()?;
        self.printer.print(ReportKind::Final, &snapshot, &lag)?;
        if let Figures::Group { member, .. } = &self.figures
            && !self.printer.json
        {
            let activity = member.activity();
            eprintln!(
                "exactly once: {} transactions committed, {} aborted, {} partition states restored",
                activity.commits, activity.aborts, activity.restored
            );
        }
        if let Some(dashboard) = &self.dashboard {
            dashboard.publish(snapshot, lag);
        }
        Ok(())
    }

    /// Prints the periodic report that is due: at once for JSON and for a pipe or file (one per
    /// --every messages, exactly); on a terminal at most about once a second, so that a fast stream
    /// stays readable (the final report always comes).
    fn print_due_report(&mut self) -> anyhow::Result<()> {
        if !self.report_due {
            return Ok(());
        }
        if let Some(last) = self.last_report
            && self.paced
            && last.elapsed() < TERMINAL_REPORT_EVERY
        {
            return Ok(());
        }
        self.report_due = false;
        if self.paced {
            self.last_report = Some(Instant::now());
        }
        let snapshot = self.figures.snapshot()?;
        self.printer.print(
            ReportKind::Periodic,
            &snapshot,
            &self.session.consumer.lag(),
        )
    }

    /// About once a second, tells the windows which partitions still have events waiting.
    fn note_lag(&mut self) {
        if self.figures.has_windows() && self.lag_noting.due() {
            self.figures.note_lag(&self.session.consumer.waiting());
        }
    }

    /// Hands the dashboard a fresh report.
    fn publish(&mut self) -> anyhow::Result<()> {
        if let Some(dashboard) = &self.dashboard {
            dashboard.publish(self.figures.snapshot()?, self.session.consumer.lag());
        }
        Ok(())
    }

    /// Hands the dashboard a fresh report when [`PUBLISH_EVERY`] has passed (without a
    /// dashboard, no clock read).
    fn publish_when_due(&mut self) -> anyhow::Result<()> {
        if self.dashboard.is_some() && self.publishing.due() {
            self.publish()?;
        }
        Ok(())
    }
}

impl Handler for MetricsHandler<'_> {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        show_rejected(&incoming, self.printer.json);
        let placement = self
            .figures
            .record(&incoming, self.session.consumer.base())
            .context("cannot keep the figures")?;
        set_aside_if_too_late(&incoming, placement, self.window_width)?;
        self.seen += 1;
        if let Some(dashboard) = &self.dashboard {
            dashboard.count(incoming.kind);
        }
        self.publish_when_due()?;
        if self.seen % self.every == 0 {
            self.report_due = true;
        }
        self.note_lag();
        self.print_due_report()
    }

    fn idle(&mut self) -> anyhow::Result<()> {
        self.note_lag();
        self.publish_when_due()?;
        self.print_due_report()?;
        self.figures.tick(self.session.consumer.base())
    }
}

impl ParallelHandler for MetricsHandler<'_> {
    type Error = anyhow::Error;
    type Worker = ThreadTally;

    fn worker(&mut self) -> ThreadTally {
        ThreadTally {
            engine: self.figures.thread_engine(),
            json: self.printer.json,
            dashboard: self.dashboard.clone(),
            window_width: self.window_width,
        }
    }

    /// Reports come when the count of messages passes a multiple of --every: on several threads
    /// the figures then hold that many messages or a few more.
    fn tick(&mut self, handled: u64) -> anyhow::Result<()> {
        if handled / self.every > self.seen / self.every {
            self.report_due = true;
        }
        self.seen = handled;
        // The windows of every thread close on the watermark over all of them.
        self.note_lag();
        self.figures.tick(self.session.consumer.base())?;
        self.publish_when_due()?;
        self.print_due_report()
    }
}

/// Counts one reader thread's messages into its own engine.
pub struct ThreadTally {
    engine: Arc<Mutex<MetricsEngine>>,
    json: bool,
    dashboard: Option<Arc<Dashboard>>,
    window_width: Option<Duration>,
}

impl Handler for ThreadTally {
    type Error = anyhow::Error;

    fn message(&mut self, incoming: Incoming<'_>) -> anyhow::Result<()> {
        show_rejected(&incoming, self.json);
        let placement = figures::record(&self.engine, &incoming);
        set_aside_if_too_late(&incoming, placement, self.window_width)?;
        if let Some(dashboard) = &self.dashboard {
            dashboard.count(incoming.kind);
        }
        Ok(())
    }
}

/// Says on stderr (unless the output is JSON) that a message was rejected.
fn show_rejected(incoming: &Incoming<'_>, json: bool) {
    if let Err(reason) = &incoming.decoded
        && !json
    {
        eprintln!(
            "{} {} p{}@{}: {reason}",
            "rejected".red(),
            incoming.topic(),
            incoming.partition(),
            incoming.offset()
        );
    }
}

/// Copies an event that came too late for its window of event time to the dead-letter topic, when
/// there is one (it is counted as too late either way).
fn set_aside_if_too_late(
    incoming: &Incoming<'_>,
    placement: Placement,
    width: Option<Duration>,
) -> anyhow::Result<()> {
    if placement != Placement::TooLate {
        return Ok(());
    }
    let (Ok(event), Some(width)) = (&incoming.decoded, width) else {
        return Ok(());
    };
    let reason = too_late_reason(event.timestamp, width);
    tracing::debug!(
        "{} p{}@{}: {reason}",
        incoming.topic(),
        incoming.partition(),
        incoming.offset()
    );
    incoming.set_aside(TOO_LATE, &reason)?;
    Ok(())
}

/// Why an event at `timestamp` is too late for its window, `width` wide.
fn too_late_reason(timestamp: Timestamp, width: Duration) -> String {
    let width_ms = i64::try_from(width.as_millis()).unwrap_or(i64::MAX).max(1);
    let start = window_start(timestamp.millis(), width_ms);
    format!(
        "too late: its event time {timestamp} is in the window {} to {}, closed before it came",
        Timestamp::from_millis(start),
        Timestamp::from_millis(start.saturating_add(width_ms))
    )
}

#[cfg(test)]
mod tests;
