//! The free-running policy: shoppers follow the behaviour model alone. A session starts at an
//! arrival (login), then acts at intervals of think time: it browses (searches, views, now and
//! then a profile update), carts some of what it views, sometimes takes something out again, and
//! after each browsing step may leave; leaving with a cart, it checks out (one purchase per cart
//! line that is in stock) or abandons the cart, then logs out.
//!
//! Sessions wait in a queue ordered by when they act next; every draw from the random generator
//! happens in a fixed order, so a seed gives the same run.

use std::borrow::Cow;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write;

use enum_map::EnumMap;
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::{Error as WeightError, WeightedIndex};
use rand_chacha::ChaCha8Rng;

use super::arrivals::exponential;
use super::pool::Drawn;
use super::session::{Act, CartLine, Decision, Session};
use super::shelf::Shelf;
use super::tastes::{ProfileFields, Tastes};
use crate::behaviour::{Behaviour, Propensity};
use crate::campaign::{self, Campaign};
use crate::population::{Shop, Users};
use crate::vocab::{CustomerType, Region};

/// The behaviour model's session parameters, in the form the steps use.
struct Habits {
    /// Chance of leaving after a browsing step (sessions then browse 1 / leave steps on average).
    leave: f64,
    search_share: f64,
    profile_update_share: f64,
    remove: f64,
    min_gap_ms: f64,
    /// Mean of the think time above its minimum.
    extra_gap_ms: f64,
    /// Index i stands for i + 1 items.
    quantity: WeightedIndex<f64>,
    propensity: EnumMap<CustomerType, Propensity>,
}

impl Habits {
    fn new(behaviour: &Behaviour) -> Result<Habits, WeightError> {
        let sessions = &behaviour.sessions;
        let view_share = 1.0 - sessions.search_share - sessions.profile_update_share;
        Ok(Habits {
            leave: (view_share / sessions.views_per_session).clamp(0.0, 1.0),
            search_share: sessions.search_share,
            profile_update_share: sessions.profile_update_share,
            remove: sessions.remove_from_cart_per_step,
            min_gap_ms: sessions.min_seconds_between_actions * 1000.0,
            extra_gap_ms: (sessions.mean_seconds_between_actions
                - sessions.min_seconds_between_actions)
                * 1000.0,
            quantity: WeightedIndex::new(sessions.quantity_weights)?,
            propensity: behaviour.propensity,
        })
    }

    /// Think time before a session's next action.
    fn gap_ms(&self, rng: &mut ChaCha8Rng) -> i64 {
        (self.min_gap_ms + exponential(rng) * self.extra_gap_ms) as i64
    }
}

/// An open session (or a free slot, between two sessions).
struct Visit {
    session: Session,
    region: Region,
    customer_type: CustomerType,
    /// A view just decided to cart this product: the next action adds it.
    pending_add: Option<usize>,
    /// Leaving with a cart and buying it, line by line.
    checking_out: bool,
}

/// What a session's step works with besides the crowd.
pub struct World<'a> {
    pub rng: &'a mut ChaCha8Rng,
    pub tastes: &'a Tastes,
    pub shelf: &'a mut Shelf,
    pub campaigns: &'a [Campaign],
    pub shop: &'a Shop<'a>,
}

/// Users not in a session.
enum Idle {
    /// A listed population's, per region.
    Listed(EnumMap<Region, Vec<usize>>),
    /// A generated population's: drawn, only the busy ones held.
    Generated(Drawn),
}

pub struct Crowd {
    /// Sessions by slot; a slot is reused (with its buffers) once its session has left.
    visits: Vec<Visit>,
    free_slots: Vec<usize>,
    /// (when, slot) of every open session's next action.
    wakeups: BinaryHeap<Reverse<(i64, usize)>>,
    idle: Idle,
    /// The slot whose session just logged out: it is freed at the next step, so that its logout
    /// event can still borrow its id.
    leaving: Option<usize>,
    habits: Habits,
}

