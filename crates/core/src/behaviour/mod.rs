//! The behaviour model of free-running simulation: how shoppers arrive over the day and week,
//! how long they browse, how readily they cart and buy, which devices and payment methods they
//! use, and how the catalog's stock and prices move. Read from one TOML file (data/behaviour.toml)
//! and validated, so that an error names the file, the key and the allowed range; a copy of the
//! shipped file is built in ([`Behaviour::shipped`]).
//!
//! In parts: `model` holds the model's types and errors; `reader` walks the TOML tables (missing, unknown and mistyped keys); `checks` holds
//! the allowed ranges.

mod checks;
mod model;
mod reader;

use std::path::Path;

use enum_map::EnumMap;

pub use self::model::{
    Band, Behaviour, BehaviourError, Benchmarks, CatalogDynamics, Popularity, Propensity, Sessions,
    Traffic,
};
use self::reader::Section;
use crate::vocab::{CustomerType, Device, PaymentMethod, Region};

/// Where the shipped model lives, relative to the repository (and how errors name the built-in
/// copy).
pub const BEHAVIOUR_FILE: &str = "data/behaviour.toml";

/// The shipped model, built in.
const SHIPPED: &str = include_str!("../../../../data/behaviour.toml");

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

/// The model's tables in the file's order (so the first missing key is the one reported).
fn read(root: &mut Section<'_>) -> Result<Behaviour, BehaviourError> {
    Ok(Behaviour {
        traffic: read_traffic(root)?,
        sessions: read_sessions(root)?,
        propensity: read_propensity(root)?,
        devices: read_devices(root)?,
        payment_methods: read_payment_methods(root)?,
        products: read_products(root)?,
        catalog: read_catalog(root)?,
        benchmarks: read_benchmarks(root)?,
    })
}

/// `[traffic]`.
fn read_traffic(root: &mut Section<'_>) -> Result<Traffic, BehaviourError> {
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
    Ok(traffic_model)
}

/// `[sessions]`.
fn read_sessions(root: &mut Section<'_>) -> Result<Sessions, BehaviourError> {
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
    Ok(sessions_model)
}

/// `[propensity.<customer type>]`.
fn read_propensity(
    root: &mut Section<'_>,
) -> Result<EnumMap<CustomerType, Propensity>, BehaviourError> {
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
    Ok(propensity_model)
}

/// `[devices]`.
fn read_devices(root: &mut Section<'_>) -> Result<[(Device, f64); 3], BehaviourError> {
    let mut devices = root.table("devices")?;
    let devices_model = [
        (Device::Mobile, devices.number("mobile")?),
        (Device::Web, devices.number("web")?),
        (Device::Tablet, devices.number("tablet")?),
    ];
    devices.finish()?;
    Ok(devices_model)
}

/// `[payment_methods]`.
fn read_payment_methods(
    root: &mut Section<'_>,
) -> Result<[(PaymentMethod, f64); 5], BehaviourError> {
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
    Ok(payments_model)
}

/// `[products]`.
fn read_products(root: &mut Section<'_>) -> Result<Popularity, BehaviourError> {
    let mut products = root.table("products")?;
    let products_model = Popularity {
        popularity_exponent: products.number("popularity_exponent")?,
        interest_weight: products.number("interest_weight")?,
    };
    products.finish()?;
    Ok(products_model)
}

/// `[catalog]`.
fn read_catalog(root: &mut Section<'_>) -> Result<CatalogDynamics, BehaviourError> {
    let mut catalog = root.table("catalog")?;
    let catalog_model = CatalogDynamics {
        restock_delay_hours: catalog.number("restock_delay_hours")?,
        price_changes_per_day: catalog.number("price_changes_per_day")?,
        max_price_cut: catalog.number("max_price_cut")?,
        max_price_rise: catalog.number("max_price_rise")?,
    };
    catalog.finish()?;
    Ok(catalog_model)
}

/// `[benchmarks.<figure>]`: the bands.
fn read_benchmarks(root: &mut Section<'_>) -> Result<Benchmarks, BehaviourError> {
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
    Ok(benchmarks_model)
}

#[cfg(test)]
mod tests;
