//! The consume loop against rdkafka's in-process mock cluster: a real Kafka protocol, consumer
//! groups and offset commits, but no broker. Each test has a cluster of its own, so they run in
//! parallel.

use std::collections::BTreeSet;
use std::time::Instant;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, OwnedHeaders};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use shopstream_core::{CustomerType, Details, Region, Timestamp};

use super::*;
use crate::dead_letter;
use crate::group_consumer::OffsetKeeping;
use crate::test_support::MockKafka;

const TIMEOUT: Duration = Duration::from_secs(5);
/// Ends a run that would otherwise wait for ever if a test is wrong.
const SAFETY_NET: Duration = Duration::from_secs(10);

/// The mock cluster holding the three topics, and settings for a consumer group on it.
struct Cluster {
    kafka: MockKafka,
    settings: Settings,
}

impl Cluster {
    /// The three topics with `partitions` partitions each.
    fn new(partitions: i32) -> Cluster {
        let kafka = MockKafka::new();
        let mut settings = kafka.settings.clone();
        // When a member leaves, the mock waits a session timeout less a second for the others to
        // rejoin, even when none is left: short, so that a new session of the group gets its
        // partitions at once.
        for (property, value) in [
            ("session.timeout.ms", "1500"),
            ("heartbeat.interval.ms", "300"),
        ] {
            settings
                .kafka_properties
                .insert(property.to_string(), value.to_string());
        }
        for (_, topic) in settings.topics.iter() {
            kafka.create_topic(topic, partitions);
        }
        Cluster { kafka, settings }
    }

    fn topic(&self, kind: TopicKind) -> &str {
        self.settings.topics.name(kind)
    }

    fn client(&self) -> ClientConfig {
        self.kafka.client()
    }

    /// Writes messages and waits until the cluster has them all.
    fn write(&self, kind: TopicKind, messages: &[Written]) {
        let producer: BaseProducer = self.client().create().expect("producer");
        for message in messages {
            let mut record: BaseRecord<'_, str, [u8]> = BaseRecord::to(self.topic(kind))
                .partition(message.partition)
                .key(&message.key);
            if let Some(payload) = &message.payload {
                record = record.payload(payload);
            }
            if !message.headers.is_empty() {
                let mut headers = OwnedHeaders::new();
                for (key, value) in &message.headers {
                    headers = headers.insert(Header {
                        key,
                        value: Some(value),
                    });
                }
                record = record.headers(headers);
            }
            producer.send(record).map_err(|(e, _)| e).expect("send");
        }
        producer.flush(TIMEOUT).expect("flush");
    }

    /// A session reading user-events (and `more` topics) in `group` from the beginning.
    fn session(&self, group: &str, more: &[TopicKind], dead_letters: Option<&str>) -> Session {
        self.session_with_stop(group, more, dead_letters, Arc::default())
    }

    fn session_with_stop(
        &self,
        group: &str,
        more: &[TopicKind],
        dead_letters: Option<&str>,
        stop: Arc<AtomicBool>,
    ) -> Session {
        let mut topics = vec![TopicKind::UserEvents];
        topics.extend_from_slice(more);
        let subscription = Subscription {
            topics,
            group: group.to_string(),
            from_beginning: true,
            offsets: OffsetKeeping::Group,
        };
        Session::connect(
            &self.settings,
            TIMEOUT,
            subscription,
            "consume-test",
            dead_letters,
            stop,
        )
        .expect("session")
    }

    /// The offsets `group` has committed on user-events' first `partitions` partitions.
    fn committed(&self, group: &str, partitions: i32) -> Vec<Offset> {
        let consumer: BaseConsumer = self.client().set("group.id", group).create().unwrap();
        let mut list = TopicPartitionList::new();
        for partition in 0..partitions {
            list.add_partition(self.topic(TopicKind::UserEvents), partition);
        }
        let committed = consumer
            .committed_offsets(list, TIMEOUT)
            .expect("committed");
        committed.elements().iter().map(|e| e.offset()).collect()
    }

