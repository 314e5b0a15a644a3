//! How many events of each topic a run is asked for.

use crate::vocab::TopicKind;

/// How many events of one topic to emit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Quota {
    /// Not emitted: its events still happen in the simulation (stories stay whole) but are dropped.
    Off,
    /// Without end (until the caller stops asking).
    Unlimited,
    /// Exactly this many (at least 1).
    Exactly(u64),
}

impl Quota {
    /// A count as the tools take it: 0 means without end.
    pub fn from_count(count: u64) -> Quota {
        if count == 0 {
            Quota::Unlimited
        } else {
            Quota::Exactly(count)
        }
    }
}

/// Quotas for the three topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quotas {
    pub product_events: Quota,
    pub purchases: Quota,
    pub user_events: Quota,
}

impl Quotas {
    /// Only one topic, `count` events of it (0: without end).
    pub fn only(topic: TopicKind, count: u64) -> Quotas {
        let mut quotas = Quotas {
            product_events: Quota::Off,
            purchases: Quota::Off,
            user_events: Quota::Off,
        };
        *quotas.get_mut(topic) = Quota::from_count(count);
        quotas
    }

    /// Whether the run is free-running: no topic asks for an exact count (and one is emitted).
    pub fn free_running(&self) -> bool {
        self.emits_any()
            && [self.product_events, self.purchases, self.user_events]
                .iter()
                .all(|quota| !matches!(quota, Quota::Exactly(_)))
    }

    /// Whether any topic is emitted (a Simulator needs one).
    pub fn emits_any(&self) -> bool {
        [self.product_events, self.purchases, self.user_events]
            .iter()
            .any(|quota| *quota != Quota::Off)
    }

    pub fn get(&self, topic: TopicKind) -> Quota {
        match topic {
            TopicKind::ProductEvents => self.product_events,
            TopicKind::Purchases => self.purchases,
            TopicKind::UserEvents => self.user_events,
        }
    }

    fn get_mut(&mut self, topic: TopicKind) -> &mut Quota {
        match topic {
            TopicKind::ProductEvents => &mut self.product_events,
            TopicKind::Purchases => &mut self.purchases,
            TopicKind::UserEvents => &mut self.user_events,
        }
    }
}
