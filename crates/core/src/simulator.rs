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

use std::borrow::Cow;

use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::catalog::{Catalog, Product};
use crate::event::{Details, Event, ProductInfo};
use crate::money::Money;
use crate::timestamp::Timestamp;
use crate::vocab::{Device, PaymentMethod, TopicKind};

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

/// Per-topic budget while generating.
#[derive(Debug, Clone, Copy)]
enum Budget {
    Off,
    Unlimited,
    Left { left: u64, total: u64 },
}

impl Budget {
    fn from(quota: Quota) -> Budget {
        match quota {
            Quota::Off => Budget::Off,
            Quota::Unlimited => Budget::Unlimited,
            Quota::Exactly(n) => Budget::Left { left: n, total: n },
        }
    }

    /// How many more events of this topic may be emitted (Off topics are not limited).
    fn room(self) -> u64 {
        match self {
            Budget::Off | Budget::Unlimited => u64::MAX,
            Budget::Left { left, .. } => left,
        }
    }

    fn emits(self) -> bool {
        !matches!(self, Budget::Off)
    }

    fn done(self) -> bool {
        matches!(self, Budget::Off | Budget::Left { left: 0, .. })
    }

    /// Scales action weights so that topics with more left go faster: all quotas end together.
    fn pace(self) -> f64 {
        match self {
            Budget::Left { left, total } => 0.2 + left as f64 / total.max(1) as f64,
            _ => 1.0,
        }
    }

    fn spend(&mut self) {
        if let Budget::Left { left, .. } = self {
            *left = left.saturating_sub(1);
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CartLine {
    product: usize,
    quantity: u32,
}

#[derive(Debug, Clone)]
struct Session {
    user: usize,
    id: String,
    /// Products seen in this session, most recent last (add_to_cart mostly picks from these).
    viewed: Vec<usize>,
    cart: Vec<CartLine>,
    actions: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Search,
    View,
    AddToCart,
    RemoveFromCart,
    Purchase,
    ProfileUpdate,
    Logout,
}

impl Action {
    const ALL: [Action; 7] = [
        Action::Search,
        Action::View,
        Action::AddToCart,
        Action::RemoveFromCart,
        Action::Purchase,
        Action::ProfileUpdate,
        Action::Logout,
    ];

    fn topic(self) -> TopicKind {
        match self {
            Action::View | Action::AddToCart | Action::RemoveFromCart => TopicKind::ProductEvents,
            Action::Purchase => TopicKind::Purchases,
            Action::Search | Action::ProfileUpdate | Action::Logout => TopicKind::UserEvents,
        }
    }
}

/// A search query and how many catalog products match it.
#[derive(Debug, Clone)]
struct Query {
    text: String,
    results: u32,
}

const PROFILE_FIELDS: [&str; 6] = [
    "email",
    "address",
    "phone",
    "password",
    "preferences",
    "name",
];
const DEVICES: [(Device, u32); 3] = [
    (Device::Web, 45),
    (Device::Mobile, 45),
    (Device::Tablet, 10),
];
const PAYMENTS: [(PaymentMethod, u32); 5] = [
    (PaymentMethod::CreditCard, 45),
    (PaymentMethod::DebitCard, 20),
    (PaymentMethod::Paypal, 20),
    (PaymentMethod::BankTransfer, 5),
    (PaymentMethod::GiftCard, 10),
];

/// What the simulator did last, so that the event it returns can borrow from it.
enum Emitted {
    Login {
        session: usize,
        device: Device,
    },
    Action {
        session: usize,
        action: Action,
        line: CartLine,
        order: Option<String>,
        extra: u32,
    },
    Logout,
}

pub struct Simulator<'c> {
    catalog: &'c Catalog,
    rng: ChaCha8Rng,
    seeded: bool,
    clock: i64,
    budgets: [Budget; 3],
    sessions: Vec<Session>,
    /// The session that just logged out, kept so its logout event can borrow its id.
    ended: Option<Session>,
    /// Users not in a session, by index.
    idle_users: Vec<usize>,
    /// Per user: product choice, skewed to a few popular products and to the user's interests.
    product_choice: Vec<WeightedIndex<f64>>,
    queries: Vec<Query>,
    max_sessions: usize,
    devices: WeightedIndex<u32>,
    payments: WeightedIndex<u32>,
    /// Cart lines in open sessions, across sessions: what purchases can still buy.
    carted_lines: u64,
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
        let budgets = [
            Budget::from(quotas.product_events),
            Budget::from(quotas.purchases),
            Budget::from(quotas.user_events),
        ];
        if budgets.iter().all(|b| !b.emits()) {
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
        let users = catalog.users.len();
        // Short runs get few concurrent sessions, so that stories finish (logout) within them.
        let finite_total: Option<u64> = budgets
            .iter()
            .map(|b| match b {
                Budget::Off => Some(0),
                Budget::Unlimited => None,
                Budget::Left { total, .. } => Some(*total),
            })
            .sum();
        let max_sessions = match finite_total {
            Some(total) => (total / 12).clamp(2, 12) as usize,
            None => 12,
        }
        .min((users / 4).max(1));
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
            sessions: Vec::new(),
            ended: None,
            idle_users: (0..users).collect(),
            product_choice: product_choice(catalog)?,
            queries: queries(&catalog.products),
            max_sessions,
            devices: WeightedIndex::new(DEVICES.iter().map(|d| d.1))
                .map_err(|_| SimulatorError::EmptyCatalog)?,
            payments: WeightedIndex::new(PAYMENTS.iter().map(|p| p.1))
                .map_err(|_| SimulatorError::EmptyCatalog)?,
            carted_lines: 0,
        })
    }

