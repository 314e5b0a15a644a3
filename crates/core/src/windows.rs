//! Event time: figures per tumbling window of the events' own timestamps, aligned to the epoch.
//!
//! - [`WindowTally`]: one window's running totals. Mergeable: the tallies of any split of a
//!   window's events merge into the tally of all of them.
//! - [`WindowFigures`]: a window as reports and the ground-truth file show it.
//! - [`WindowSeries`]: every window of a stream, none ever closed: the ground truth of a set of
//!   events, whatever order they come in.
//! - [`EventTimeWindows`]: the windows a reader keeps. A watermark (per partition the latest event
//!   time seen; overall the minimum over the partitions read, idle ones excepted) less the allowed
//!   lateness closes windows; an event for an open window updates it even out of order, and one
//!   for a closed window is counted as too late, per topic, and never added. Serializable (for a
//!   checkpoint or a state record, then [`EventTimeWindows::resume`]) and mergeable (the windows of
//!   reader threads, or of every partition of a group).

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use enum_map::EnumMap;
use serde::{Deserialize, Serialize};

use crate::event::{Details, Event};
use crate::money::Money;
use crate::tallies::{MaxKeys, named, ratio};
use crate::timestamp::Timestamp;
use crate::vocab::{EventType, TopicKind};

mod users;

pub use users::{ActiveUsers, BUCKETS, Dirty, ESTIMATE_ERROR, user_hash};

/// One window's running totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WindowTally {
    by_type: EnumMap<EventType, u64>,
    orders: u64,
    #[serde(with = "crate::money::cents")]
    revenue: Money,
    /// Users with at least one event in the window: exact up to the reader's bound, then an
    /// estimate (see windows/users.rs). Saved in state entries of their own, by bucket.
    #[serde(default)]
    users: ActiveUsers,
    /// Events for this window that came after it had closed (not in the figures above).
    #[serde(default)]
    too_late: u64,
}

impl WindowTally {
    /// Counts an event; `max_users`: how many users are counted exactly at most (None: all,
    /// the ground truth).
    pub fn record(&mut self, event: &Event<'_>, max_users: Option<usize>) {
        self.by_type[event.event_type()] += 1;
        if let Details::Purchase { total, .. } = &event.details {
            self.orders += 1;
            self.revenue += *total;
        }
        // No allocation per event: a hash, and a set that grows now and then.
        self.users.insert(user_hash(&event.user_id), max_users);
    }

    /// Adds the events of `other` (another split of the same window).
    pub fn merge(&mut self, other: &WindowTally, max_users: Option<usize>) {
        for (event_type, count) in &other.by_type {
            self.by_type[event_type] += *count;
        }
        self.orders += other.orders;
        self.revenue += other.revenue;
        self.users.merge(&other.users, max_users);
        self.too_late += other.too_late;
    }

    pub fn events(&self) -> u64 {
        self.by_type.values().sum()
    }

    pub fn users(&self) -> &ActiveUsers {
        &self.users
    }

    pub fn users_mut(&mut self) -> &mut ActiveUsers {
        &mut self.users
    }

    /// The window's figures other than its users, as its state entry holds them.
    fn counts(&self) -> TallyCounts<'_> {
        TallyCounts {
            by_type: &self.by_type,
            orders: self.orders,
            revenue: self.revenue,
            too_late: self.too_late,
        }
    }

    /// The figures of the window starting at `start` (ms since the epoch), `width` long.
    pub fn figures(&self, start: i64, width: i64, closed: bool) -> WindowFigures {
        let views = self.by_type[EventType::View];
        let carts = self.by_type[EventType::AddToCart];
        let purchases = self.by_type[EventType::Purchase];
        WindowFigures {
            start: Timestamp::from_millis(start).to_string(),
            end: Timestamp::from_millis(start + width).to_string(),
            closed,
            events: self.events(),
            events_by_type: named(&self.by_type, EventType::as_str)
                .into_iter()
                .map(|(name, count)| (name.to_string(), count))
                .collect(),
            orders: self.orders,
            revenue: self.revenue,
            view_to_purchase: ratio(purchases, views),
            cart_to_purchase: ratio(purchases, carts),
            active_users: self.users.count(),
            active_users_approximate: self.users.is_estimate(),
            active_users_relative_error: self.users.is_estimate().then_some(ESTIMATE_ERROR),
            too_late: self.too_late,
        }
    }
}

