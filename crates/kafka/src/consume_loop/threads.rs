//! Reading on several threads. Each assigned partition's messages go to a queue of their own
//! (librdkafka's partition queues), polled by one of N worker threads; a worker decodes its
//! messages and hands them to a handler of its own, so each thread keeps its own figures and the
//! tool merges them for reports. The main thread serves the consumer's callbacks (rebalances,
//! statistics), handles any message that still reaches the consumer's own queue, and ticks the
//! tool. Offsets are stored after handling, as on one thread, and a revocation waits until the
//! workers have let go of their partitions, so nothing is committed that was not handled.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::Thread;
use std::time::{Duration, Instant};

use rdkafka::consumer::BaseConsumer;
use rdkafka::consumer::base_consumer::PartitionQueue;
use rdkafka::topic_partition_list::TopicPartitionList;

use super::{ConsumeError, Ending, Handler, Limits, Session};
use crate::group_consumer::{EventConsumerContext, PartitionRouter};

/// Messages a worker takes from one partition before it looks at the next.
const BATCH: usize = 512;
/// How long a revocation waits for the workers to let go of their partitions.
const RELEASE_TIMEOUT: Duration = Duration::from_secs(30);

/// What a tool does when it reads on several threads.
pub trait ParallelHandler {
    type Error: From<ConsumeError> + Send;
    /// Handles the messages of one thread's partitions.
    type Worker: Handler<Error = Self::Error> + Send;

    /// A handler of its own for each worker thread, and one for the main thread.
    fn worker(&mut self) -> Self::Worker;

    /// On the main thread, about ten times a second; `handled` messages so far, all threads
    /// together.
    fn tick(&mut self, handled: u64) -> Result<(), Self::Error>;
}

/// What the main thread (inside a rebalance) tells a worker.
enum Command {
    /// Read this partition from now on.
    Take {
        topic: String,
        partition: i32,
        queue: PartitionQueue<EventConsumerContext>,
    },
    /// Stop reading this partition, then say so on `done`.
    Release {
        topic: String,
        partition: i32,
        done: Sender<()>,
    },
}

/// Gives each assigned partition's queue to a worker, in turn; lives in the consumer's context,
/// where rebalances happen.
struct Router {
    workers: Vec<(Sender<Command>, Thread)>,
    owners: HashMap<(String, i32), usize>,
    next: usize,
}

impl Router {
    fn new(workers: Vec<(Sender<Command>, Thread)>) -> Router {
        Router {
            workers,
            owners: HashMap::new(),
            next: 0,
        }
    }
}

impl PartitionRouter for Router {
    /// Splits each partition into its own queue and hands it to a worker.
    fn assigned(
        &mut self,
        consumer: &Arc<BaseConsumer<EventConsumerContext>>,
        partitions: &TopicPartitionList,
    ) {
        if self.workers.is_empty() {
            return;
        }
        for element in partitions.elements() {
            let (topic, partition) = (element.topic(), element.partition());
            let Some(mut queue) = consumer.split_partition_queue(topic, partition) else {
                // Its messages stay in the consumer's queue, which the main thread reads.
                tracing::warn!("cannot give {topic}/{partition} a queue of its own");
                continue;
            };
            // A partition assigned again keeps its worker, which swaps in the new queue.
            let worker = *self
                .owners
                .entry((topic.to_string(), partition))
                .or_insert_with(|| {
                    self.next += 1;
                    (self.next - 1) % self.workers.len()
                });
            let (commands, thread) = &self.workers[worker];
            let thread = thread.clone();
            queue.set_nonempty_callback(move || thread.unpark());
            // A worker that has stopped no longer reads; its partition's offset stays where
            // it was committed.
            let _ = commands.send(Command::Take {
                topic: topic.to_string(),
                partition,
                queue,
            });
            self.workers[worker].1.unpark();
        }
    }