    fn budget(&self, topic: TopicKind) -> Budget {
        self.budgets[topic as usize]
    }

    /// True when every emitted topic has reached its quota.
    pub fn is_done(&self) -> bool {
        self.budgets.iter().all(|b| b.done())
    }

    /// The next emitted event, or None when every quota is met.
    pub fn next_event(&mut self) -> Option<Event<'_>> {
        loop {
            if self.is_done() {
                return None;
            }
            let emitted = self.step()?;
            let topic = match &emitted {
                Emitted::Login { .. } | Emitted::Logout => TopicKind::UserEvents,
                Emitted::Action { action, .. } => action.topic(),
            };
            self.advance_clock();
            let budget = &mut self.budgets[topic as usize];
            if budget.emits() {
                budget.spend();
                return Some(self.event(emitted));
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

    /// One step of one session; None if no session can do anything within the quotas (which the
    /// quota checks in `new` and `allowed` rule out; tests hold it to that).
    fn step(&mut self) -> Option<Emitted> {
        let user_room = self.budget(TopicKind::UserEvents).room();
        let can_login = user_room >= 1 && !self.idle_users.is_empty();
        let want_new = self.sessions.len() < self.max_sessions
            && self
                .rng
                .random_bool(if self.sessions.is_empty() { 1.0 } else { 0.25 });
        if can_login && (want_new || self.sessions.is_empty()) {
            return Some(self.login());
        }
        // Try sessions from a random start until one has an allowed action.
        let count = self.sessions.len();
        let start = if count > 0 {
            self.rng.random_range(0..count)
        } else {
            0
        };
        for offset in 0..count {
            let index = (start + offset) % count;
            if let Some(action) = self.choose_action(index) {
                return Some(self.perform(index, action));
            }
        }
        if can_login {
            return Some(self.login());
        }
        None
    }

    fn login(&mut self) -> Emitted {
        let pick = self.rng.random_range(0..self.idle_users.len());
        let user = self.idle_users.swap_remove(pick);
        let id = format!("S{:016x}", self.rng.random::<u64>());
        self.sessions.push(Session {
            user,
            id,
            viewed: Vec::new(),
            cart: Vec::new(),
            actions: 0,
        });
        let device = DEVICES[self.devices.sample(&mut self.rng)].0;
        Emitted::Login {
            session: self.sessions.len() - 1,
            device,
        }
    }

    fn choose_action(&mut self, index: usize) -> Option<Action> {
        let mut weights = [0.0f64; Action::ALL.len()];
        for (slot, action) in weights.iter_mut().zip(Action::ALL) {
            if self.allowed(index, action) {
                *slot = self.natural_weight(index, action)
                    * self.budget(action.topic()).pace()
                    * self.cart_pressure(action);
            }
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut pick = self.rng.random::<f64>() * total;
        for (weight, action) in weights.iter().zip(Action::ALL) {
            if *weight > 0.0 {
                if pick < *weight {
                    return Some(action);
                }
                pick -= weight;
            }
        }
        Action::ALL
            .iter()
            .zip(weights)
            .rev()
            .find(|(_, w)| *w > 0.0)
            .map(|(a, _)| *a)
    }

    /// When many purchases are asked for per product event, shoppers cart (and buy) more
    /// eagerly all along, rather than the purchases piling up at the end.
    fn cart_pressure(&self, action: Action) -> f64 {
        let (
            Budget::Left {
                left: purchases, ..
            },
            Budget::Left { left: product, .. },
        ) = (
            self.budget(TopicKind::Purchases),
            self.budget(TopicKind::ProductEvents),
        )
        else {
            return 1.0;
        };
        let ratio = purchases as f64 / product.max(1) as f64;
        match action {
            Action::AddToCart => 1.0 + 4.0 * ratio,
            Action::Purchase => 1.0 + 2.0 * ratio,
            _ => 1.0,
        }
    }

    /// How likely a shopper is to do this next, before quotas.
    fn natural_weight(&self, index: usize, action: Action) -> f64 {
        let session = &self.sessions[index];
        let cart = session.cart.len() as f64;
        match action {
            Action::Search => {
                if session.actions == 0 {
                    4.0
                } else {
                    1.0
                }
            }
            Action::View => 5.0,
            Action::AddToCart => {
                if session.viewed.is_empty() {
                    0.5
                } else {
                    2.5
                }
            }
            Action::RemoveFromCart => 0.4 * cart.min(1.0),
            Action::Purchase => 2.5 * cart.min(2.0),
            Action::ProfileUpdate => 0.15,
            Action::Logout => {
                if session.actions < 3 {
                    0.1
                } else {
                    0.3 + 0.05 * f64::from(session.actions.min(30))
                }
            }
        }
    }

    /// Whether `action` keeps every quota reachable and every story whole.
    fn allowed(&self, index: usize, action: Action) -> bool {
        let session = &self.sessions[index];
        let product = self.budget(TopicKind::ProductEvents);
        let purchases = self.budget(TopicKind::Purchases);
        if self.budget(action.topic()).room() == 0 {
            return false;
        }
        // Purchases still to emit need cart lines: those in carts now, or future add_to_carts.
        let purchases_needed = if purchases.emits() {
            purchases.room()
        } else {
            0
        };
        let future_lines = |product_spent: u64, lines_lost: u64| -> bool {
            if purchases_needed == 0 || purchases_needed == u64::MAX || product.room() == u64::MAX {
                return true;
            }
            let lines = self.carted_lines.saturating_sub(lines_lost);
            product
                .room()
                .saturating_sub(product_spent)
                .saturating_add(lines)
                >= purchases_needed
        };
        match action {
            // When purchases are tight, an add_to_cart must open a new cart line (see perform).
            Action::AddToCart => {
                future_lines(1, 0) || session.cart.len() < self.catalog.products.len()
            }
            Action::View => future_lines(1, 0),
            Action::RemoveFromCart => !session.cart.is_empty() && future_lines(1, 1),
            Action::Purchase => !session.cart.is_empty(),
            Action::Search | Action::ProfileUpdate => true,
            Action::Logout => {
                // Leave one session open while product or purchase events remain and no new
                // session can start (no login left), and keep the cart lines purchases need.
                let others_open = self.sessions.len() > 1;
                let user_room_after = self.budget(TopicKind::UserEvents).room().saturating_sub(1);
                let more_to_do = !product.done() || !purchases.done();
                let can_continue = others_open || user_room_after >= 1 || !more_to_do;
                can_continue && future_lines(0, session.cart.len() as u64)
            }
        }
    }

    fn perform(&mut self, index: usize, action: Action) -> Emitted {
        let needs_new_line = action == Action::AddToCart && !self.has_spare_product_events();
        self.sessions[index].actions += 1;
        let mut line = CartLine {
            product: 0,
            quantity: 0,
        };
        let mut order = None;
        let mut extra = 0;
        match action {
            Action::Search => extra = self.rng.random_range(0..self.queries.len()) as u32,
            Action::View => {
                line.product = self.pick_product(index);
                let viewed = &mut self.sessions[index].viewed;
                if viewed.len() >= 8 {
                    viewed.remove(0);
                }
                viewed.push(line.product);
            }
            Action::AddToCart => {
                let session = &self.sessions[index];
                line.product = if !session.viewed.is_empty() && self.rng.random_bool(0.85) {
                    session.viewed[self.rng.random_range(0..session.viewed.len())]
                } else {
                    self.pick_product(index)
                };
                if needs_new_line {
                    line.product = self.product_not_in_cart(index, line.product);
                }
                line.quantity = match self.rng.random_range(0..100) {
                    0..70 => 1,
                    70..90 => 2,
                    90..97 => 3,
                    _ => self.rng.random_range(4..=5),
                };
                let cart = &mut self.sessions[index].cart;
                match cart.iter_mut().find(|l| l.product == line.product) {
                    Some(existing) => existing.quantity += line.quantity,
                    None => {
                        cart.push(line);
                        self.carted_lines += 1;
                    }
                }
            }
            Action::RemoveFromCart => {
                let cart = &mut self.sessions[index].cart;
                let at = self.rng.random_range(0..cart.len());
                let taken = self.rng.random_range(1..=cart[at].quantity);
                line = CartLine {
                    product: cart[at].product,
                    quantity: taken,
                };
                cart[at].quantity -= taken;
                if cart[at].quantity == 0 {
                    cart.swap_remove(at);
                    self.carted_lines -= 1;
                }
            }
            Action::Purchase => {
                let cart = &mut self.sessions[index].cart;
                let at = self.rng.random_range(0..cart.len());
                line = cart.swap_remove(at);
                self.carted_lines -= 1;
                order = Some(format!("O{:016x}", self.rng.random::<u64>()));
                extra = self.payments.sample(&mut self.rng) as u32;
            }
            Action::ProfileUpdate => extra = self.rng.random_range(1..64),
            Action::Logout => {
                let session = self.sessions.swap_remove(index);
                self.carted_lines -= session.cart.len() as u64;
                self.idle_users.push(session.user);
                self.ended = Some(session);
                return Emitted::Logout;
            }
        }
        Emitted::Action {
            session: index,
            action,
            line,
            order,
            extra,
        }
    }

    /// Whether one more product event can be spent without a new cart line and still leave enough
    /// cart lines (now or to come) for the purchases still to emit.
    fn has_spare_product_events(&self) -> bool {
        let purchases = self.budget(TopicKind::Purchases);
        let product = self.budget(TopicKind::ProductEvents);
        if !purchases.emits() || purchases.room() == u64::MAX || product.room() == u64::MAX {
            return true;
        }
        product
            .room()
            .saturating_sub(1)
            .saturating_add(self.carted_lines)
            >= purchases.room()
    }

    /// `preferred` if the session's cart lacks it, else another product it lacks (the caller has
    /// checked that one exists).
    fn product_not_in_cart(&mut self, index: usize, preferred: usize) -> usize {
        let in_cart = |cart: &[CartLine], product: usize| cart.iter().any(|l| l.product == product);
        if !in_cart(&self.sessions[index].cart, preferred) {
            return preferred;
        }
        for _ in 0..8 {
            let candidate = self.pick_product(index);
            if !in_cart(&self.sessions[index].cart, candidate) {
                return candidate;
            }
        }
        (0..self.catalog.products.len())
            .find(|&p| !in_cart(&self.sessions[index].cart, p))
            .unwrap_or(preferred)
    }

    fn pick_product(&mut self, index: usize) -> usize {
        let user = self.sessions[index].user;
        self.product_choice[user].sample(&mut self.rng)
    }

    /// Builds the event for what was just simulated, borrowing names from the catalog and ids
    /// from the session.
    fn event(&mut self, emitted: Emitted) -> Event<'_> {
        let event_id = uuid::Builder::from_random_bytes(self.rng.random()).into_uuid();
        let timestamp = Timestamp::from_millis(self.clock);
        let catalog = self.catalog;
        let (session, details) = match emitted {
            Emitted::Login { session, device } => {
                (&self.sessions[session], Details::Login { device })
            }
            Emitted::Logout => match &self.ended {
                Some(session) => (session, Details::Logout),
                None => unreachable_session(),
            },
            Emitted::Action {
                session,
                action,
                line,
                order,
                extra,
            } => {
                let product = &catalog.products[line.product];
                let details = match action {
                    Action::Search => {
                        let query = &self.queries[extra as usize];
                        Details::Search {
                            query: Cow::Borrowed(query.text.as_str()),
                            results_count: query.results,
                        }
                    }
                    Action::View => Details::View {
                        product: info(product),
                        brand: brand(product),
                    },
                    Action::AddToCart => Details::AddToCart {
                        product: info(product),
                        brand: brand(product),
                        quantity: line.quantity,
                    },
                    Action::RemoveFromCart => Details::RemoveFromCart {
                        product: info(product),
                        brand: brand(product),
                        quantity: line.quantity,
                    },
                    Action::Purchase => Details::Purchase {
                        order_id: Cow::Owned(order.unwrap_or_default()),
                        product: info(product),
                        quantity: line.quantity,
                        total: product
                            .price
                            .checked_mul(line.quantity)
                            .unwrap_or(Money::ZERO),
                        payment_method: PAYMENTS[extra as usize].0,
                    },
                    Action::ProfileUpdate => Details::ProfileUpdate {
                        fields_updated: PROFILE_FIELDS
                            .iter()
                            .enumerate()
                            .filter(|(bit, _)| extra & (1 << bit) != 0)
                            .map(|(_, field)| Cow::Borrowed(*field))
                            .collect(),
                    },
                    Action::Logout => Details::Logout,
                };
                (&self.sessions[session], details)
            }
        };
        let user = &catalog.users[session.user];
        Event {
            event_id,
            timestamp,
            user_id: Cow::Borrowed(user.user_id.as_str()),
            session_id: Cow::Borrowed(session.id.as_str()),
            region: user.region,
            customer_type: user.customer_type,
            details,
        }
    }
}

/// Logout always stores the ended session first; reaching this is a bug in this module.
fn unreachable_session() -> ! {
    unreachable!("a logout without its ended session")
}

fn info(product: &Product) -> ProductInfo<'_> {
    ProductInfo {
        product_id: Cow::Borrowed(&product.product_id),
        product_name: Cow::Borrowed(&product.name),
        category: Cow::Borrowed(&product.category),
        price: product.price,
    }
}

fn brand(product: &Product) -> Cow<'_, str> {
    Cow::Borrowed(&product.brand)
}