/// One window's figures, as `metrics-consumer --json` and the ground-truth file print them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowFigures {
    /// RFC 3339, UTC, milliseconds: the window holds events from `start` (included) to `end`.
    pub start: String,
    pub end: String,
    /// Whether the watermark has passed the window's end plus the allowed lateness: its figures
    /// are final. Always true in a ground-truth file.
    pub closed: bool,
    pub events: u64,
    pub events_by_type: BTreeMap<String, u64>,
    pub orders: u64,
    /// Exact cents, printed with two decimals.
    pub revenue: Money,
    /// purchase events / view events of the window (0 without views), four decimals.
    pub view_to_purchase: f64,
    /// purchase events / add_to_cart events of the window (0 without any), four decimals.
    pub cart_to_purchase: f64,
    /// Distinct users with an event in the window: exact up to the reader's distinct-key bound
    /// (64-bit hashes of the ids: see windows/users.rs), beyond it an estimate.
    pub active_users: u64,
    /// Whether `active_users` is an estimate (HyperLogLog).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub active_users_approximate: bool,
    /// The estimate's relative standard error (0.0081: within 2.5% at three standard errors).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_users_relative_error: Option<f64>,
    /// Events for the window that came after it had closed, and are not in its figures (always
    /// 0 in a ground-truth file).
    pub too_late: u64,
}

/// The wall clock the windows' idleness is measured on: milliseconds since this process first
/// asked, monotonic, the same on every thread.
pub fn reader_clock() -> i64 {
    static ORIGIN: std::sync::LazyLock<std::time::Instant> =
        std::sync::LazyLock::new(std::time::Instant::now);
    i64::try_from(ORIGIN.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The start of the window of `width` ms that holds `at` (both ms since the epoch).
pub fn window_start(at: i64, width: i64) -> i64 {
    at.div_euclid(width) * width
}

/// A window width or lateness in milliseconds, at least 1 ms for a width.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Every window of a stream, by start; none is ever closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowSeries {
    width: i64,
    windows: BTreeMap<i64, WindowTally>,
}

impl WindowSeries {
    /// Windows `width` long (a zero width counts as one millisecond).
    pub fn new(width: Duration) -> WindowSeries {
        WindowSeries {
            width: millis(width).max(1),
            windows: BTreeMap::new(),
        }
    }

    pub fn width(&self) -> Duration {
        Duration::from_millis(self.width.unsigned_abs())
    }

    pub fn record(&mut self, event: &Event<'_>) {
        let start = window_start(event.timestamp.millis(), self.width);
        // The truth stays exact (up to 64-bit hash collisions): no bound.
        self.windows.entry(start).or_default().record(event, None);
    }

    /// Adds another series of the same width (another split of the stream).
    pub fn merge(&mut self, other: &WindowSeries) {
        for (start, tally) in &other.windows {
            self.windows.entry(*start).or_default().merge(tally, None);
        }
    }

    /// Every window with an event, oldest first, each marked closed.
    pub fn figures(&self) -> Vec<WindowFigures> {
        self.windows
            .iter()
            .map(|(start, tally)| tally.figures(*start, self.width, true))
            .collect()
    }
}

/// The most windows a reader keeps open at once. A stream whose timestamps spread over more
/// windows than this while a slow partition holds the watermark back (a hostile stream, or a
/// backlog of a week of one-minute windows) closes its oldest open window early: later events
/// for it count as too late. Bounds the memory of the open windows whatever the input.
pub const MAX_OPEN_WINDOWS: usize = 10_000;

/// What became of one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Added to its window (open, or opened by it).
    Counted,
    /// Its window was already closed: counted as too late, not added.
    TooLate,
}

/// Settings of a reader's windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowRules {
    pub width: Duration,
    /// How many of the latest windows are kept (and reported).
    pub keep: usize,
    /// How far behind the watermark an event may be and still count.
    pub allowed_lateness: Duration,
    /// A partition read up to its end and without an event for this long (wall clock) does not
    /// hold the watermark back.
    pub idle_after: Duration,
    /// The same for a partition not known to be read up to its end (not read from yet, or read
    /// by another member of the group): longer, since its events may just not have come yet.
    pub unknown_idle_after: Duration,
}

