//! The producing loop: each event sent when its pace says, shown, and the run stopped on Ctrl-C,
//! at the end of --duration or when the reader of --json goes away.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shopstream_core::Event;
use shopstream_core::lateness::Holdback;
use shopstream_core::simulator::Simulator;
use shopstream_kafka::producer::EventProducer;

use super::display::{Display, refresh, show};
use super::pacer::Pacer;

/// Events sent between two looks at the clock (for the progress bar and --duration) when the
/// loop does not wait: well under a millisecond at full speed.
const CLOCK_EVERY: u64 = 256;

/// What the producing loop does after an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flow {
    Go,
    /// `--json | head`: the reader is gone; stop writing events, deliver those sent, say nothing.
    ReaderGone,
    /// Ctrl-C.
    Interrupted,
    /// --duration is over.
    Deadline,
}

/// The producer with what the loop keeps between events.
pub(super) struct Sender {
    pub(super) producer: EventProducer,
    pub(super) display: Display,
    pacer: Pacer,
    /// Raised by Ctrl-C.
    stop: Arc<AtomicBool>,
    started: Instant,
    sent: u64,
    last_refresh: Instant,
    /// --duration.
    duration: Option<Duration>,
}

impl Sender {
    pub(super) fn new(
        producer: EventProducer,
        display: Display,
        pacer: Pacer,
        stop: Arc<AtomicBool>,
        duration: Option<Duration>,
    ) -> Sender {
        Sender {
            producer,
            display,
            pacer,
            stop,
            started: Instant::now(),
            sent: 0,
            last_refresh: Instant::now(),
            duration,
        }
    }

    /// When the run started.
    pub(super) fn started(&self) -> Instant {
        self.started
    }

    /// Sends the simulator's events (held-back ones when their delay has passed), then those
    /// still held; says why it stopped.
    pub(super) fn send_all(
        &mut self,
        simulator: &mut Option<Simulator<'_>>,
        holdback: &mut Option<Holdback>,
    ) -> anyhow::Result<Flow> {
        let mut flow = Flow::Go;
        while let Some(event) = simulator.as_mut().and_then(Simulator::next_event) {
            let clock = event.timestamp.millis();
            if !holdback.as_mut().is_some_and(|h| h.hold(&event)) {
                flow = self.emit(&event, true)?;
            }
            // Held events whose delay the event clock has now passed.
            while flow == Flow::Go
                && let Some(late) = holdback.as_mut().and_then(|h| h.due(clock))
            {
                flow = self.emit(&late, true)?;
            }
            if flow != Flow::Go {
                break;
            }
        }
        // The events still held belong to the run: sent now, at once, unless nobody reads them.
        if flow != Flow::ReaderGone {
            while let Some(late) = holdback.as_mut().and_then(Holdback::next_remaining) {
                if self.emit(&late, false)? == Flow::ReaderGone {
                    return Ok(Flow::ReaderGone);
                }
            }
        }
        Ok(flow)
    }

    /// Sends one event, shows it, keeps the pace; says whether to go on.
    fn emit(&mut self, event: &Event<'_>, paced: bool) -> anyhow::Result<Flow> {
        // Clocks are read every CLOCK_EVERY events or after a wait, not per event: at full speed
        // a clock read costs as much as a tenth of the rest of the event.
        let mut waited = false;
        if paced
            && let Some(slot) = self.pacer.slot(
                event.timestamp.millis(),
                self.started,
                self.sent,
                Instant::now,
            )
        {
            // About to wait: what is shown so far goes out now, so that a reader of --json sees
            // each event when it happens, not when a buffer fills.
            if let Display::Json(out) = &mut self.display
                && slot > Instant::now() + Duration::from_millis(1)
                && let Err(error) = out.flush()
            {
                if error.kind() == std::io::ErrorKind::BrokenPipe {
                    return Ok(Flow::ReaderGone);
                }
                return Err(error.into());
            }
            waited = wait_for_slot(&self.producer, slot, &self.stop);
        }
        self.producer.send(event)?;
        self.sent += 1;
        if let Err(error) = show(&mut self.display, event, self.producer.last_payload()) {
            if crate::is_broken_pipe(&error) {
                return Ok(Flow::ReaderGone);
            }
            return Err(error);
        }
        let look_at_clock = waited || self.sent % CLOCK_EVERY == 0;
        if look_at_clock {
            return Ok(self.after_a_look_at_the_clock());
        }
        Ok(self.flow_without_clock())
    }

    /// Every CLOCK_EVERY events or after a wait: the bar, Ctrl-C and --duration.
    fn after_a_look_at_the_clock(&mut self) -> Flow {
        if let Display::Progress(bar) = &self.display
            && self.last_refresh.elapsed() >= Duration::from_millis(100)
        {
            self.last_refresh = Instant::now();
            refresh(bar, &self.producer.counts(), self.started);
        }
        if self.stop.load(Ordering::Relaxed) {
            return Flow::Interrupted;
        }
        if let (Some(duration), Some(since)) = (self.duration, self.pacer.live_since(self.started))
            && since.elapsed() >= duration
        {
            return Flow::Deadline;
        }
        Flow::Go
    }

    /// Between two looks at the clock: only Ctrl-C.
    fn flow_without_clock(&self) -> Flow {
        if self.stop.load(Ordering::Relaxed) {
            Flow::Interrupted
        } else {
            Flow::Go
        }
    }
}

/// Waits until `slot`, serving delivery reports meanwhile. Less than a millisecond ahead it does
/// not wait (the next events catch up in a short burst), so high rates do not spin.
/// Says whether it waited.
fn wait_for_slot(producer: &EventProducer, slot: Instant, stop: &AtomicBool) -> bool {
    let mut waited = false;
    loop {
        let ahead = slot.saturating_duration_since(Instant::now());
        if ahead < Duration::from_millis(1) || stop.load(Ordering::Relaxed) {
            return waited;
        }
        waited = true;
        producer.poll(ahead.min(Duration::from_millis(100)));
    }
}
