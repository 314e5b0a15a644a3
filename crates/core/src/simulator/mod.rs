//! The shopper simulator: users of the shop (listed or generated, see [`Shop`]) live sessions (login, searches, views, a real
//! cart, purchases of what is in it, logout), producing events for the three topics.
//!
//! Plain library code, no Kafka. Deterministic for a seed: the same seed and options give the
//! same events, ids and timestamps included (the clock is simulated then, starting at
//! [`SEEDED_EPOCH`] or the given start). Without a seed, randomness is fresh, and timestamps are
//! the wall clock unless a start is given.
//!
//! Two modes, by the quotas:
//! - Steered (any topic asks for an exact count): generation steers towards the counts exactly
//!   without breaking a story: a purchase always follows an add_to_cart of the same session and
//!   product, a remove only takes back what was added, and everything in a session follows its
//!   login and (when the session has ended) precedes its logout. The clock moves 20 ms to 1.5 s
//!   per event.
//! - Free-running (every emitted topic without end): the behaviour model alone decides, with the
//!   same stories: sessions start along the daily and weekly curve of each region's local time
//!   (times the campaigns), shoppers browse, cart and buy at the model's rates, stock runs out
//!   and comes back, prices change. The clock follows the sessions.
//!
//! In parts:
//! - `quotas`: how many events of each topic a run is asked for
//! - `budget`: what each topic still owes, and which actions keep every quota reachable
//! - `policy`: the steered mode's choice of who acts next and what they do
//! - `crowd`: the free-running mode's sessions, acting as the behaviour model says
//! - `arrivals`: when free-running sessions start; `shelf`: stock and prices as they change
//! - `render`: the [`Event`] for each decision
//! - `session`: an open session, the actions open to it, what it did; `tastes`: what shoppers
//!   choose among (products, queries, devices, payment methods)
//! - `pool`: who opens a session in a generated population (drawn, only the users in session
//!   held)

mod arrivals;
mod budget;
mod crowd;
mod policy;
mod pool;
mod quotas;
mod render;
mod session;
mod shelf;
mod tastes;

use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use self::arrivals::Arrivals;
use self::budget::Budgets;
use self::crowd::{Crowd, World};
use self::policy::Shoppers;
pub use self::quotas::{Quota, Quotas};
use self::render::Sources;
use self::session::{Decision, Session};
use self::shelf::Shelf;
use self::tastes::{TasteParams, Tastes};
use crate::behaviour::Behaviour;
use crate::campaign::Campaign;
use crate::event::Event;
use crate::population::Shop;
use crate::timestamp::Timestamp;

/// Where the simulated clock of a seeded run starts: 2026-01-01T00:00:00Z.
pub const SEEDED_EPOCH: i64 = 1_767_225_600_000;

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
    #[error("the behaviour model: {0}")]
    Behaviour(String),
}

/// How a simulator is set up beyond the catalog: seed and quotas as for [`Simulator::new`], and
/// for free-running runs the behaviour model, the simulated clock's start and campaigns.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    seed: Option<u64>,
    quotas: Quotas,
    behaviour: Option<Behaviour>,
    start: Option<Timestamp>,
    campaigns: Vec<Campaign>,
}

impl SimulatorOptions {
    /// The shipped behaviour model, no campaign, the clock starting at [`SEEDED_EPOCH`] for a
    /// seeded run and at the wall clock otherwise.
    pub fn new(seed: Option<u64>, quotas: Quotas) -> SimulatorOptions {
        SimulatorOptions {
            seed,
            quotas,
            behaviour: None,
            start: None,
            campaigns: Vec::new(),
        }
    }

    /// The behaviour model of free-running runs (validated again by [`Simulator::with_options`]).
    pub fn behaviour(mut self, behaviour: Behaviour) -> SimulatorOptions {
        self.behaviour = Some(behaviour);
        self
    }

    /// Where the simulated clock starts. Event timestamps then follow the simulated clock, with
    /// or without a seed (a producer paces them against the wall clock: `--start`, `--backfill`,
    /// `--time-scale`).
    pub fn start(mut self, start: Timestamp) -> SimulatorOptions {
        self.start = Some(start);
        self
    }

    /// Campaigns multiplying arrivals and purchase propensity while they are on (free-running
    /// runs; overlapping campaigns multiply).
    pub fn campaigns(mut self, campaigns: impl IntoIterator<Item = Campaign>) -> SimulatorOptions {
        self.campaigns.extend(campaigns);
        self
    }
}