/// Event time in one partition being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct PartitionTime {
    /// The latest event time seen (ms since the epoch); None before its first event.
    latest: Option<i64>,
    /// When (the caller's wall clock, ms) it last had an event, or reading began. Not saved: a
    /// wall clock of another process means nothing.
    #[serde(skip)]
    active_at: i64,
    /// Whether the reader is behind on it (events are waiting to be read), as the caller last
    /// said; such a partition is never idle. None: not known (a partition another member reads).
    #[serde(skip)]
    behind: Option<bool>,
}

impl PartitionTime {
    fn idle(&self, now: i64, idle_after: i64, unknown_idle_after: i64) -> bool {
        let quiet = now.saturating_sub(self.active_at);
        match self.behind {
            Some(true) => false,
            Some(false) => quiet >= idle_after,
            None => quiet >= unknown_idle_after,
        }
    }
}

/// The windows of a reader: open ones, the latest closed ones, the watermark that closes them.
///
/// Saved (serialized) are the width, the windows, where closing has reached, each partition's
/// latest event time and the too-late counts; the rules and wall-clock facts are the reader's
/// and come back with [`EventTimeWindows::resume`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventTimeWindows {
    width: i64,
    /// How many closed windows are kept; 0 (not yet resumed) keeps them all.
    #[serde(skip)]
    keep: usize,
    #[serde(skip)]
    lateness: i64,
    #[serde(skip)]
    idle_after: i64,
    #[serde(skip)]
    unknown_idle_after: i64,
    open: BTreeMap<i64, WindowTally>,
    /// The latest closed windows, oldest first, at most `keep`.
    closed: VecDeque<(i64, WindowTally)>,
    /// Every window starting before this is closed.
    closed_before: i64,
    /// By topic, then partition: looked up by `&str`, with no allocation per event.
    partitions: BTreeMap<String, BTreeMap<i32, PartitionTime>>,
    too_late: EnumMap<TopicKind, u64>,
    /// Whether any event has come yet: until then nothing counts as idle (a consumer group takes
    /// seconds to hand out partitions).
    #[serde(skip)]
    reading: bool,
    /// Windows close only when the caller says ([`EventTimeWindows::close_before`]): the windows
    /// of one reader thread, which the main thread closes on the watermark of all of them.
    #[serde(skip)]
    closed_by_caller: bool,
    /// Users counted exactly per window at most (the engine's distinct-key bound).
    #[serde(skip)]
    max_users: MaxKeys,
}

/// Saved windows of another width than the reader's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the saved windows are {saved:?} wide, not {wanted:?}")]
pub struct WidthMismatch {
    pub saved: Duration,
    pub wanted: Duration,
}

impl EventTimeWindows {
    pub fn new(rules: WindowRules) -> EventTimeWindows {
        EventTimeWindows {
            width: millis(rules.width).max(1),
            keep: rules.keep.max(1),
            lateness: millis(rules.allowed_lateness),
            idle_after: millis(rules.idle_after),
            unknown_idle_after: millis(rules.unknown_idle_after),
            open: BTreeMap::new(),
            closed: VecDeque::new(),
            closed_before: i64::MIN,
            partitions: BTreeMap::new(),
            too_late: EnumMap::default(),
            reading: false,
            closed_by_caller: false,
            max_users: MaxKeys::default(),
        }
    }

    /// The windows of one reader thread: like [`EventTimeWindows::new`], but they close only when
    /// the caller says, on a watermark over every thread's partitions.
    pub fn closed_by_caller(rules: WindowRules) -> EventTimeWindows {
        EventTimeWindows {
            closed_by_caller: true,
            ..EventTimeWindows::new(rules)
        }
    }

    /// Saved windows, read on under `rules` from now on (`now`: the caller's wall clock, ms): the
    /// width must be the same; each partition saved waits (holds the watermark back) as if just
    /// watched.
    pub fn resume(
        mut self,
        rules: WindowRules,
        now: i64,
    ) -> Result<EventTimeWindows, WidthMismatch> {
        let fresh = EventTimeWindows::new(rules);
        if self.width != fresh.width {
            return Err(WidthMismatch {
                saved: self.width(),
                wanted: rules.width,
            });
        }
        self.keep = fresh.keep;
        self.lateness = fresh.lateness;
        self.idle_after = fresh.idle_after;
        self.unknown_idle_after = fresh.unknown_idle_after;
        self.reading = false;
        self.closed_by_caller = false;
        for time in self.partitions.values_mut().flat_map(BTreeMap::values_mut) {
            time.active_at = now;
            time.behind = None;
        }
        self.trim();
        Ok(self)
    }