impl Crowd {
    /// Fails only for quantity weights that are all 0 (which validation rules out).
    pub fn new(shop: &Shop<'_>, behaviour: &Behaviour) -> Result<Crowd, WeightError> {
        let idle = match &shop.users {
            Users::Listed(users) => {
                let mut idle: EnumMap<Region, Vec<usize>> = EnumMap::default();
                for (index, user) in users.iter().enumerate() {
                    idle[user.region].push(index);
                }
                Idle::Listed(idle)
            }
            Users::Generated(users) => Idle::Generated(Drawn::new(*users)),
        };
        Ok(Crowd {
            visits: Vec::new(),
            free_slots: Vec::new(),
            wakeups: BinaryHeap::new(),
            idle,
            leaving: None,
            habits: Habits::new(behaviour)?,
        })
    }

    /// How many users each region has: counted in a listed population; a generated one's
    /// regions are uniform (each user's is a hash), so each gets an equal share.
    pub fn users_per_region(shop: &Shop<'_>) -> EnumMap<Region, usize> {
        match &shop.users {
            Users::Listed(listed) => {
                let mut users = EnumMap::default();
                for user in listed.iter() {
                    users[user.region] += 1;
                }
                users
            }
            Users::Generated(_) => EnumMap::from_fn(|_| 1),
        }
    }

    pub fn session(&self, slot: usize) -> &Session {
        &self.visits[slot].session
    }

    /// When the next open session acts.
    pub fn next_wake(&self) -> Option<i64> {
        self.wakeups.peek().map(|Reverse((at, _))| *at)
    }

    /// Frees the slot of the session that logged out at the previous step.
    pub fn release_leaving(&mut self) {
        if let Some(slot) = self.leaving.take() {
            self.free_slots.push(slot);
        }
    }

    /// A session starts in `region` at `now`: one of its idle users logs in. None when every
    /// user of the region is already in a session (the arrival is lost).
    pub fn arrive(&mut self, region: Region, now: i64, world: &mut World<'_>) -> Option<Decision> {
        let (user, person) = match &mut self.idle {
            Idle::Listed(idle) => {
                let idle = &mut idle[region];
                if idle.is_empty() {
                    return None;
                }
                (
                    idle.swap_remove(world.rng.random_range(0..idle.len())),
                    None,
                )
            }
            Idle::Generated(drawn) => {
                let user = drawn.take(Some(region), world.rng)?;
                (user, Some(drawn.users().user(user as u64)))
            }
        };
        let slot = self.free_slot(user, region);
        let visit = &mut self.visits[slot];
        let profile = match &person {
            Some(person) => Cow::Borrowed(person),
            None => world.shop.users.get(user),
        };
        let (user_region, customer_type) = (profile.region, profile.customer_type);
        world
            .tastes
            .interests(&profile, &mut visit.session.interests);
        visit.session.person = person;
        visit.session.user = user;
        visit.session.id.clear();
        // Writing to a String cannot fail.
        let _ = write!(visit.session.id, "S{:016x}", world.rng.random::<u64>());
        visit.session.cart.clear();
        visit.session.actions = 0;
        visit.region = user_region;
        visit.customer_type = customer_type;
        visit.pending_add = None;
        visit.checking_out = false;
        let device = world.tastes.device(world.rng);
        self.wake_later(slot, now, world.rng);
        Some(Decision {
            session: slot,
            act: Act::Login { device },
        })
    }

    /// A slot for a new session: a free one, or a new one.
    fn free_slot(&mut self, user: usize, region: Region) -> usize {
        if let Some(slot) = self.free_slots.pop() {
            return slot;
        }
        self.visits.push(Visit {
            session: Session::new(user, None, Vec::new(), String::with_capacity(17)),
            region,
            customer_type: CustomerType::Regular,
            pending_add: None,
            checking_out: false,
        });
        self.visits.len() - 1
    }