/// Per user, a weighted choice over products: a Zipf-like popularity (a few products draw most
/// views; the ranking is fixed by product id, not by the run's seed) times 6 for the categories the
/// user is interested in.
fn product_choice(catalog: &Catalog) -> Result<Vec<WeightedIndex<f64>>, SimulatorError> {
    let mut ranked: Vec<usize> = (0..catalog.products.len()).collect();
    ranked.sort_by_key(|&i| stable_hash(&catalog.products[i].product_id));
    let mut popularity = vec![0.0; catalog.products.len()];
    for (rank, &product) in ranked.iter().enumerate() {
        popularity[product] = 1.0 / (rank as f64 + 1.0).powf(1.1);
    }
    catalog
        .users
        .iter()
        .map(|user| {
            let weights = catalog
                .products
                .iter()
                .zip(&popularity)
                .map(|(product, base)| {
                    let interested = user.interests.contains(&product.category);
                    base * if interested { 6.0 } else { 1.0 }
                });
            WeightedIndex::new(weights).map_err(|_| SimulatorError::EmptyCatalog)
        })
        .collect()
}

/// FNV-1a: a hash that is the same on every platform and Rust version.
fn stable_hash(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Search queries shoppers type: product names, brands and categories, in lower case, each with
/// the number of products whose name, brand or category contains it.
fn queries(products: &[Product]) -> Vec<Query> {
    let mut texts: Vec<String> = products
        .iter()
        .flat_map(|p| {
            [
                p.name.to_lowercase(),
                p.brand.to_lowercase(),
                p.category.to_lowercase(),
            ]
        })
        .collect();
    texts.sort();
    texts.dedup();
    texts
        .into_iter()
        .map(|text| {
            let results = products
                .iter()
                .filter(|p| {
                    [&p.name, &p.brand, &p.category]
                        .iter()
                        .any(|field| field.to_lowercase().contains(&text))
                })
                .count() as u32;
            Query { text, results }
        })
        .collect()
}

#[cfg(test)]
#[path = "simulator_tests.rs"]
mod tests;