    /// Every message now in `topic` (one partition), read by assignment.
    fn read_all(&self, topic: &str) -> Vec<Read> {
        let consumer: BaseConsumer = self
            .client()
            .set("group.id", "reader")
            .create()
            .expect("reader");
        let (low, high) = consumer
            .fetch_watermarks(topic, 0, TIMEOUT)
            .expect("watermarks");
        let mut assignment = TopicPartitionList::new();
        assignment
            .add_partition_offset(topic, 0, Offset::Offset(low))
            .unwrap();
        consumer.assign(&assignment).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let mut read = Vec::new();
        while (read.len() as i64) < high - low {
            assert!(Instant::now() < deadline, "timed out reading {topic}");
            let Some(message) = consumer.poll(Duration::from_millis(100)) else {
                continue;
            };
            let message = message.expect("read");
            let headers = message
                .headers()
                .map(|h| {
                    h.iter()
                        .map(|h| {
                            let value = String::from_utf8_lossy(h.value.unwrap_or_default());
                            (h.key.to_string(), value.into_owned())
                        })
                        .collect()
                })
                .unwrap_or_default();
            read.push(Read {
                key: message
                    .key()
                    .map(|k| String::from_utf8_lossy(k).into_owned()),
                payload: message.payload().map(<[u8]>::to_vec),
                headers,
            });
        }
        read
    }
}

/// A message as a test writes it.
#[derive(Debug)]
struct Written {
    partition: i32,
    key: String,
    payload: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
}

/// A message as read back from the dead-letter topic.
#[derive(Debug)]
struct Read {
    key: Option<String>,
    payload: Option<Vec<u8>>,
    headers: Vec<(String, String)>,
}

/// A valid user event (a search for `q<n>`) under key `m<n>` in `partition`.
fn valid(partition: i32, n: u32) -> Written {
    let event = Event {
        event_id: uuid::Uuid::from_u128(u128::from(n) + 1),
        timestamp: Timestamp::from_millis(1_700_000_000_000 + i64::from(n)),
        user_id: "U0001".into(),
        session_id: "S0001".into(),
        region: Region::North,
        customer_type: CustomerType::Regular,
        details: Details::Search {
            query: format!("q{n}").into(),
            results_count: n,
        },
    };
    let payload = event.to_json().into_bytes();
    assert!(decode(&payload, Some(TopicKind::UserEvents)).is_ok());
    Written {
        partition,
        key: format!("m{n}"),
        payload: Some(payload),
        headers: Vec::new(),
    }
}

/// A message under key `m<n>` that the decoder rejects (`None`: no value at all).
fn invalid(partition: i32, n: u32, payload: Option<&[u8]>) -> Written {
    Written {
        partition,
        key: format!("m{n}"),
        payload: payload.map(<[u8]>::to_vec),
        headers: Vec::new(),
    }
}

/// `count` valid messages m0, m1, ... spread round-robin over `partitions`.
fn valid_messages(count: u32, partitions: i32) -> Vec<Written> {
    (0..count)
        .map(|n| valid(n as i32 % partitions, n))
        .collect()
}

/// What the handler saw of one message.
#[derive(Debug)]
struct Seen {
    kind: TopicKind,
    topic: String,
    partition: i32,
    offset: i64,
    key: Option<String>,
    /// The search query of a decoded event, or the kind of rejection.
    outcome: Result<String, &'static str>,
}

#[derive(Debug)]
enum TestError {
    Consume(#[expect(dead_code, reason = "shown by Debug when a test fails")] ConsumeError),
    /// The handler refused the message with this key.
    Refused(String),
}

impl From<ConsumeError> for TestError {
    fn from(error: ConsumeError) -> TestError {
        TestError::Consume(error)
    }
}

/// Records every message; can refuse one key, or raise the stop flag after some messages.
#[derive(Default)]
struct Recorder {
    seen: Vec<Seen>,
    idles: u32,
    refuse: Option<String>,
    stop_after: Option<(usize, Arc<AtomicBool>)>,
}

impl Recorder {
    fn keys(&self) -> Vec<String> {
        self.seen.iter().filter_map(|s| s.key.clone()).collect()
    }
}

impl Handler for Recorder {
    type Error = TestError;

