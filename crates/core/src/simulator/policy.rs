//! The steered policy (runs with exact counts): who acts next and what they do, weighing a
//! shopper's habits against the quotas' pace, then the random picks (product, quantity, ids)
//! that make the action concrete. Free-running runs follow the behaviour model instead (`crowd`).
//!
//! Every draw from the random generator happens here or in the caller's clock and event ids, in a
//! fixed order: reordering draws changes every seeded run.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::budget::Budgets;
use super::pool::Drawn;
use super::session::{Act, Action, CartLine, Decision, Session};
use super::tastes::{ProfileFields, Tastes};
use crate::population::Users;
use crate::vocab::TopicKind;

/// Users not in a session.
enum IdleUsers {
    /// A listed population's, by index.
    Listed(Vec<usize>),
    /// A generated population's: drawn, only the busy ones held.
    Generated(Drawn),
}

impl IdleUsers {
    fn any(&self) -> bool {
        match self {
            IdleUsers::Listed(idle) => !idle.is_empty(),
            IdleUsers::Generated(drawn) => drawn.any_idle(),
        }
    }

    fn release(&mut self, user: usize) {
        match self {
            IdleUsers::Listed(idle) => idle.push(user),
            IdleUsers::Generated(drawn) => drawn.release(user),
        }
    }
}

/// The shoppers: who is in a session, and what their carts hold.
pub struct Shoppers {
    sessions: Vec<Session>,
    /// The session that just logged out: it leaves at the next step, so that its logout event
    /// can still borrow its id.
    leaving: Option<usize>,
    idle_users: IdleUsers,
    /// Cart lines in open sessions, across sessions: what purchases can still buy.
    carted_lines: u64,
    max_sessions: usize,
    /// The catalog's number of products.
    products: usize,
}

impl Shoppers {
    pub fn new(users: &Users<'_>, products: usize, budgets: &Budgets) -> Shoppers {
        let idle_users = match users {
            Users::Listed(listed) => IdleUsers::Listed((0..listed.len()).collect()),
            Users::Generated(generated) => IdleUsers::Generated(Drawn::new(*generated)),
        };
        let users = users.len();
        // Short runs get few concurrent sessions, so that stories finish (logout) within them.
        let max_sessions = match budgets.finite_total() {
            Some(total) => (total / 12).clamp(2, 12) as usize,
            None => 12,
        }
        .min((users / 4).max(1));
        Shoppers {
            sessions: Vec::new(),
            leaving: None,
            idle_users,
            carted_lines: 0,
            max_sessions,
            products,
        }
    }

    pub fn session(&self, index: usize) -> &Session {
        &self.sessions[index]
    }

    /// One step of one session; None if no session can do anything within the quotas (which the
    /// quota checks in `Simulator::new` and `Budgets::allows` rule out; tests hold it to that).
    pub fn step(
        &mut self,
        rng: &mut ChaCha8Rng,
        budgets: &Budgets,
        tastes: &Tastes,
        users: &Users<'_>,
    ) -> Option<Decision> {
        if let Some(index) = self.leaving.take() {
            self.sessions.swap_remove(index);
        }
        let can_login = budgets.room(TopicKind::UserEvents) >= 1 && self.idle_users.any();
        let want_new = self.sessions.len() < self.max_sessions
            && rng.random_bool(if self.sessions.is_empty() { 1.0 } else { 0.25 });
        if can_login
            && (want_new || self.sessions.is_empty())
            && let Some(login) = self.login(rng, tastes, users)
        {
            return Some(login);
        }
        // Try sessions from a random start until one has an allowed action.
        let count = self.sessions.len();
        let start = if count > 0 {
            rng.random_range(0..count)
        } else {
            0
        };
        for offset in 0..count {
            let index = (start + offset) % count;
            if let Some(action) = self.choose_action(index, rng, budgets) {
                return Some(self.perform(index, action, rng, budgets, tastes));
            }
        }
        if can_login {
            return self.login(rng, tastes, users);
        }
        None
    }

    /// An idle user opens a session; None when a generated population's draws found none.
    fn login(
        &mut self,
        rng: &mut ChaCha8Rng,
        tastes: &Tastes,
        users: &Users<'_>,
    ) -> Option<Decision> {
        let (user, person) = match &mut self.idle_users {
            IdleUsers::Listed(idle) => {
                let pick = rng.random_range(0..idle.len());
                (idle.swap_remove(pick), None)
            }
            IdleUsers::Generated(drawn) => {
                let user = drawn.take(None, rng)?;
                (user, Some(drawn.users().user(user as u64)))
            }
        };
        let mut interests = Vec::new();
        match &person {
            Some(person) => tastes.interests(person, &mut interests),
            None => tastes.interests(&users.get(user), &mut interests),
        }
        let id = format!("S{:016x}", rng.random::<u64>());
        self.sessions
            .push(Session::new(user, person, interests, id));
        Some(Decision {
            session: self.sessions.len() - 1,
            act: Act::Login {
                device: tastes.device(rng),
            },
        })
    }