    pub fn width(&self) -> Duration {
        Duration::from_millis(self.width.unsigned_abs())
    }

    /// Every window starting before this is closed (i64::MIN: none yet).
    pub fn closed_before(&self) -> i64 {
        self.closed_before
    }

    /// A partition is being read (`now`: the caller's wall clock, ms): until its first event, or
    /// until it has been idle for a while, the watermark waits for it, so that a partition read
    /// ahead of it does not make its events late.
    pub fn watch(&mut self, topic: &str, partition: i32, now: i64) {
        self.time_mut(topic, partition, now);
    }

    /// A partition's event time, first watched at `now` if it was not yet.
    fn time_mut(&mut self, topic: &str, partition: i32, now: i64) -> &mut PartitionTime {
        if !self.partitions.contains_key(topic) {
            self.partitions.insert(topic.to_string(), BTreeMap::new());
        }
        // Just inserted when missing.
        let partitions = self
            .partitions
            .get_mut(topic)
            .expect("the topic's partitions");
        partitions.entry(partition).or_insert(PartitionTime {
            latest: None,
            active_at: now,
            behind: None,
        })
    }

    fn times(&self) -> impl Iterator<Item = &PartitionTime> {
        self.partitions.values().flat_map(BTreeMap::values)
    }

    /// How many events of a partition wait to be read (its consumer lag, known once the reader
    /// has read from it): a partition the reader is behind on is never idle, however long it has
    /// been quiet; one read to its end is idle after `idle_after` of quiet.
    pub fn note_lag(&mut self, topic: &str, partition: i32, lag: i64) {
        if let Some(time) = self
            .partitions
            .get_mut(topic)
            .and_then(|partitions| partitions.get_mut(&partition))
        {
            time.behind = Some(lag > 0);
        }
    }

    /// A partition is no longer read by this reader: it no longer holds the watermark back.
    pub fn unwatch(&mut self, topic: &str, partition: i32) {
        if let Some(partitions) = self.partitions.get_mut(topic) {
            partitions.remove(&partition);
        }
    }

    /// Places one event of `topic`'s `partition` (a topic of kind `kind`) read at `now` (the
    /// caller's wall clock, ms), then moves the watermark on.
    pub fn record(
        &mut self,
        kind: TopicKind,
        topic: &str,
        partition: i32,
        event: &Event<'_>,
        now: i64,
    ) -> Placement {
        let at = event.timestamp.millis();
        if !self.reading {
            self.begin_reading(now);
        }
        let start = window_start(at, self.width);
        let placement = if start < self.closed_before {
            self.too_late[kind] += 1;
            // Counted on its window too, while that window is among the kept ones.
            if let Some((_, tally)) = self.closed.iter_mut().rev().find(|(s, _)| *s == start) {
                tally.too_late += 1;
            }
            Placement::TooLate
        } else {
            let max_users = Some(self.max_users.get());
            self.open.entry(start).or_default().record(event, max_users);
            if self.open.len() > MAX_OPEN_WINDOWS {
                self.close_oldest_open();
            }
            Placement::Counted
        };
        let time = self.time_mut(topic, partition, now);
        time.active_at = now;
        let advanced = time.latest.is_none_or(|latest| at > latest);
        if advanced {
            time.latest = Some(at);
            if !self.closed_by_caller {
                self.close(now);
            }
        }
        placement
    }

    /// The watermark at `now` (the caller's wall clock, ms): the minimum over the partitions read,
    /// idle ones excepted, of their latest event time; None while a partition that is not idle
    /// has had no event yet, or when every partition is idle.
    pub fn watermark(&self, now: i64) -> Option<i64> {
        if !self.reading {
            return None;
        }
        let mut watermark: Option<i64> = None;
        for time in self.times() {
            if time.idle(now, self.idle_after, self.unknown_idle_after) {
                continue;
            }
            let latest = time.latest?;
            watermark = Some(watermark.map_or(latest, |w| w.min(latest)));
        }
        watermark
    }

    /// Closes every window whose end the watermark, less the allowed lateness, has passed. Called
    /// after each event that moves a partition's time on, and between messages (for idleness).
    pub fn close(&mut self, now: i64) {
        let Some(watermark) = self.watermark(now) else {
            return;
        };
        self.close_before(window_start(
            watermark.saturating_sub(self.lateness),
            self.width,
        ));
    }