/// Where event timestamps come from.
#[derive(Debug, Clone, Copy)]
enum Clock {
    /// The simulated clock: milliseconds since the Unix epoch of the latest event (or the start).
    Simulated(i64),
    /// The wall clock, never going back: the latest event's time.
    Wall(i64),
}

impl Clock {
    fn millis(self) -> i64 {
        match self {
            Clock::Simulated(at) | Clock::Wall(at) => at,
        }
    }

    /// The timestamp of an event that happens at `at` on the simulated clock: strictly after
    /// the previous one, so that a session's events never tie.
    fn stamp(&mut self, at: i64) -> i64 {
        match self {
            Clock::Simulated(latest) => *latest = at.max(*latest + 1),
            Clock::Wall(latest) => *latest = (*latest).max(Timestamp::now().millis()),
        }
        self.millis()
    }
}

/// The steered mode's state (its prices are the catalog's).
struct Steered {
    shoppers: Shoppers,
}

/// The free-running mode's state.
struct FreeRunning {
    crowd: Crowd,
    arrivals: Arrivals,
    shelf: Shelf,
    campaigns: Vec<Campaign>,
}

enum Mode {
    Steered(Steered),
    FreeRunning(Box<FreeRunning>),
}

pub struct Simulator<'c> {
    /// A view of the shop: borrows its lists.
    shop: Shop<'c>,
    rng: ChaCha8Rng,
    clock: Clock,
    budgets: Budgets,
    tastes: Tastes,
    mode: Mode,
}

impl<'c> Simulator<'c> {
    /// A simulator with the default options ([`SimulatorOptions::new`]), of a shop or a
    /// catalog (`&Shop`, `&Catalog`).
    pub fn new(
        shop: impl Into<Shop<'c>>,
        seed: Option<u64>,
        quotas: Quotas,
    ) -> Result<Simulator<'c>, SimulatorError> {
        Simulator::with_options(shop, SimulatorOptions::new(seed, quotas))
    }

    pub fn with_options(
        shop: impl Into<Shop<'c>>,
        options: SimulatorOptions,
    ) -> Result<Simulator<'c>, SimulatorError> {
        let shop = shop.into();
        let SimulatorOptions {
            seed,
            quotas,
            behaviour,
            start,
            campaigns,
        } = options;
        let budgets = checked_budgets(&shop, quotas)?;
        let mut rng = match seed {
            Some(seed) => ChaCha8Rng::seed_from_u64(seed),
            None => ChaCha8Rng::from_os_rng(),
        };
        let clock = match (start, seed) {
            (Some(start), _) => Clock::Simulated(start.millis()),
            (None, Some(_)) => Clock::Simulated(SEEDED_EPOCH),
            (None, None) => Clock::Wall(Timestamp::now().millis()),
        };
        let (mode, tastes) = if quotas.free_running() {
            free_running(&shop, behaviour, campaigns, clock.millis(), &mut rng)?
        } else {
            steered(&shop, &budgets)?
        };
        Ok(Simulator {
            shop,
            rng,
            clock,
            budgets,
            tastes,
            mode,
        })
    }

    /// True when every emitted topic has reached its quota.
    pub fn is_done(&self) -> bool {
        self.budgets.all_done()
    }

    /// Whether the behaviour model drives this run (no exact counts).
    pub fn is_free_running(&self) -> bool {
        matches!(self.mode, Mode::FreeRunning(_))
    }

    /// The timestamp of the latest event (before the first: the clock's start).
    pub fn clock(&self) -> Timestamp {
        Timestamp::from_millis(self.clock.millis())
    }

    /// The next emitted event, or None when every quota is met. Its timestamp is the simulated
    /// clock's (see [`SimulatorOptions::start`]), or the wall clock's in an unseeded run without
    /// a start.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        loop {
            if self.is_done() {
                return None;
            }
            let decision = match &mut self.mode {
                Mode::Steered(steered) => {
                    let decision = steered.shoppers.step(
                        &mut self.rng,
                        &self.budgets,
                        &self.tastes,
                        &self.shop.users,
                    )?;
                    self.advance_steered_clock();
                    decision
                }
                Mode::FreeRunning(free) => {
                    let Some((at, decision)) = free.step(&mut self.rng, &self.tastes, &self.shop)
                    else {
                        continue;
                    };
                    self.clock.stamp(at);
                    decision
                }
            };
            let topic = decision.act.topic();
            if self.budgets.emits(topic) {
                self.budgets.spend(topic);
                let event_id = uuid::Builder::from_random_bytes(self.rng.random()).into_uuid();
                let (session, shelf): (&Session, Option<&Shelf>) = match &self.mode {
                    Mode::Steered(steered) => (steered.shoppers.session(decision.session), None),
                    Mode::FreeRunning(free) => {
                        (free.crowd.session(decision.session), Some(&free.shelf))
                    }
                };
                return Some(render::event(
                    decision.act,
                    session,
                    event_id,
                    Timestamp::from_millis(self.clock.millis()),
                    Sources {
                        shop: &self.shop,
                        shelf,
                        tastes: &self.tastes,
                    },
                ));
            }
            // A topic that is not emitted: the step happened (the story goes on), nothing to build.
        }
    }

    /// Steered runs: 20 ms to 1.5 s per event on the simulated clock.
    fn advance_steered_clock(&mut self) {
        match &mut self.clock {
            Clock::Simulated(at) => *at += self.rng.random_range(20..1500),
            wall @ Clock::Wall(_) => {
                wall.stamp(0);
            }
        }
    }
}

