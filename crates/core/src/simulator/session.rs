//! A shopper's open session (cart, recent views), the actions a shopper may take in one, and
//! what a session just did (an [`Act`], which rendering turns into an event).

use super::tastes::ProfileFields;
use crate::catalog::User;
use crate::vocab::{Device, PaymentMethod, TopicKind};

/// One product in a cart and how many of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLine {
    /// Index into the catalog's products.
    pub product: usize,
    pub quantity: u32,
}

#[derive(Debug, Clone)]
pub struct Session {
    /// Index into the shop's users.
    pub user: usize,
    /// The user, made when the session opened, when the shop generates its users (a listed
    /// user is the shop's, by index): only open sessions hold a generated user.
    pub person: Option<User>,
    /// The user's interests as the product choice numbers categories (see `Tastes::interests`).
    pub interests: Vec<u32>,
    pub id: String,
    /// Products seen in this session, most recent last (add_to_cart mostly picks from these).
    pub viewed: Vec<usize>,
    /// At most one line per product: adding a product already there raises its quantity.
    pub cart: Vec<CartLine>,
    /// Actions since login: a fresh session tends to search, a long one to end.
    pub actions: u32,
}

impl Session {
    /// A fresh session of `user` (see the fields), with an empty cart.
    pub fn new(user: usize, person: Option<User>, interests: Vec<u32>, id: String) -> Session {
        Session {
            user,
            person,
            interests,
            id,
            viewed: Vec::new(),
            cart: Vec::new(),
            actions: 0,
        }
    }

    /// A remove_from_cart: takes some (at least one) of a random line's items out of the cart
    /// (two draws, line then quantity). Returns what was taken, and whether its line is gone.
    pub fn take_from_cart(&mut self, rng: &mut impl rand::Rng) -> (CartLine, bool) {
        let cart = &mut self.cart;
        let at = rng.random_range(0..cart.len());
        let taken = rng.random_range(1..=cart[at].quantity);
        let line = CartLine {
            product: cart[at].product,
            quantity: taken,
        };
        cart[at].quantity -= taken;
        let emptied = cart[at].quantity == 0;
        if emptied {
            cart.swap_remove(at);
        }
        (line, emptied)
    }

    pub fn has_in_cart(&self, product: usize) -> bool {
        self.cart.iter().any(|line| line.product == product)
    }
}

/// What a logged-in shopper may do next. Login is not one: it opens the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Search,
    View,
    AddToCart,
    RemoveFromCart,
    Purchase,
    ProfileUpdate,
    Logout,
}

impl Action {
    /// In this order the weighted choice draws (changing it changes every seeded run).
    pub const ALL: [Action; 7] = [
        Action::Search,
        Action::View,
        Action::AddToCart,
        Action::RemoveFromCart,
        Action::Purchase,
        Action::ProfileUpdate,
        Action::Logout,
    ];

    pub fn topic(self) -> TopicKind {
        match self {
            Action::View | Action::AddToCart | Action::RemoveFromCart => TopicKind::ProductEvents,
            Action::Purchase => TopicKind::Purchases,
            Action::Search | Action::ProfileUpdate | Action::Logout => TopicKind::UserEvents,
        }
    }
}

/// What a session just did: what rendering needs to build its event.
#[derive(Debug)]
pub struct Decision {
    /// Which session, as its policy numbers them (for a logout, the one that just ended).
    pub session: usize,
    pub act: Act,
}

/// One variant per action, with what was picked for it.
#[derive(Debug)]
pub enum Act {
    Login {
        device: Device,
    },
    /// Index of the query (see [`super::tastes::Tastes::query`]).
    Search {
        query: usize,
    },
    /// Index of the product in the catalog.
    View {
        product: usize,
    },
    AddToCart {
        line: CartLine,
    },
    RemoveFromCart {
        line: CartLine,
    },
    Purchase {
        line: CartLine,
        order_id: String,
        payment: PaymentMethod,
    },
    ProfileUpdate {
        fields: ProfileFields,
    },
    Logout,
}

impl Act {
    pub fn topic(&self) -> TopicKind {
        match self {
            Act::View { .. } | Act::AddToCart { .. } | Act::RemoveFromCart { .. } => {
                TopicKind::ProductEvents
            }
            Act::Purchase { .. } => TopicKind::Purchases,
            Act::Login { .. } | Act::Search { .. } | Act::ProfileUpdate { .. } | Act::Logout => {
                TopicKind::UserEvents
            }
        }
    }
}