    /// The session due next (at [`Crowd::next_wake`], which the caller has checked) acts.
    pub fn wake(&mut self, now: i64, world: &mut World<'_>) -> Option<Decision> {
        let Reverse((_, slot)) = self.wakeups.pop()?;
        let act = self.act(slot, now, world);
        if matches!(act, Act::Logout) {
            let visit = &self.visits[slot];
            match &mut self.idle {
                Idle::Listed(idle) => idle[visit.region].push(visit.session.user),
                Idle::Generated(drawn) => drawn.release(visit.session.user),
            }
            self.leaving = Some(slot);
        } else {
            self.wake_later(slot, now, world.rng);
        }
        Some(Decision { session: slot, act })
    }

    fn wake_later(&mut self, slot: usize, now: i64, rng: &mut ChaCha8Rng) {
        let at = now.saturating_add(self.habits.gap_ms(rng));
        self.wakeups.push(Reverse((at, slot)));
    }

    /// What session `slot` does now.
    fn act(&mut self, slot: usize, now: i64, world: &mut World<'_>) -> Act {
        let habits = &self.habits;
        let visit = &mut self.visits[slot];
        // A product just viewed goes into the cart, if it is still in stock.
        if let Some(product) = visit.pending_add.take() {
            let stock = world.shelf.stock(product, &world.shop.products);
            if stock > 0 {
                let wanted = habits.quantity.sample(world.rng) as u32 + 1;
                let line = CartLine {
                    product,
                    quantity: wanted.min(stock),
                };
                add_to_cart(&mut visit.session.cart, line);
                return Act::AddToCart { line };
            }
        }
        if visit.checking_out {
            return checkout_step(visit, now, world);
        }
        let rng = &mut *world.rng;
        if visit.session.actions > 0 && rng.random::<f64>() < habits.leave {
            if visit.session.cart.is_empty() {
                return Act::Logout;
            }
            let propensity = habits.propensity[visit.customer_type].checkout
                * campaign::factor_at(world.campaigns, now);
            visit.checking_out = rng.random::<f64>() < propensity;
            if !visit.checking_out {
                // The cart is abandoned.
                return Act::Logout;
            }
            return checkout_step(visit, now, world);
        }
        if !visit.session.cart.is_empty() && rng.random::<f64>() < habits.remove {
            let (line, _) = visit.session.take_from_cart(rng);
            return Act::RemoveFromCart { line };
        }
        visit.session.actions += 1;
        let browse = rng.random::<f64>();
        if browse < habits.search_share {
            Act::Search {
                query: world.tastes.random_query(rng),
            }
        } else if browse < habits.search_share + habits.profile_update_share {
            Act::ProfileUpdate {
                fields: ProfileFields::random(rng),
            }
        } else {
            let product = world.tastes.product(&visit.session.interests, rng);
            let propensity = habits.propensity[visit.customer_type].add_to_cart_per_view;
            if rng.random::<f64>() < propensity {
                visit.pending_add = Some(product);
            }
            Act::View { product }
        }
    }
}

/// Buys the next cart line that is in stock (as much of it as there is), or logs out when none
/// is left. Lines out of stock stay unbought.
fn checkout_step(visit: &mut Visit, now: i64, world: &mut World<'_>) -> Act {
    while let Some(line) = visit.session.cart.pop() {
        let sold = world.shelf.sell(
            line.product,
            line.quantity,
            now,
            world.rng,
            &world.shop.products,
        );
        if sold > 0 {
            return Act::Purchase {
                line: CartLine {
                    product: line.product,
                    quantity: sold,
                },
                order_id: format!("O{:016x}", world.rng.random::<u64>()),
                payment: world.tastes.payment(world.rng),
            };
        }
    }
    Act::Logout
}

/// One line per product: more of a product already in the cart raises its quantity.
fn add_to_cart(cart: &mut Vec<CartLine>, line: CartLine) {
    match cart.iter_mut().find(|l| l.product == line.product) {
        Some(existing) => existing.quantity += line.quantity,
        None => cart.push(line),
    }
}
