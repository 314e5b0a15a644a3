//! The behaviour model's types, and why a file cannot be one (read and checked by the parent
//! module, with `reader` and `checks`).

use std::path::PathBuf;

use enum_map::EnumMap;

use crate::vocab::{CustomerType, Device, PaymentMethod, Region};

/// Why a behaviour file cannot be used. Each names the file and, where there is one, the key
/// (dotted, as in `sessions.views_per_session` or `traffic.hourly[3]`).
#[derive(Debug, thiserror::Error)]
pub enum BehaviourError {
    #[error("{path}: cannot read")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: missing key `{key}`")]
    MissingKey { path: PathBuf, key: String },
    #[error("{path}: unknown key `{key}` (expected one of: {expected})")]
    UnknownKey {
        path: PathBuf,
        key: String,
        expected: String,
    },
    #[error("{path}: {key} should be {expected}")]
    WrongType {
        path: PathBuf,
        key: String,
        expected: &'static str,
    },
    #[error("{path}: {key} has {found} values, expected {expected}")]
    WrongLength {
        path: PathBuf,
        key: String,
        found: usize,
        expected: usize,
    },
    #[error("{path}: {key} = {value} is out of range ({min} to {max})")]
    OutOfRange {
        path: PathBuf,
        key: String,
        value: f64,
        min: f64,
        max: f64,
    },
    #[error("{path}: {key} are all 0 (at least one must be above 0)")]
    AllZero { path: PathBuf, key: String },
    #[error("{path}: the shares in {key} add up to {sum}, expected 1")]
    SharesDoNotAddUp {
        path: PathBuf,
        key: String,
        sum: f64,
    },
    #[error("{path}: {key} = {value} is above {limit_key} = {limit}")]
    AboveLimit {
        path: PathBuf,
        key: String,
        value: f64,
        limit_key: String,
        limit: f64,
    },
}

/// The whole model, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Behaviour {
    pub traffic: Traffic,
    pub sessions: Sessions,
    pub propensity: EnumMap<CustomerType, Propensity>,
    /// Share of sessions per device (adding up to 1).
    pub devices: [(Device, f64); 3],
    /// Share of purchases per payment method (adding up to 1).
    pub payment_methods: [(PaymentMethod, f64); 5],
    pub products: Popularity,
    pub catalog: CatalogDynamics,
    pub benchmarks: Benchmarks,
}

/// When sessions start.
#[derive(Debug, Clone, PartialEq)]
pub struct Traffic {
    /// Sessions per day averaged over a week, all regions together.
    pub sessions_per_day: f64,
    /// Relative session starts per local hour (0h..23h); only their proportions matter.
    pub hourly: [f64; 24],
    /// Relative session starts per local day, Monday first; only their proportions matter.
    pub weekly: [f64; 7],
    /// Each region's time zone in hours east of UTC.
    pub utc_offset_hours: EnumMap<Region, f64>,
}

/// What happens within a session.
#[derive(Debug, Clone, PartialEq)]
pub struct Sessions {
    /// Mean product views per session.
    pub views_per_session: f64,
    /// Shares of the browsing steps that are searches and profile updates (the rest: views).
    pub search_share: f64,
    pub profile_update_share: f64,
    /// Chance per step, while the cart holds something, of a remove_from_cart.
    pub remove_from_cart_per_step: f64,
    pub mean_seconds_between_actions: f64,
    pub min_seconds_between_actions: f64,
    /// Relative chances of 1..=5 items per add_to_cart.
    pub quantity_weights: [f64; 5],
}

/// How readily one customer type carts and buys.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Propensity {
    /// Chance that a product view leads to an add_to_cart.
    pub add_to_cart_per_view: f64,
    /// Chance that a session leaving with a non-empty cart buys what is in it.
    pub checkout: f64,
}

/// How product choice is skewed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Popularity {
    /// The product ranked r is chosen in proportion to 1 / r^exponent.
    pub popularity_exponent: f64,
    /// Weight of products in the shopper's interests against the others.
    pub interest_weight: f64,
}

/// How stock and prices move.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CatalogDynamics {
    /// Mean hours from selling out to being back at the catalog's stock.
    pub restock_delay_hours: f64,
    /// Price changes per day across the catalog.
    pub price_changes_per_day: f64,
    /// Bounds of a changed price, as fractions of the list price.
    pub max_price_cut: f64,
    pub max_price_rise: f64,
}

/// The published figures the model is calibrated to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Benchmarks {
    pub session_conversion: Band,
    pub cart_abandonment: Band,
    pub add_to_cart_sessions: Band,
    pub cart_to_purchase: Band,
    pub views_per_add_to_cart: Band,
    pub mobile_sessions: Band,
}

/// A target figure and how far from it still counts as on target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Band {
    pub target: f64,
    pub tolerance: f64,
}

impl Band {
    pub fn contains(self, value: f64) -> bool {
        (value - self.target).abs() <= self.tolerance
    }
}