    /// Returns once the workers have handled what they took of `partitions` (and stored its
    /// offsets), or after [`RELEASE_TIMEOUT`].
    fn revoking(&mut self, partitions: &TopicPartitionList) {
        let (done, released) = mpsc::channel();
        let mut waiting = 0;
        for element in partitions.elements() {
            let key = (element.topic().to_string(), element.partition());
            let Some(worker) = self.owners.remove(&key) else {
                continue;
            };
            let (commands, thread) = &self.workers[worker];
            let command = Command::Release {
                topic: key.0,
                partition: key.1,
                done: done.clone(),
            };
            if commands.send(command).is_ok() {
                thread.unpark();
                waiting += 1;
            }
        }
        // A worker that stops drops its `done` without a word: the channel then closes.
        drop(done);
        let deadline = Instant::now() + RELEASE_TIMEOUT;
        for _ in 0..waiting {
            let left = deadline.saturating_duration_since(Instant::now());
            if released.recv_timeout(left).is_err() {
                tracing::warn!("the worker threads did not let go of revoked partitions in time");
                break;
            }
        }
    }
}

/// A partition a worker reads: topic, partition and its queue.
type PartitionToRead = (String, i32, PartitionQueue<EventConsumerContext>);

/// Takes and lets go of partitions as the main thread said since the last look; false once the
/// main thread has gone (the worker stops).
fn obey(commands: &Receiver<Command>, queues: &mut Vec<PartitionToRead>) -> bool {
    loop {
        match commands.try_recv() {
            Ok(Command::Take {
                topic,
                partition,
                queue,
            }) => {
                queues.retain(|(t, p, _)| !(*t == topic && *p == partition));
                queues.push((topic, partition, queue));
            }
            Ok(Command::Release {
                topic,
                partition,
                done,
            }) => {
                queues.retain(|(t, p, _)| !(*t == topic && *p == partition));
                let _ = done.send(());
            }
            Err(TryRecvError::Empty) => return true,
            Err(TryRecvError::Disconnected) => return false,
        }
    }
}

/// What the threads share.
struct Shared<E> {
    /// Messages taken for handling, all threads together.
    claimed: AtomicU64,
    max_messages: Option<u64>,
    /// Set when the run ends: the workers stop.
    finished: AtomicBool,
    /// The first error a worker met.
    failure: Mutex<Option<E>>,
}

impl<E> Shared<E> {
    /// Takes one message for handling; false once the limit on messages is reached (that
    /// message is left unhandled, its offset not stored, so it is read again next time).
    fn claim(&self) -> bool {
        let before = self.claimed.fetch_add(1, Ordering::Relaxed);
        match self.max_messages {
            Some(max) if before >= max => {
                self.finished.store(true, Ordering::Relaxed);
                false
            }
            _ => true,
        }
    }

    fn handled(&self) -> u64 {
        let claimed = self.claimed.load(Ordering::Relaxed);
        self.max_messages.map_or(claimed, |max| claimed.min(max))
    }

    fn finished(&self) -> bool {
        self.finished.load(Ordering::Relaxed)
    }

    fn fail(&self, error: E) {
        if let Ok(mut failure) = self.failure.lock()
            && failure.is_none()
        {
            *failure = Some(error);
        }
        self.finished.store(true, Ordering::Relaxed);
    }
}