    fn message(&mut self, incoming: Incoming<'_>) -> Result<(), TestError> {
        let outcome = match &incoming.decoded {
            Ok(Event {
                details: Details::Search { query, .. },
                ..
            }) => Ok(query.to_string()),
            Ok(other) => Ok(format!("{:?}", other.event_type())),
            Err(reason) => Err(reason.kind()),
        };
        self.seen.push(Seen {
            kind: incoming.kind,
            topic: incoming.topic().to_string(),
            partition: incoming.partition(),
            offset: incoming.offset(),
            key: incoming.key(),
            outcome,
        });
        if let (Some(refused), Some(key)) = (&self.refuse, incoming.key())
            && *refused == key
        {
            return Err(TestError::Refused(key));
        }
        if let Some((after, stop)) = &self.stop_after
            && self.seen.len() >= *after
        {
            stop.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    fn idle(&mut self) -> Result<(), TestError> {
        self.idles += 1;
        Ok(())
    }
}

fn at_most(max_messages: u64) -> Limits {
    Limits {
        max_messages: Some(max_messages),
        idle_timeout: Some(SAFETY_NET),
    }
}

fn keys(range: std::ops::Range<u32>) -> Vec<String> {
    range.map(|n| format!("m{n}")).collect()
}

#[test]
fn valid_and_rejected_messages_reach_the_handler_in_order_per_partition() {
    let cluster = Cluster::new(3);
    let mut user_events = valid_messages(9, 3);
    user_events.insert(2, invalid(2, 100, Some(b"{\"event_type\": ")));
    user_events.insert(5, invalid(0, 101, None));
    user_events.insert(7, invalid(1, 102, Some(&[0xff, 0xfe])));
    user_events.push(invalid(2, 103, Some(b"[1, 2]")));
    cluster.write(TopicKind::UserEvents, &user_events);
    // A user event on the purchases topic: valid JSON, rejected there.
    cluster.write(TopicKind::Purchases, &[valid(1, 200)]);
    let total = user_events.len() + 1;

    let session = cluster.session("mixed", &[TopicKind::Purchases], None);
    let mut recorder = Recorder::default();
    let ending = session.run(&at_most(total as u64), &mut recorder).unwrap();

    assert_eq!(ending, Ending::MaxMessages);
    assert_eq!(recorder.seen.len(), total);
    // Per partition, the handler saw exactly what was written there, in order.
    for partition in 0..3 {
        let written: Vec<String> = user_events
            .iter()
            .filter(|m| m.partition == partition)
            .map(|m| m.key.clone())
            .collect();
        let seen: Vec<&Seen> = recorder
            .seen
            .iter()
            .filter(|s| s.kind == TopicKind::UserEvents && s.partition == partition)
            .collect();
        let seen_keys: Vec<String> = seen.iter().filter_map(|s| s.key.clone()).collect();
        assert_eq!(seen_keys, written, "partition {partition}");
        let offsets: Vec<i64> = seen.iter().map(|s| s.offset).collect();
        assert_eq!(offsets, (0..offsets.len() as i64).collect::<Vec<_>>());
    }
    let outcome = |key: &str| {
        let seen = recorder.seen.iter().find(|s| s.key.as_deref() == Some(key));
        seen.unwrap_or_else(|| panic!("{key} not seen"))
            .outcome
            .clone()
    };
    assert_eq!(outcome("m0"), Ok("q0".to_string()));
    assert_eq!(outcome("m8"), Ok("q8".to_string()));
    assert_eq!(outcome("m100"), Err("invalid_json"));
    assert_eq!(outcome("m101"), Err("empty"));
    assert_eq!(outcome("m102"), Err("invalid_utf8"));
    assert_eq!(outcome("m103"), Err("not_an_object"));
    assert_eq!(outcome("m200"), Err("wrong_topic"));
    let misplaced = recorder
        .seen
        .iter()
        .find(|s| s.kind == TopicKind::Purchases);
    let misplaced = misplaced.expect("the purchases message");
    assert_eq!(
        (misplaced.topic.as_str(), misplaced.partition),
        (cluster.topic(TopicKind::Purchases), 1)
    );
}

#[test]
fn max_messages_ends_after_exactly_that_many() {
    let cluster = Cluster::new(1);
    cluster.write(TopicKind::UserEvents, &valid_messages(10, 1));

    let session = cluster.session("max", &[], None);
    let mut recorder = Recorder::default();
    let ending = session.run(&at_most(4), &mut recorder).unwrap();

    assert_eq!(ending, Ending::MaxMessages);
    assert_eq!(recorder.keys(), keys(0..4));
    // A limit already reached ends a further run before it reads anything.
    let mut more = Recorder::default();
    let ending = session.run(&at_most(0), &mut more).unwrap();
    assert_eq!((ending, more.seen.len()), (Ending::MaxMessages, 0));
}

#[test]
fn idle_timeout_ends_with_idle() {
    let cluster = Cluster::new(1);
    cluster.write(TopicKind::UserEvents, &valid_messages(2, 1));
    let session = cluster.session("idle", &[], None);
    // Read what there is first, so that the idle time is counted after the last message.
    let mut recorder = Recorder::default();
    session.run(&at_most(2), &mut recorder).unwrap();

    let limits = Limits {
        max_messages: None,
        idle_timeout: Some(Duration::from_millis(400)),
    };
    let started = Instant::now();
    let ending = session.run(&limits, &mut recorder).unwrap();
    let elapsed = started.elapsed();

    assert_eq!(ending, Ending::Idle);
    assert!(
        elapsed >= Duration::from_millis(400) && elapsed < Duration::from_secs(3),
        "{elapsed:?}"
    );
    assert!(recorder.idles >= 1, "the handler hears about idle moments");
    assert_eq!(recorder.keys(), keys(0..2));
}

#[test]
fn raising_the_stop_flag_ends_with_interrupted_and_commits() {
    let cluster = Cluster::new(1);
    cluster.write(TopicKind::UserEvents, &valid_messages(10, 1));
    let stop = Arc::new(AtomicBool::new(false));
    let session = cluster.session_with_stop("stop", &[], None, stop.clone());
    let mut recorder = Recorder {
        stop_after: Some((3, stop.clone())),
        ..Recorder::default()
    };

    let ending = session.run(&Limits::default(), &mut recorder).unwrap();

    assert_eq!(ending, Ending::Interrupted);
    assert_eq!(recorder.keys(), keys(0..3));
    // The interrupted run committed what it had handled, and the group resumes after it.
    assert_eq!(cluster.committed("stop", 1), [Offset::Offset(3)]);
    drop(session);

    let stop = Arc::new(AtomicBool::new(false));
    let session = cluster.session_with_stop("stop", &[], None, stop.clone());
    let mut after = Recorder::default();
    session.run(&at_most(7), &mut after).unwrap();
    assert_eq!(after.keys(), keys(3..10));

    // Raised from elsewhere (Ctrl-C) while nothing arrives, the flag ends the run too.
    let raiser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        stop.store(true, Ordering::Relaxed);
    });
    let started = Instant::now();
    let ending = session.run(&at_most(100), &mut after).unwrap();
    raiser.join().unwrap();
    assert_eq!(ending, Ending::Interrupted);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(after.seen.len(), 7);
}

#[test]
fn a_handler_error_stops_the_loop_and_its_message_is_not_committed() {
    let cluster = Cluster::new(1);
    cluster.write(TopicKind::UserEvents, &valid_messages(6, 1));
    let session = cluster.session("refusing", &[], None);
    let mut recorder = Recorder {
        refuse: Some("m2".to_string()),
        ..Recorder::default()
    };

    let error = session.run(&at_most(6), &mut recorder).unwrap_err();

    assert!(
        matches!(&error, TestError::Refused(key) if key == "m2"),
        "{error:?}"
    );
    assert_eq!(recorder.keys(), keys(0..3), "nothing after the refused one");
    drop(session);

    // At least once: the next session of the group starts again at the refused message.
    let session = cluster.session("refusing", &[], None);
    let mut again = Recorder::default();
    let ending = session.run(&at_most(4), &mut again).unwrap();
    assert_eq!(ending, Ending::MaxMessages);
    assert_eq!(again.keys(), keys(2..6));
}

#[test]
fn handled_offsets_are_committed_and_a_new_session_resumes_after_them() {
    let cluster = Cluster::new(3);
    cluster.write(TopicKind::UserEvents, &valid_messages(12, 3));

    let session = cluster.session("resume", &[], None);
    let mut first = Recorder::default();
    session.run(&at_most(5), &mut first).unwrap();
    drop(session);

    let session = cluster.session("resume", &[], None);
    let mut second = Recorder::default();
    let ending = session.run(&at_most(7), &mut second).unwrap();
    assert_eq!(ending, Ending::MaxMessages);

    let first: BTreeSet<String> = first.keys().into_iter().collect();
    let second: BTreeSet<String> = second.keys().into_iter().collect();
    assert_eq!((first.len(), second.len()), (5, 7));
    assert!(first.is_disjoint(&second), "{first:?} and {second:?}");
    let all: BTreeSet<String> = keys(0..12).into_iter().collect();
    assert_eq!(&first | &second, all);
    // The group's committed offsets are now the end of each partition: nothing is left.
    assert_eq!(cluster.committed("resume", 3), [Offset::Offset(4); 3]);
}

#[test]
fn rejected_messages_are_copied_untouched_to_the_dead_letter_topic() {
    let cluster = Cluster::new(1);
    let dead_letter_topic = "dead-letters";
    cluster.kafka.create_topic(dead_letter_topic, 1);
    let mut with_headers = invalid(0, 101, Some(b"not json"));
    with_headers.headers = vec![("trace".to_string(), "t-1".to_string())];
    let messages = vec![
        valid(0, 0),
        invalid(0, 100, None),
        valid(0, 1),
        with_headers,
        valid(0, 2),
    ];
    cluster.write(TopicKind::UserEvents, &messages);

    let session = cluster.session("dead", &[], Some(dead_letter_topic));
    let mut recorder = Recorder::default();
    session.run(&at_most(5), &mut recorder).unwrap();
    assert_eq!(
        recorder.seen.len(),
        5,
        "rejected ones reach the handler too"
    );

    let dead = cluster.read_all(dead_letter_topic);
    let keys: Vec<Option<&str>> = dead.iter().map(|d| d.key.as_deref()).collect();
    assert_eq!(keys, [Some("m100"), Some("m101")]);
    let source = cluster.topic(TopicKind::UserEvents);
    for (letter, (offset, payload, kind)) in dead.iter().zip([
        ("1", None, "empty"),
        ("3", Some(b"not json".to_vec()), "invalid_json"),
    ]) {
        assert_eq!(letter.payload, payload, "the value is untouched");
        let header = |name: &str| {
            let found = letter.headers.iter().find(|(k, _)| k == name);
            found.map(|(_, v)| v.as_str())
        };
        assert_eq!(header(dead_letter::SOURCE_TOPIC), Some(source));
        assert_eq!(header(dead_letter::SOURCE_PARTITION), Some("0"));
        assert_eq!(header(dead_letter::SOURCE_OFFSET), Some(offset));
        assert_eq!(header(dead_letter::REJECT_KIND), Some(kind));
        assert!(header(dead_letter::REJECT_REASON).is_some_and(|r| !r.is_empty()));
    }
    assert_eq!(
        dead[1].headers.first(),
        Some(&("trace".to_string(), "t-1".to_string())),
        "the original headers come first, unchanged"
    );
}

/// A [`Recorder`] per reader thread (and one for the main thread).
#[derive(Default)]
struct ThreadRecorders {
    recorders: Vec<Arc<std::sync::Mutex<Recorder>>>,
    refuse: Option<String>,
    last_handled: u64,
}

struct SharedRecorder(Arc<std::sync::Mutex<Recorder>>);

impl Handler for SharedRecorder {
    type Error = TestError;