    /// Closes every window starting before `closed_before` (a window start): from now on an
    /// event for one of them is too late.
    pub fn close_before(&mut self, closed_before: i64) {
        if closed_before <= self.closed_before {
            return;
        }
        self.closed_before = closed_before;
        while let Some(entry) = self.open.first_entry() {
            if *entry.key() >= closed_before {
                break;
            }
            let (start, tally) = entry.remove_entry();
            self.closed.push_back((start, tally));
        }
        self.trim();
    }

    /// Closes the oldest open window ahead of the watermark (see [`MAX_OPEN_WINDOWS`]).
    fn close_oldest_open(&mut self) {
        if let Some(&oldest) = self.open.keys().next() {
            self.close_before(oldest + self.width);
        }
    }

    /// Keeps the latest `keep` closed windows (all of them while `keep` is 0).
    fn trim(&mut self) {
        if self.keep > 0 {
            while self.closed.len() > self.keep {
                self.closed.pop_front();
            }
        }
    }

    /// Takes in the event time of another reader's partitions (a reader thread's, `now` on the
    /// same clock), so that this one's watermark covers them: the main thread of several reader
    /// threads follows each of them, then closes their windows with
    /// [`EventTimeWindows::close_before`] at its own [`EventTimeWindows::closed_before`].
    pub fn follow(&mut self, part: &EventTimeWindows, now: i64) {
        if part.reading && !self.reading {
            self.begin_reading(now);
        }
        for (topic, partitions) in &part.partitions {
            for (partition, theirs) in partitions {
                let mine = self.time_mut(topic, *partition, now);
                mine.latest = mine.latest.max(theirs.latest);
                mine.active_at = mine.active_at.max(theirs.active_at);
            }
        }
    }

    /// Reading begins: the partitions still silent are idle only from now on.
    fn begin_reading(&mut self, now: i64) {
        self.reading = true;
        for time in self.partitions.values_mut().flat_map(BTreeMap::values_mut) {
            time.active_at = time.active_at.max(now);
        }
    }

    /// Adds the windows of `other` (another split of the stream: another reader thread's, or
    /// another partition's in a group). Tallies of the same window add up; a window is closed
    /// where every split that has had an event closed it; each partition keeps its latest event
    /// time; too-late counts add up.
    pub fn merge(&mut self, other: &EventTimeWindows) {
        let (mine, theirs) = (self.has_events(), other.has_events());
        if theirs {
            self.closed_before = if mine {
                self.closed_before.min(other.closed_before)
            } else {
                other.closed_before
            };
        }
        let mut all: BTreeMap<i64, WindowTally> = std::mem::take(&mut self.open);
        all.extend(self.closed.drain(..));
        let theirs = other
            .open
            .iter()
            .chain(other.closed.iter().map(|(start, tally)| (start, tally)));
        let max_users = Some(self.max_users.get());
        for (start, tally) in theirs {
            all.entry(*start).or_default().merge(tally, max_users);
        }
        self.open = all.split_off(&self.closed_before);
        self.closed = all.into_iter().collect();
        self.trim();
        for (topic, partitions) in &other.partitions {
            for (partition, time) in partitions {
                let mine = self.time_mut(topic, *partition, time.active_at);
                mine.latest = mine.latest.max(time.latest);
                mine.active_at = mine.active_at.max(time.active_at);
                mine.behind = mine.behind.or(time.behind);
            }
        }
        for (kind, count) in &other.too_late {
            self.too_late[kind] += *count;
        }
        self.reading |= other.reading;
    }

    /// Whether any partition has had an event.
    fn has_events(&self) -> bool {
        self.times().any(|time| time.latest.is_some())
    }

    /// The earliest of the partitions' latest event times, idle or not: the watermark of splits
    /// read elsewhere (a group's partitions), whose idleness this reader cannot know.
    pub fn slowest_partition(&self) -> Option<i64> {
        self.times().filter_map(|time| time.latest).min()
    }

    /// The latest windows, at most `keep` (all while 0), oldest first: closed ones, then open
    /// ones.
    pub fn figures(&self) -> Vec<WindowFigures> {
        let closed = self
            .closed
            .iter()
            .map(|(start, tally)| tally.figures(*start, self.width, true));
        let open = self
            .open
            .iter()
            .map(|(start, tally)| tally.figures(*start, self.width, false));
        let all: Vec<WindowFigures> = closed.chain(open).collect();
        let keep = if self.keep == 0 { all.len() } else { self.keep };
        let skip = all.len().saturating_sub(keep);
        all.into_iter().skip(skip).collect()
    }

