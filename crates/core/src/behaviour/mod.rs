//! The behaviour model of free-running simulation: how shoppers arrive over the day and week,
//! how long they browse, how readily they cart and buy, which devices and payment methods they
//! use, and how the catalog's stock and prices move. Read from one TOML file (data/behaviour.toml)
//! and validated, so that an error names the file, the key and the allowed range; a copy of the
//! shipped file is built in ([`Behaviour::shipped`]).
//!
//! In parts: `reader` walks the TOML tables (missing, unknown and mistyped keys); `checks` holds
//! the allowed ranges.

mod checks;
mod reader;

use std::path::{Path, PathBuf};

use enum_map::EnumMap;

use self::reader::Section;
use crate::vocab::{CustomerType, Device, PaymentMethod, Region};

/// Where the shipped model lives, relative to the repository (and how errors name the built-in
/// copy).
pub const BEHAVIOUR_FILE: &str = "data/behaviour.toml";

/// The shipped model, built in.
const SHIPPED: &str = include_str!("../../../../data/behaviour.toml");

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

impl Behaviour {
    /// The model shipped in data/behaviour.toml, as built into the library.
    pub fn shipped() -> Result<Behaviour, BehaviourError> {
        Behaviour::parse(Path::new(BEHAVIOUR_FILE), SHIPPED)
    }

    /// Reads and validates a behaviour file.
    pub fn load(path: &Path) -> Result<Behaviour, BehaviourError> {
        let text = std::fs::read_to_string(path).map_err(|source| BehaviourError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Behaviour::parse(path, &text)
    }

    /// Parses and validates behaviour file text; `path` only names the file in errors.
    pub fn parse(path: &Path, text: &str) -> Result<Behaviour, BehaviourError> {
        let table: toml::Table =
            text.parse()
                .map_err(|e: toml::de::Error| BehaviourError::Syntax {
                    path: path.to_path_buf(),
                    message: e.to_string().trim_end().to_string(),
                })?;
        let mut root = Section::root(path, &table);
        let behaviour = read(&mut root)?;
        root.finish()?;
        behaviour.validate(path)?;
        Ok(behaviour)
    }

    /// Checks every value against its allowed range; `path` names the model in errors. Loading
    /// does this; call it again after changing a loaded model.
    pub fn validate(&self, path: &Path) -> Result<(), BehaviourError> {
        checks::check(self, path)
    }
}

fn read(root: &mut Section<'_>) -> Result<Behaviour, BehaviourError> {
    let mut traffic = root.table("traffic")?;
    let mut offsets = traffic.table("utc_offset_hours")?;
    let mut utc_offset_hours = EnumMap::<Region, f64>::default();
    for (region, offset) in utc_offset_hours.iter_mut() {
        *offset = offsets.number(region.as_str())?;
    }
    offsets.finish()?;
    let traffic_model = Traffic {
        sessions_per_day: traffic.number("sessions_per_day")?,
        hourly: traffic.numbers("hourly")?,
        weekly: traffic.numbers("weekly")?,
        utc_offset_hours,
    };
    traffic.finish()?;

    let mut sessions = root.table("sessions")?;
    let sessions_model = Sessions {
        views_per_session: sessions.number("views_per_session")?,
        search_share: sessions.number("search_share")?,
        profile_update_share: sessions.number("profile_update_share")?,
        remove_from_cart_per_step: sessions.number("remove_from_cart_per_step")?,
        mean_seconds_between_actions: sessions.number("mean_seconds_between_actions")?,
        min_seconds_between_actions: sessions.number("min_seconds_between_actions")?,
        quantity_weights: sessions.numbers("quantity_weights")?,
    };
    sessions.finish()?;

    let mut propensity = root.table("propensity")?;
    let mut propensity_model = EnumMap::<CustomerType, Propensity>::default();
    for (customer_type, slot) in propensity_model.iter_mut() {
        let mut one = propensity.table(customer_type.as_str())?;
        *slot = Propensity {
            add_to_cart_per_view: one.number("add_to_cart_per_view")?,
            checkout: one.number("checkout")?,
        };
        one.finish()?;
    }
    propensity.finish()?;

    let mut devices = root.table("devices")?;
    let devices_model = [
        (Device::Mobile, devices.number("mobile")?),
        (Device::Web, devices.number("web")?),
        (Device::Tablet, devices.number("tablet")?),
    ];
    devices.finish()?;

    let mut payments = root.table("payment_methods")?;
    let payments_model = [
        (PaymentMethod::CreditCard, payments.number("credit_card")?),
        (PaymentMethod::DebitCard, payments.number("debit_card")?),
        (PaymentMethod::Paypal, payments.number("paypal")?),
        (
            PaymentMethod::BankTransfer,
            payments.number("bank_transfer")?,
        ),
        (PaymentMethod::GiftCard, payments.number("gift_card")?),
    ];
    payments.finish()?;

    let mut products = root.table("products")?;
    let products_model = Popularity {
        popularity_exponent: products.number("popularity_exponent")?,
        interest_weight: products.number("interest_weight")?,
    };
    products.finish()?;

    let mut catalog = root.table("catalog")?;
    let catalog_model = CatalogDynamics {
        restock_delay_hours: catalog.number("restock_delay_hours")?,
        price_changes_per_day: catalog.number("price_changes_per_day")?,
        max_price_cut: catalog.number("max_price_cut")?,
        max_price_rise: catalog.number("max_price_rise")?,
    };
    catalog.finish()?;

    let mut benchmarks = root.table("benchmarks")?;
    let mut band = |key: &'static str| -> Result<Band, BehaviourError> {
        let mut band = benchmarks.table(key)?;
        let read = Band {
            target: band.number("target")?,
            tolerance: band.number("tolerance")?,
        };
        band.finish()?;
        Ok(read)
    };
    let benchmarks_model = Benchmarks {
        session_conversion: band("session_conversion")?,
        cart_abandonment: band("cart_abandonment")?,
        add_to_cart_sessions: band("add_to_cart_sessions")?,
        cart_to_purchase: band("cart_to_purchase")?,
        views_per_add_to_cart: band("views_per_add_to_cart")?,
        mobile_sessions: band("mobile_sessions")?,
    };
    benchmarks.finish()?;

    Ok(Behaviour {
        traffic: traffic_model,
        sessions: sessions_model,
        propensity: propensity_model,
        devices: devices_model,
        payment_methods: payments_model,
        products: products_model,
        catalog: catalog_model,
        benchmarks: benchmarks_model,
    })
}

#[cfg(test)]
mod tests;
