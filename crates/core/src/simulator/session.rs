//! A shopper's open session (cart, recent views) and the actions a shopper may take in one.

use crate::vocab::TopicKind;

/// One product in a cart and how many of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CartLine {
    /// Index into the catalog's products.
    pub product: usize,
    pub quantity: u32,
}

#[derive(Debug, Clone)]
pub struct Session {
    /// Index into the catalog's users.
    pub user: usize,
    pub id: String,
    /// Products seen in this session, most recent last (add_to_cart mostly picks from these).
    pub viewed: Vec<usize>,
    /// At most one line per product: adding a product already there raises its quantity.
    pub cart: Vec<CartLine>,
    /// Actions since login: a fresh session tends to search, a long one to end.
    pub actions: u32,
}

impl Session {
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
