//! metrics-consumer's reports on stdout: one JSON line each, or tables for people.

use std::io::Write;

use colored::Colorize;
use shopstream_kafka::group_consumer::PartitionLag;

use crate::figures::{Snapshot, describe_coverage};
use crate::report;
use crate::serve::JsonReport;

/// Prints reports, as JSON lines or for people.
pub struct ReportPrinter {
    pub json: bool,
    pub group: String,
}

/// Which report: the object's `report` field in JSON, the title for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportKind {
    /// Every --every messages.
    Periodic,
    /// At exit.
    Final,
}

impl ReportKind {
    fn json_name(self) -> &'static str {
        match self {
            ReportKind::Periodic => "periodic",
            ReportKind::Final => "final",
        }
    }

    fn title(self) -> &'static str {
        match self {
            ReportKind::Periodic => "Report",
            ReportKind::Final => "Final report",
        }
    }
}

impl ReportPrinter {
    pub fn print(
        &self,
        kind: ReportKind,
        snapshot: &Snapshot,
        lag: &[PartitionLag],
    ) -> anyhow::Result<()> {
        let mut out = std::io::stdout().lock();
        if self.json {
            let line = JsonReport {
                report: kind.json_name(),
                group: &self.group,
                figures: &snapshot.report,
                lag,
                coverage: snapshot.coverage.as_ref(),
                event_time: snapshot.event_time.as_ref(),
            };
            writeln!(out, "{}", serde_json::to_string(&line)?)?;
            return Ok(());
        }
        let width = report::terminal_width();
        if let Some(coverage) = &snapshot.coverage {
            writeln!(out, "{}", describe_coverage(&self.group, coverage))?;
        }
        let title = kind.title().bold().to_string();
        writeln!(
            out,
            "{}",
            report::render(&title, &snapshot.report, lag, width)
        )?;
        if let Some(event_time) = &snapshot.event_time {
            writeln!(out, "{}", report::render_windows(event_time, width))?;
        }
        Ok(())
    }
}
