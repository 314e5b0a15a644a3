//! Quota budgeting: what each topic still owes, and whether an action may happen next without
//! making a quota unreachable or a story impossible to finish.

use super::quotas::{Quota, Quotas};
use super::session::{Action, Session};
use crate::vocab::{PerTopic, TopicKind};

/// One topic's budget while generating.
#[derive(Debug, Clone, Copy)]
enum Budget {
    /// Its events happen (stories stay whole) but are not emitted.
    Off,
    Unlimited,
    Left {
        left: u64,
        total: u64,
    },
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
}

/// The three topics' budgets.
#[derive(Debug, Clone, Copy)]
pub struct Budgets(PerTopic<Budget>);

impl Budgets {
    pub fn new(quotas: Quotas) -> Budgets {
        Budgets(PerTopic::from_fn(|topic| Budget::from(quotas.get(topic))))
    }

    pub fn emits_any(&self) -> bool {
        self.0.values().any(|b| b.emits())
    }

    pub fn emits(&self, topic: TopicKind) -> bool {
        self.0[topic].emits()
    }

    /// True when every emitted topic has reached its quota.
    pub fn all_done(&self) -> bool {
        self.0.values().all(|b| b.done())
    }

    /// How many events the whole run emits, None if it runs without end.
    pub fn finite_total(&self) -> Option<u64> {
        self.0
            .values()
            .map(|b| match b {
                Budget::Off => Some(0),
                Budget::Unlimited => None,
                Budget::Left { total, .. } => Some(*total),
            })
            .sum()
    }

    /// How many more events of `topic` may be emitted (u64::MAX when not limited).
    pub fn room(&self, topic: TopicKind) -> u64 {
        self.0[topic].room()
    }

    /// Counts one emitted event of `topic`.
    pub fn spend(&mut self, topic: TopicKind) {
        if let Budget::Left { left, .. } = &mut self.0[topic] {
            *left = left.saturating_sub(1);
        }
    }

    /// Scales action weights so that topics with more left go faster: all quotas end together.
    pub fn pace(&self, topic: TopicKind) -> f64 {
        match self.0[topic] {
            Budget::Left { left, total } => 0.2 + left as f64 / total.max(1) as f64,
            _ => 1.0,
        }
    }

    /// When many purchases are asked for per product event, shoppers cart (and buy) more eagerly
    /// all along, rather than the purchases piling up at the end.
    pub fn cart_pressure(&self, action: Action) -> f64 {
        let (
            Budget::Left {
                left: purchases, ..
            },
            Budget::Left { left: product, .. },
        ) = (
            self.0[TopicKind::Purchases],
            self.0[TopicKind::ProductEvents],
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

    /// Whether every purchase still owed can find a cart line after a step that spends
    /// `product_spent` product events and takes `lines_lost` lines out of carts: a purchase buys
    /// a line that is in a cart now (`carted_lines`, across sessions) or one that a product event
    /// still to come adds.
    pub fn leaves_lines_for_purchases(
        &self,
        carted_lines: u64,
        product_spent: u64,
        lines_lost: u64,
    ) -> bool {
        // Off or unlimited purchases owe nothing; unlimited product events can always add more.
        let (Budget::Left { left: owed, .. }, Budget::Left { left: product, .. }) = (
            self.0[TopicKind::Purchases],
            self.0[TopicKind::ProductEvents],
        ) else {
            return true;
        };
        product
            .saturating_sub(product_spent)
            .saturating_add(carted_lines.saturating_sub(lines_lost))
            >= owed
    }

    /// Whether `action` in `session` keeps every quota reachable and every story whole.
    /// `open_sessions` and `carted_lines` count across all open sessions; `products` is the
    /// catalog's size.
    pub fn allows(
        &self,
        action: Action,
        session: &Session,
        open_sessions: usize,
        carted_lines: u64,
        products: usize,
    ) -> bool {
        if self.room(action.topic()) == 0 {
            return false;
        }
        match action {
            // When purchases are tight, an add_to_cart must open a new cart line (see policy).
            Action::AddToCart => {
                self.leaves_lines_for_purchases(carted_lines, 1, 0) || session.cart.len() < products
            }
            Action::View => self.leaves_lines_for_purchases(carted_lines, 1, 0),
            Action::RemoveFromCart => {
                !session.cart.is_empty() && self.leaves_lines_for_purchases(carted_lines, 1, 1)
            }
            Action::Purchase => !session.cart.is_empty(),
            Action::Search | Action::ProfileUpdate => true,
            Action::Logout => {
                // Leave one session open while product or purchase events remain and no new
                // session can start (no login left), and keep the cart lines purchases need.
                let more_to_do = !self.0[TopicKind::ProductEvents].done()
                    || !self.0[TopicKind::Purchases].done();
                let can_continue =
                    open_sessions > 1 || self.room(TopicKind::UserEvents) >= 2 || !more_to_do;
                can_continue
                    && self.leaves_lines_for_purchases(carted_lines, 0, session.cart.len() as u64)
            }
        }
    }
}