    /// Events that came for a window already closed, per topic.
    pub fn too_late(&self) -> BTreeMap<&'static str, u64> {
        named(&self.too_late, TopicKind::as_str)
    }

    /// What a report shows of the windows at `now` (the caller's wall clock, ms).
    pub fn report(&self, now: i64) -> EventTimeReport {
        self.report_with(self.watermark(now))
    }

    /// What a report shows of the windows, with the watermark known otherwise (a group's, or
    /// that of the main thread over its reader threads).
    pub fn report_with(&self, watermark: Option<i64>) -> EventTimeReport {
        EventTimeReport {
            watermark: watermark.map(|at| Timestamp::from_millis(at).to_string()),
            too_late: self.too_late(),
            windows: self.figures(),
        }
    }

    /// Counts at most this many users exactly per window (the engine's distinct-key bound).
    pub(crate) fn set_max_users(&mut self, max_users: MaxKeys) {
        self.max_users = max_users;
    }

    /// Every window held, closed ones then open ones, by start.
    pub fn tallies_mut(&mut self) -> impl Iterator<Item = (i64, &mut WindowTally)> {
        let closed = self.closed.iter_mut().map(|(start, tally)| (*start, tally));
        closed.chain(self.open.iter_mut().map(|(start, tally)| (*start, tally)))
    }

    /// Every window held, closed ones then open ones, by start.
    pub fn tallies(&self) -> impl Iterator<Item = (i64, &WindowTally)> {
        let closed = self.closed.iter().map(|(start, tally)| (*start, tally));
        closed.chain(self.open.iter().map(|(start, tally)| (*start, tally)))
    }

    /// The window starting at `start`, if held.
    pub fn tally_mut(&mut self, start: i64) -> Option<&mut WindowTally> {
        if let Some(tally) = self.open.get_mut(&start) {
            return Some(tally);
        }
        self.closed
            .iter_mut()
            .find(|(s, _)| *s == start)
            .map(|(_, tally)| tally)
    }

    /// The windows as their state entry holds them: everything saved but the users (which have
    /// entries of their own, by bucket), so that the entry stays small whatever the users.
    pub fn without_users(&self) -> impl Serialize + '_ {
        WindowsWithoutUsers {
            width: self.width,
            open: self.open.iter().map(|(s, t)| (*s, t.counts())).collect(),
            closed: self.closed.iter().map(|(s, t)| (*s, t.counts())).collect(),
            closed_before: self.closed_before,
            partitions: &self.partitions,
            too_late: &self.too_late,
        }
    }

    /// Takes the users of `old`'s windows into the same windows here (windows restored from an
    /// entry without users, over users restored before them).
    pub fn adopt_users(&mut self, old: &mut EventTimeWindows) {
        for (start, tally) in old.tallies_mut() {
            if let Some(mine) = self.tally_mut(start) {
                mine.users = std::mem::take(&mut tally.users);
            }
        }
    }

    /// Reports at most `keep` windows from now on (merged windows of saved splits).
    pub fn set_keep(&mut self, keep: usize) {
        self.keep = keep.max(1);
    }
}

/// A window's figures other than its users, as saved in the windows' state entry.
#[derive(Serialize)]
struct TallyCounts<'a> {
    by_type: &'a EnumMap<EventType, u64>,
    orders: u64,
    #[serde(with = "crate::money::cents")]
    revenue: Money,
    too_late: u64,
}

/// [`EventTimeWindows`] as saved, without the users (read back as `EventTimeWindows`).
#[derive(Serialize)]
struct WindowsWithoutUsers<'a> {
    width: i64,
    open: BTreeMap<i64, TallyCounts<'a>>,
    closed: Vec<(i64, TallyCounts<'a>)>,
    closed_before: i64,
    partitions: &'a BTreeMap<String, BTreeMap<i32, PartitionTime>>,
    too_late: &'a EnumMap<TopicKind, u64>,
}

/// The event-time part of a report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventTimeReport {
    /// The overall watermark (RFC 3339), before the allowed lateness is taken off; null while a
    /// partition being read has had no event yet, or when every partition is idle.
    pub watermark: Option<String>,
    /// Events that came for a window already closed, per topic.
    pub too_late: BTreeMap<&'static str, u64>,
    /// The latest windows, oldest first.
    pub windows: Vec<WindowFigures>,
}

#[cfg(test)]
mod tests;
