//! Which parts of an engine changed since its changes were last taken, so that a commit writes
//! only those (see [`super::MetricsEngine::take_changes`]). Bookkeeping, not a figure: two
//! engines with equal figures are equal whatever their marks.

/// The marks of an engine that tracks its changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct ChangeMarks {
    /// Product ids whose tally changed; at most one per product the engine holds.
    pub(crate) products: foldhash::HashSet<String>,
    /// Product ids the engine stopped holding (their entries are to be removed).
    pub(crate) removed_products: foldhash::HashSet<String>,
    /// The engine's totals (counts by type, region, customer type, money, rejections).
    pub(crate) totals: bool,
    /// The windows of event time.
    pub(crate) windows: bool,
}

impl ChangeMarks {
    pub(crate) fn product(&mut self, id: &str) {
        self.totals = true;
        if !self.products.contains(id) {
            self.products.insert(id.to_string());
            // Held again after it was dropped: its entry is written, not removed.
            if !self.removed_products.is_empty() {
                self.removed_products.remove(id);
            }
        }
    }

    /// The engine dropped a product's tally (to stay within its bound): its entry is removed.
    pub(crate) fn removed(&mut self, id: &str) {
        self.totals = true;
        self.products.remove(id);
        self.removed_products.insert(id.to_string());
    }

    pub(crate) fn is_empty(&self) -> bool {
        !self.totals
            && !self.windows
            && self.products.is_empty()
            && self.removed_products.is_empty()
    }
}

/// The user entries of one window that the log holds (written and not removed since).
#[derive(Debug, Clone)]
pub(crate) struct WrittenUsers {
    /// By bucket: whether its entry holds users.
    pub(crate) buckets: Vec<bool>,
    /// Whether the window's estimate entry is there.
    pub(crate) estimate: bool,
}

/// Marks kept or not: an engine tracks its changes only when something commits them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tracking {
    marks: Option<Box<ChangeMarks>>,
    /// By window start: the user entries written, so that they are removed when their window
    /// goes (or turns into an estimate). Known from the state when tracking starts.
    pub(crate) written_users: std::collections::BTreeMap<i64, WrittenUsers>,
}

impl Tracking {
    pub(crate) fn marks(&mut self) -> Option<&mut ChangeMarks> {
        self.marks.as_deref_mut()
    }

    pub(crate) fn is_on(&self) -> bool {
        self.marks.is_some()
    }

    pub(crate) fn start(&mut self) {
        if self.marks.is_none() {
            self.marks = Some(Box::default());
        }
    }

    /// The marks so far, tracking on with none; None when changes were not tracked.
    pub(crate) fn take(&mut self) -> Option<Box<ChangeMarks>> {
        self.marks.replace(Box::default())
    }
}

impl PartialEq for Tracking {
    fn eq(&self, _: &Tracking) -> bool {
        true
    }
}
