//! The shopper simulator: users from the catalog live sessions (login, searches, views, a real
//! cart, purchases of what is in it, logout), producing events for the three topics.
//!
//! Plain library code, no Kafka. Deterministic for a seed: the same seed and quotas give the same
//! events, ids and timestamps included (the clock is simulated then, starting at [`SEEDED_EPOCH`]).
//! Without a seed, randomness is fresh and timestamps are the wall clock.
//!
//! Quotas say how many events of each topic to emit. Generation steers towards them exactly
//! without breaking a story: a purchase always follows an add_to_cart of the same session and
//! product, a remove only takes back what was added, and everything in a session follows its login
//! and (when the session has ended) precedes its logout.
//!
//! In parts:
//! - `budget`: what each topic still owes, and which actions keep every quota reachable
//! - `policy`: who acts next and what they do (the random choices)
//! - `render`: the [`Event`] for each decision
//! - `session`: an open session and the actions open to it; `tastes`: what shoppers choose
//!   among (products, queries, devices, payment methods)

mod budget;
mod policy;
mod render;
mod session;
mod tastes;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::budget::Budgets;
use self::policy::Shoppers;
use self::tastes::Tastes;
use crate::catalog::Catalog;
use crate::event::Event;
use crate::timestamp::Timestamp;
use crate::vocab::TopicKind;

/// Where the simulated clock of a seeded run starts: 2026-01-01T00:00:00Z.
pub const SEEDED_EPOCH: i64 = 1_767_225_600_000;

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimulatorError {
    #[error("the catalog has no products or no users")]
    EmptyCatalog,
    #[error("no topic is asked for")]
    NothingToEmit,
    #[error(
        "{purchases} purchases need at least as many product events (each purchase follows an add_to_cart), not {product_events}"
    )]
    PurchasesExceedProductEvents { purchases: u64, product_events: u64 },
}

pub struct Simulator<'c> {
    catalog: &'c Catalog,
    rng: ChaCha8Rng,
    seeded: bool,
    /// Milliseconds since the Unix epoch of the latest event.
    clock: i64,
    budgets: Budgets,
    tastes: Tastes,
    shoppers: Shoppers,
}

impl<'c> Simulator<'c> {
    pub fn new(
        catalog: &'c Catalog,
        seed: Option<u64>,
        quotas: Quotas,
    ) -> Result<Simulator<'c>, SimulatorError> {
        if catalog.products.is_empty() || catalog.users.is_empty() {
            return Err(SimulatorError::EmptyCatalog);
        }
        let budgets = Budgets::new(quotas);
        if !budgets.emits_any() {
            return Err(SimulatorError::NothingToEmit);
        }
        if let (Quota::Exactly(purchases), Quota::Exactly(product_events)) =
            (quotas.purchases, quotas.product_events)
            && purchases > product_events
        {
            return Err(SimulatorError::PurchasesExceedProductEvents {
                purchases,
                product_events,
            });
        }
        let rng = match seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            None => ChaCha8Rng::from_os_rng(),
        };
        Ok(Simulator {
            catalog,
            rng,
            seeded: seed.is_some(),
            clock: if seed.is_some() {
                SEEDED_EPOCH
            } else {
                Timestamp::now().millis()
            },
            budgets,
            // Weights fail only for an empty product list, ruled out above.
            tastes: Tastes::new(catalog).map_err(|_| SimulatorError::EmptyCatalog)?,
            shoppers: Shoppers::new(catalog.users.len(), catalog.products.len(), &budgets),
        })
    }

    /// True when every emitted topic has reached its quota.
    pub fn is_done(&self) -> bool {
        self.budgets.all_done()
    }

    /// The next emitted event, or None when every quota is met.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        loop {
            if self.is_done() {
                return None;
            }
            let decision = self
                .shoppers
                .step(&mut self.rng, &self.budgets, &self.tastes)?;
            self.advance_clock();
            let topic = decision.act.topic();
            if self.budgets.emits(topic) {
                self.budgets.spend(topic);
                let event_id = uuid::Builder::from_random_bytes(self.rng.random()).into_uuid();
                return Some(render::event(
                    decision,
                    event_id,
                    Timestamp::from_millis(self.clock),
                    self.catalog,
                    &self.shoppers,
                    &self.tastes,
                ));
            }
            // A topic that is not emitted: the step happened (the story goes on), nothing to build.
        }
    }

    fn advance_clock(&mut self) {
        if self.seeded {
            self.clock += self.rng.random_range(20..1500);
        } else {
            self.clock = self.clock.max(Timestamp::now().millis());
        }
    }
}

#[cfg(test)]
mod tests;