    fn message(&mut self, incoming: Incoming<'_>) -> Result<(), TestError> {
        self.0.lock().unwrap().message(incoming)
    }
}

impl threads::ParallelHandler for ThreadRecorders {
    type Error = TestError;
    type Worker = SharedRecorder;

    fn worker(&mut self) -> SharedRecorder {
        let recorder = Arc::new(std::sync::Mutex::new(Recorder {
            refuse: self.refuse.clone(),
            ..Recorder::default()
        }));
        self.recorders.push(Arc::clone(&recorder));
        SharedRecorder(recorder)
    }

    fn tick(&mut self, handled: u64) -> Result<(), TestError> {
        assert!(
            handled >= self.last_handled,
            "the count of handled messages went back"
        );
        self.last_handled = handled;
        Ok(())
    }
}

impl ThreadRecorders {
    /// Keys each recorder saw, one list per recorder (the main thread's first).
    fn keys_by_thread(&self) -> Vec<Vec<String>> {
        self.recorders
            .iter()
            .map(|r| r.lock().unwrap().keys())
            .collect()
    }

    fn all_keys(&self) -> BTreeSet<String> {
        self.keys_by_thread().into_iter().flatten().collect()
    }

    fn handled(&self) -> usize {
        self.keys_by_thread().iter().map(Vec::len).sum()
    }
}

fn idle_after(idle: Duration) -> Limits {
    Limits {
        max_messages: None,
        idle_timeout: Some(idle),
    }
}

#[test]
fn reader_threads_each_read_whole_partitions_in_order_and_commit_them() {
    let cluster = Cluster::new(3);
    let mut messages = valid_messages(600, 3);
    messages.push(invalid(1, 1000, Some(b"not json")));
    cluster.write(TopicKind::UserEvents, &messages);

    let session = cluster.session("threads", &[], None);
    let mut recorders = ThreadRecorders::default();
    let ending = session
        .run_parallel(3, &idle_after(Duration::from_secs(2)), &mut recorders)
        .unwrap();
    assert_eq!(ending, Ending::Idle);
    assert_eq!(recorders.last_handled, 601);

    // Every message once, the rejected one included.
    assert_eq!(recorders.handled(), 601);
    let mut all: BTreeSet<String> = keys(0..600).into_iter().collect();
    all.insert("m1000".to_string());
    assert_eq!(recorders.all_keys(), all);
    // Three partitions on three reader threads: one each, read in order; the main thread had
    // none to read (the partitions were split off as they were assigned).
    let mut partitions_per_thread = Vec::new();
    for recorder in &recorders.recorders {
        let recorder = recorder.lock().unwrap();
        let partitions: BTreeSet<i32> = recorder.seen.iter().map(|s| s.partition).collect();
        for partition in &partitions {
            let offsets: Vec<i64> = recorder
                .seen
                .iter()
                .filter(|s| s.partition == *partition)
                .map(|s| s.offset)
                .collect();
            assert!(offsets.windows(2).all(|w| w[0] + 1 == w[1]), "{offsets:?}");
        }
        partitions_per_thread.push(partitions.len());
    }
    assert_eq!(partitions_per_thread, [0, 1, 1, 1]);
    drop(session);
    assert_eq!(
        cluster.committed("threads", 3),
        [
            Offset::Offset(200),
            Offset::Offset(201),
            Offset::Offset(200)
        ]
    );
}

#[test]
fn reader_threads_stop_after_max_messages_and_the_next_session_reads_the_rest() {
    let cluster = Cluster::new(3);
    cluster.write(TopicKind::UserEvents, &valid_messages(900, 3));

    let session = cluster.session("threads-max", &[], None);
    let mut first = ThreadRecorders::default();
    let ending = session.run_parallel(2, &at_most(250), &mut first).unwrap();
    assert_eq!(ending, Ending::MaxMessages);
    assert_eq!(first.handled(), 250);
    drop(session);

    // Messages taken past the limit were not handled, so their offsets were not committed.
    let session = cluster.session("threads-max", &[], None);
    let mut second = ThreadRecorders::default();
    session
        .run_parallel(2, &idle_after(Duration::from_secs(2)), &mut second)
        .unwrap();
    let (first, second) = (first.all_keys(), second.all_keys());
    assert!(
        first.is_disjoint(&second),
        "read twice: {:?}",
        &first & &second
    );
    let all: BTreeSet<String> = keys(0..900).into_iter().collect();
    assert_eq!(&first | &second, all);
}

#[test]
fn a_reader_thread_error_ends_the_run_with_that_error() {
    let cluster = Cluster::new(3);
    cluster.write(TopicKind::UserEvents, &valid_messages(300, 3));

    let session = cluster.session("threads-error", &[], None);
    let mut recorders = ThreadRecorders {
        refuse: Some("m100".to_string()),
        ..ThreadRecorders::default()
    };
    let result = session.run_parallel(3, &at_most(10_000), &mut recorders);
    assert!(
        matches!(&result, Err(TestError::Refused(key)) if key == "m100"),
        "{result:?}"
    );
}