impl FreeRunning {
    /// Whatever happens next on the simulated clock: a restock or price change (None: no
    /// event), a session start, or a session's next action; with when it happens.
    fn step(
        &mut self,
        rng: &mut ChaCha8Rng,
        tastes: &Tastes,
        shop: &Shop<'_>,
    ) -> Option<(i64, Decision)> {
        self.crowd.release_leaving();
        let wake = self.crowd.next_wake().unwrap_or(i64::MAX);
        let arrival = self.arrivals.peek();
        let change = self.shelf.next_change_at();
        if change < wake.min(arrival.at) {
            self.shelf.apply_next_change(rng, &shop.products);
            return None;
        }
        let mut world = World {
            rng,
            tastes,
            shelf: &mut self.shelf,
            campaigns: &self.campaigns,
            shop,
        };
        if arrival.at < wake {
            self.arrivals.advance(world.rng);
            let decision = self.crowd.arrive(arrival.region, arrival.at, &mut world)?;
            Some((arrival.at, decision))
        } else {
            let decision = self.crowd.wake(wake, &mut world)?;
            Some((wake, decision))
        }
    }
}

/// The budgets of `quotas`, when the shop and the quotas make a run possible.
fn checked_budgets(shop: &Shop<'_>, quotas: Quotas) -> Result<Budgets, SimulatorError> {
    if shop.products.is_empty() || shop.users.is_empty() {
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
    Ok(budgets)
}

/// A free-running run along `behaviour` (the shipped model when None), starting at `start`.
fn free_running(
    shop: &Shop<'_>,
    behaviour: Option<Behaviour>,
    campaigns: Vec<Campaign>,
    start: i64,
    rng: &mut ChaCha8Rng,
) -> Result<(Mode, Tastes), SimulatorError> {
    let behaviour = match behaviour {
        Some(behaviour) => {
            behaviour
                .validate(Path::new("the given behaviour model"))
                .map_err(|e| SimulatorError::Behaviour(e.to_string()))?;
            behaviour
        }
        None => Behaviour::shipped().map_err(|e| SimulatorError::Behaviour(e.to_string()))?,
    };
    let tastes = Tastes::new(shop, &TasteParams::from_behaviour(&behaviour))
        .map_err(|e| SimulatorError::Behaviour(e.to_string()))?;
    let free = FreeRunning {
        crowd: Crowd::new(shop, &behaviour)
            .map_err(|e| SimulatorError::Behaviour(e.to_string()))?,
        arrivals: Arrivals::new(
            &behaviour.traffic,
            Crowd::users_per_region(shop),
            campaigns.clone(),
            start,
            rng,
        ),
        shelf: Shelf::new(&behaviour.catalog, start, rng),
        campaigns,
    };
    Ok((Mode::FreeRunning(Box::new(free)), tastes))
}

/// A run steered to exact per-topic quotas.
fn steered(shop: &Shop<'_>, budgets: &Budgets) -> Result<(Mode, Tastes), SimulatorError> {
    // Weights fail only for an empty product list, ruled out by checked_budgets.
    let tastes =
        Tastes::new(shop, &TasteParams::steered()).map_err(|_| SimulatorError::EmptyCatalog)?;
    let steered = Steered {
        shoppers: Shoppers::new(&shop.users, shop.products.len(), budgets),
    };
    Ok((Mode::Steered(steered), tastes))
}

#[cfg(test)]
mod tests;