impl Session {
    /// [`Session::run`] on `threads` worker threads (see the module's documentation). Only for
    /// offsets the group keeps: a checkpoint or a transaction covers one thread's figures.
    pub fn run_parallel<H: ParallelHandler>(
        &self,
        threads: usize,
        limits: &Limits,
        handler: &mut H,
    ) -> Result<Ending, H::Error> {
        let shared = Shared {
            claimed: AtomicU64::new(0),
            max_messages: limits.max_messages,
            finished: AtomicBool::new(false),
            failure: Mutex::new(None),
        };
        let mut main_worker = handler.worker();
        let workers: Vec<H::Worker> = (0..threads.max(1)).map(|_| handler.worker()).collect();
        let ending = std::thread::scope(|scope| {
            let mut routes = Vec::new();
            let mut running = Vec::new();
            for (index, mut worker) in workers.into_iter().enumerate() {
                let (commands, received) = mpsc::channel();
                let shared = &shared;
                let spawned = std::thread::Builder::new()
                    .name(format!("shopstream-reader-{}", index + 1))
                    .spawn_scoped(scope, move || self.work(received, &mut worker, shared));
                match spawned {
                    Ok(thread) => {
                        routes.push((commands, thread.thread().clone()));
                        running.push(thread);
                    }
                    Err(error) => {
                        shared.fail(ConsumeError::Thread(error).into());
                        break;
                    }
                }
            }
            self.consumer
                .route_partitions(Some(Box::new(Router::new(routes))));
            let ending = self.drive(limits, &shared, &mut main_worker, handler);
            shared.finished.store(true, Ordering::Relaxed);
            // The workers' queues go with them; later rebalances (closing) need no router.
            self.consumer.route_partitions(None);
            for thread in running {
                thread.thread().unpark();
                if let Err(panic) = thread.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            ending
        });
        let handled = shared.handled();
        if let Some(error) = shared.failure.into_inner().ok().flatten() {
            return Err(error);
        }
        let ending = ending?;
        tracing::debug!(
            "stopped consuming ({ending:?}) after {handled} messages; committing offsets"
        );
        self.consumer.commit().map_err(ConsumeError::from)?;
        Ok(ending)
    }

    /// The main thread's loop: callbacks, stray messages, limits and ticks.
    fn drive<H: ParallelHandler>(
        &self,
        limits: &Limits,
        shared: &Shared<H::Error>,
        main_worker: &mut H::Worker,
        handler: &mut H,
    ) -> Result<Ending, H::Error> {
        let mut idle_since: Option<Instant> = None;
        let mut last_handled = 0;
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return Ok(Ending::Interrupted);
            }
            if shared.finished() {
                // The limit was reached, or a worker failed (its error is returned instead).
                return Ok(Ending::MaxMessages);
            }
            match self.consumer.poll(Duration::from_millis(100)) {
                Some(Ok(message)) if shared.claim() => self.handle(&message, main_worker)?,
                // Past the limit: left unhandled, read again next time.
                Some(Ok(_)) | None => {}
                Some(Err(error)) => {
                    self.stop_if_not_authorized(&error)?;
                    tracing::warn!("consumer: {error}");
                }
            }
            let handled = shared.handled();
            if handled != last_handled {
                last_handled = handled;
                idle_since = None;
            } else {
                let since = *idle_since.get_or_insert_with(Instant::now);
                if limits.idle_timeout.is_some_and(|t| since.elapsed() >= t) {
                    return Ok(Ending::Idle);
                }
            }
            if limits.max_messages.is_some_and(|max| handled >= max) {
                shared.finished.store(true, Ordering::Relaxed);
            }
            let busy = Instant::now();
            handler.tick(handled)?;
            super::not_idle_while_busy(&mut idle_since, busy);
        }
    }

    /// A worker thread's loop: takes and lets go of partitions as told, reads them in turn.
    fn work<H: Handler>(
        &self,
        commands: Receiver<Command>,
        handler: &mut H,
        shared: &Shared<H::Error>,
    ) {
        let mut queues: Vec<PartitionToRead> = Vec::new();
        let mut turn: usize = 0;
        loop {
            if !obey(&commands, &mut queues) {
                return;
            }
            if shared.finished() {
                return;
            }
            let mut handled = 0;
            for step in 0..queues.len() {
                let (topic, partition, queue) = &queues[(turn + step) % queues.len()];
                for _ in 0..BATCH {
                    match queue.poll(Duration::ZERO) {
                        None => break,
                        Some(Ok(message)) => {
                            if !shared.claim() {
                                return;
                            }
                            if let Err(error) = self.handle(&message, handler) {
                                shared.fail(error);
                                return;
                            }
                            handled += 1;
                        }
                        Some(Err(error)) => {
                            if let Err(refused) = self.stop_if_not_authorized(&error) {
                                shared.fail(refused.into());
                                return;
                            }
                            tracing::warn!("consumer ({topic}/{partition}): {error}");
                            break;
                        }
                    }
                }
            }
            turn = turn.wrapping_add(1);
            if handled == 0 {
                // Woken by a queue that has messages again, or by a command.
                std::thread::park_timeout(Duration::from_millis(100));
            }
        }
    }
}