    /// A weighted random pick among the actions the budgets allow, None if none is.
    fn choose_action(
        &self,
        index: usize,
        rng: &mut ChaCha8Rng,
        budgets: &Budgets,
    ) -> Option<Action> {
        let session = &self.sessions[index];
        let mut weights = [0.0f64; Action::ALL.len()];
        for (slot, action) in weights.iter_mut().zip(Action::ALL) {
            let allowed = budgets.allows(
                action,
                session,
                self.sessions.len(),
                self.carted_lines,
                self.products,
            );
            if allowed {
                // Multiplied in this order: floating point products depend on it.
                *slot = natural_weight(session, action)
                    * budgets.pace(action.topic())
                    * budgets.cart_pressure(action);
            }
        }
        let total: f64 = weights.iter().sum();
        if total <= 0.0 {
            return None;
        }
        let mut pick = rng.random::<f64>() * total;
        for (weight, action) in weights.iter().zip(Action::ALL) {
            if *weight > 0.0 {
                if pick < *weight {
                    return Some(action);
                }
                pick -= weight;
            }
        }
        // Rounding left `pick` at the very end: the last allowed action.
        Action::ALL
            .iter()
            .zip(weights)
            .rev()
            .find(|(_, w)| *w > 0.0)
            .map(|(a, _)| *a)
    }

    /// Carries out `action` in session `index`: updates the session and carts, and draws what
    /// the event will say.
    fn perform(
        &mut self,
        index: usize,
        action: Action,
        rng: &mut ChaCha8Rng,
        budgets: &Budgets,
        tastes: &Tastes,
    ) -> Decision {
        self.sessions[index].actions += 1;
        let act = match action {
            Action::Search => Act::Search {
                query: tastes.random_query(rng),
            },
            Action::View => {
                let product = tastes.product(&self.sessions[index].interests, rng);
                let viewed = &mut self.sessions[index].viewed;
                if viewed.len() >= 8 {
                    viewed.remove(0);
                }
                viewed.push(product);
                Act::View { product }
            }
            Action::AddToCart => {
                // Without a new cart line this product event would leave too few lines for the
                // purchases still owed (`allows` made sure a new line is possible).
                let needs_new_line = !budgets.leaves_lines_for_purchases(self.carted_lines, 1, 0);
                Act::AddToCart {
                    line: self.add_to_cart(index, needs_new_line, rng, tastes),
                }
            }
            Action::RemoveFromCart => {
                let (line, emptied) = self.sessions[index].take_from_cart(rng);
                if emptied {
                    self.carted_lines -= 1;
                }
                Act::RemoveFromCart { line }
            }
            Action::Purchase => {
                let cart = &mut self.sessions[index].cart;
                let at = rng.random_range(0..cart.len());
                let line = cart.swap_remove(at);
                self.carted_lines -= 1;
                Act::Purchase {
                    line,
                    order_id: format!("O{:016x}", rng.random::<u64>()),
                    payment: tastes.payment(rng),
                }
            }
            Action::ProfileUpdate => Act::ProfileUpdate {
                fields: ProfileFields::random(rng),
            },
            Action::Logout => {
                let session = &self.sessions[index];
                self.carted_lines -= session.cart.len() as u64;
                self.idle_users.release(session.user);
                self.leaving = Some(index);
                Act::Logout
            }
        };
        Decision {
            session: index,
            act,
        }
    }

    /// Picks a product (mostly one viewed in this session) and a quantity, and puts them in the
    /// cart: a new line, or more of a product already there unless `needs_new_line`.
    fn add_to_cart(
        &mut self,
        index: usize,
        needs_new_line: bool,
        rng: &mut ChaCha8Rng,
        tastes: &Tastes,
    ) -> CartLine {
        let session = &self.sessions[index];
        let mut product = if !session.viewed.is_empty() && rng.random_bool(0.85) {
            session.viewed[rng.random_range(0..session.viewed.len())]
        } else {
            tastes.product(&session.interests, rng)
        };
        if needs_new_line {
            product = self.product_not_in_cart(index, product, rng, tastes);
        }
        let quantity = match rng.random_range(0..100) {
            0..70 => 1,
            70..90 => 2,
            90..97 => 3,
            _ => rng.random_range(4..=5),
        };
        let line = CartLine { product, quantity };
        let cart = &mut self.sessions[index].cart;
        match cart.iter_mut().find(|l| l.product == product) {
            Some(existing) => existing.quantity += quantity,
            None => {
                cart.push(line);
                self.carted_lines += 1;
            }
        }
        line
    }

    /// `preferred` if the session's cart lacks it, else another product it lacks (the caller has
    /// checked that one exists).
    fn product_not_in_cart(
        &self,
        index: usize,
        preferred: usize,
        rng: &mut ChaCha8Rng,
        tastes: &Tastes,
    ) -> usize {
        let session = &self.sessions[index];
        if !session.has_in_cart(preferred) {
            return preferred;
        }
        // A few tries at what the shopper likes, then the first free product.
        for _ in 0..8 {
            let candidate = tastes.product(&session.interests, rng);
            if !session.has_in_cart(candidate) {
                return candidate;
            }
        }
        (0..self.products)
            .find(|&p| !session.has_in_cart(p))
            .unwrap_or(preferred)
    }
}

/// How likely a shopper is to do this next, before quotas.
fn natural_weight(session: &Session, action: Action) -> f64 {
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
