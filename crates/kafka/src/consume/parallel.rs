//! The consume loop on several threads: after each assignment the partitions are split into
//! queues of their own, dealt round-robin to worker threads, and each worker decodes and handles
//! the messages of its partitions (each with its own state, merged by the caller). The main
//! thread keeps polling the consumer: it serves rebalances, and handles what still arrives there.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::message::{BorrowedMessage, Message};
use shopstream_core::decode;

use super::{ConsumeError, Ending, Incoming, Limits, Session};
use crate::consumer::{EventConsumer, LagContext};

/// What one thread does with the messages it is given. Each worker is used by one thread only.
pub trait Worker: Send {
    /// Handles one message; its offset is stored only after this returned Ok.
    fn message(&mut self, incoming: Incoming<'_>) -> Result<(), ConsumeError>;
}

/// How many messages a worker takes from one partition's queue before it looks at the next.
const BATCH: usize = 256;

impl Session {
    /// Consumes with `workers.len()` threads until `limits` or the stop flag end it; the first
    /// worker also handles, on the calling thread, messages that reach the consumer's own queue.
    /// `tick` is called on the calling thread about every 100 ms with the messages handled so
    /// far. Offsets are stored after handling and committed at the end, as [`Session::run`] does.
    pub fn run_parallel<W: Worker>(
        &self,
        limits: &Limits,
        workers: &mut [W],
        mut tick: impl FnMut(u64) -> Result<(), ConsumeError>,
    ) -> Result<Ending, ConsumeError> {
        let Some((main_worker, others)) = workers.split_first_mut() else {
            return Ok(Ending::Interrupted);
        };
        let handled = AtomicU64::new(0);
        let done = AtomicBool::new(false);
        let consumer = &self.consumer;
        let ending = std::thread::scope(|scope| -> Result<Ending, ConsumeError> {
            let mut senders = Vec::new();
            let mut threads = Vec::new();
            for worker in others.iter_mut() {
                let (sender, receiver) = mpsc::channel::<Vec<PartitionQueue<LagContext>>>();
                senders.push(sender);
                let (handled, done) = (&handled, &done);
                threads.push(scope.spawn(move || {
                    work(
                        consumer,
                        worker,
                        &receiver,
                        handled,
                        done,
                        limits.max_messages,
                    )
                }));
            }
            let result = self.main_loop(limits, main_worker, &senders, &handled, &done, &mut tick);
            done.store(true, Ordering::Release);
            drop(senders);
            let mut first_error = result.err();
            for thread in threads {
                match thread.join() {
                    Ok(Ok(())) => {}
                    Ok(Err(error)) => {
                        first_error.get_or_insert(error);
                    }
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
            match first_error {
                Some(error) => Err(error),
                None => Ok(self.ending(limits, &handled)),
            }
        })?;
        tracing::debug!(
            "stopped consuming ({ending:?}) after {} messages on {} threads; committing offsets",
            handled.load(Ordering::Relaxed),
            workers.len()
        );
        self.consumer.commit()?;
        Ok(ending)
    }

    fn ending(&self, limits: &Limits, handled: &AtomicU64) -> Ending {
        if limits
            .max_messages
            .is_some_and(|max| handled.load(Ordering::Relaxed) >= max)
        {
            Ending::MaxMessages
        } else if self.stop.load(Ordering::Relaxed) {
            Ending::Interrupted
        } else {
            Ending::Idle
        }
    }

    /// Polls the consumer (rebalances, and messages of partitions not split yet), deals the
    /// partition queues after every assignment, and watches the limits.
    fn main_loop<W: Worker>(
        &self,
        limits: &Limits,
        worker: &mut W,
        senders: &[mpsc::Sender<Vec<PartitionQueue<LagContext>>>],
        handled: &AtomicU64,
        done: &AtomicBool,
        tick: &mut impl FnMut(u64) -> Result<(), ConsumeError>,
    ) -> Result<(), ConsumeError> {
        let mut dealt_for = None;
        let mut last_count = 0;
        let mut quiet_since = Instant::now();
        let mut last_tick = Instant::now();
        loop {
            if self.stop.load(Ordering::Relaxed) || done.load(Ordering::Acquire) {
                return Ok(());
            }
            let count = handled.load(Ordering::Relaxed);
            if limits.max_messages.is_some_and(|max| count >= max) {
                return Ok(());
            }
            if count != last_count {
                last_count = count;
                quiet_since = Instant::now();
            } else if limits
                .idle_timeout
                .is_some_and(|t| quiet_since.elapsed() >= t)
            {
                return Ok(());
            }
            let changes = self.consumer.assignment_changes();
            if dealt_for != Some(changes) && !senders.is_empty() {
                dealt_for = Some(changes);
                let mut hands: Vec<Vec<PartitionQueue<LagContext>>> =
                    senders.iter().map(|_| Vec::new()).collect();
                for (index, queue) in self.consumer.split_assignment()?.into_iter().enumerate() {
                    hands[index % senders.len()].push(queue);
                }
                for (sender, hand) in senders.iter().zip(hands) {
                    // A worker that ended has said why through its join.
                    let _ = sender.send(hand);
                }
            }
            match self.consumer.poll(Duration::from_millis(50)) {
                Some(Ok(message)) if claim(handled, limits.max_messages) => {
                    handle(&self.consumer, worker, &message)?;
                }
                Some(Ok(_)) => {}
                Some(Err(error)) => {
                    self.stop_if_not_authorized(&error)?;
                    tracing::warn!("consumer: {error}");
                }
                None => {}
            }
            if last_tick.elapsed() >= Duration::from_millis(100) {
                last_tick = Instant::now();
                tick(handled.load(Ordering::Relaxed))?;
            }
        }
    }
}

/// Takes one message of the budget (--max-messages): false when it is spent, and the message is
/// then left for a later run (its offset is not stored).
fn claim(handled: &AtomicU64, max: Option<u64>) -> bool {
    let before = handled.fetch_add(1, Ordering::Relaxed);
    if max.is_some_and(|max| before >= max) {
        handled.fetch_sub(1, Ordering::Relaxed);
        return false;
    }
    true
}

fn handle<W: Worker>(
    consumer: &EventConsumer,
    worker: &mut W,
    message: &BorrowedMessage<'_>,
) -> Result<(), ConsumeError> {
    let topic = message.topic();
    let Some(kind) = consumer.kind_of(topic) else {
        return Ok(());
    };
    let decoded = decode(message.payload().unwrap_or_default(), Some(kind));
    worker.message(Incoming {
        kind,
        topic,
        message,
        decoded,
    })?;
    consumer.processed(message)?;
    Ok(())
}

/// One worker thread: polls the partition queues it was dealt until told to stop.
fn work<W: Worker>(
    consumer: &EventConsumer,
    worker: &mut W,
    deals: &mpsc::Receiver<Vec<PartitionQueue<LagContext>>>,
    handled: &AtomicU64,
    done: &AtomicBool,
    max: Option<u64>,
) -> Result<(), ConsumeError> {
    let mut queues: Vec<PartitionQueue<LagContext>> = Vec::new();
    let stopped = || done.load(Ordering::Acquire);
    while !stopped() {
        while let Ok(hand) = deals.try_recv() {
            queues = hand;
        }
        let mut got = 0;
        for queue in &queues {
            for _ in 0..BATCH {
                match queue.poll(Duration::ZERO) {
                    Some(Ok(message)) => {
                        if !claim(handled, max) {
                            return Ok(());
                        }
                        handle(consumer, worker, &message)?;
                        got += 1;
                    }
                    Some(Err(error)) => {
                        tracing::warn!("consumer: {error}");
                        break;
                    }
                    None => break,
                }
            }
            if stopped() {
                return Ok(());
            }
        }
        if got == 0 {
            // Nothing anywhere: wait on the first queue a moment (or for a deal).
            match queues
                .first()
                .map(|queue| queue.poll(Duration::from_millis(20)))
            {
                Some(Some(Ok(message))) => {
                    if !claim(handled, max) {
                        return Ok(());
                    }
                    handle(consumer, worker, &message)?;
                }
                Some(Some(Err(error))) => tracing::warn!("consumer: {error}"),
                Some(None) => {}
                None => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
    Ok(())
}
