//! The allowed range of every value of the behaviour model (the file's comments say the same).

use std::path::Path;

use super::model::{Band, Behaviour, BehaviourError};

/// How far shares may add up from 1 (they are typed with two or three decimals).
const SHARE_SUM_SLACK: f64 = 0.001;

pub(super) fn check(model: &Behaviour, file: &Path) -> Result<(), BehaviourError> {
    let check = Checker { file };
    // In the file's order, so the first value out of range is the one reported.
    traffic(&check, model)?;
    sessions(&check, model)?;
    propensity(&check, model)?;
    mix(&check, model)?;
    products(&check, model)?;
    catalog(&check, model)?;
    benchmarks(&check, model)
}

/// `[traffic]`: how many sessions, and when.
fn traffic(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    let traffic = &model.traffic;
    check.range(
        "traffic.sessions_per_day",
        traffic.sessions_per_day,
        1.0,
        1e7,
    )?;
    check.weights("traffic.hourly", &traffic.hourly)?;
    check.weights("traffic.weekly", &traffic.weekly)?;
    for (region, offset) in &traffic.utc_offset_hours {
        let key = format!("traffic.utc_offset_hours.{region}");
        check.range(&key, *offset, -12.0, 14.0)?;
    }
    Ok(())
}

/// `[sessions]`: what a session does, and how fast.
fn sessions(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    let sessions = &model.sessions;
    check.range(
        "sessions.views_per_session",
        sessions.views_per_session,
        1.0,
        1000.0,
    )?;
    check.range("sessions.search_share", sessions.search_share, 0.0, 0.9)?;
    check.range(
        "sessions.profile_update_share",
        sessions.profile_update_share,
        0.0,
        0.5,
    )?;
    // Views must stay a real share of the browsing: a session ends after its views.
    check.range(
        "sessions.search_share + sessions.profile_update_share",
        sessions.search_share + sessions.profile_update_share,
        0.0,
        0.95,
    )?;
    check.range(
        "sessions.remove_from_cart_per_step",
        sessions.remove_from_cart_per_step,
        0.0,
        1.0,
    )?;
    check.range(
        "sessions.mean_seconds_between_actions",
        sessions.mean_seconds_between_actions,
        1.0,
        3600.0,
    )?;
    check.range(
        "sessions.min_seconds_between_actions",
        sessions.min_seconds_between_actions,
        0.0,
        3600.0,
    )?;
    if sessions.min_seconds_between_actions > sessions.mean_seconds_between_actions {
        return Err(BehaviourError::AboveLimit {
            path: check.file.to_path_buf(),
            key: "sessions.min_seconds_between_actions".to_string(),
            value: sessions.min_seconds_between_actions,
            limit_key: "sessions.mean_seconds_between_actions".to_string(),
            limit: sessions.mean_seconds_between_actions,
        });
    }
    check.weights("sessions.quantity_weights", &sessions.quantity_weights)?;
    Ok(())
}

/// `[propensity.*]`: how likely each customer type is to buy.
fn propensity(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    for (customer_type, propensity) in &model.propensity {
        let key = |name: &str| format!("propensity.{customer_type}.{name}");
        check.range(
            &key("add_to_cart_per_view"),
            propensity.add_to_cart_per_view,
            0.0,
            1.0,
        )?;
        check.range(&key("checkout"), propensity.checkout, 0.0, 1.0)?;
    }
    Ok(())
}

/// `[devices]` and `[payment_methods]`: shares adding up to 1.
fn mix(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    check.shares(
        "devices",
        model.devices.iter().map(|(d, s)| (d.as_str(), *s)),
    )?;
    check.shares(
        "payment_methods",
        model.payment_methods.iter().map(|(p, s)| (p.as_str(), *s)),
    )?;
    Ok(())
}

/// `[products]`: which products are looked at.
fn products(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    let products = &model.products;
    check.range(
        "products.popularity_exponent",
        products.popularity_exponent,
        0.0,
        5.0,
    )?;
    check.range(
        "products.interest_weight",
        products.interest_weight,
        1.0,
        1000.0,
    )?;
    Ok(())
}

/// `[catalog]`: restocks and price changes.
fn catalog(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    let catalog = &model.catalog;
    check.range(
        "catalog.restock_delay_hours",
        catalog.restock_delay_hours,
        0.01,
        8760.0,
    )?;
    check.range(
        "catalog.price_changes_per_day",
        catalog.price_changes_per_day,
        0.0,
        100_000.0,
    )?;
    check.range("catalog.max_price_cut", catalog.max_price_cut, 0.0, 0.95)?;
    check.range("catalog.max_price_rise", catalog.max_price_rise, 0.0, 10.0)?;
    Ok(())
}

/// `[benchmarks]`: the bands the simulated figures are checked against.
fn benchmarks(check: &Checker<'_>, model: &Behaviour) -> Result<(), BehaviourError> {
    let benchmarks = &model.benchmarks;
    check.band("session_conversion", benchmarks.session_conversion, 1.0)?;
    check.band("cart_abandonment", benchmarks.cart_abandonment, 1.0)?;
    check.band("add_to_cart_sessions", benchmarks.add_to_cart_sessions, 1.0)?;
    check.band("cart_to_purchase", benchmarks.cart_to_purchase, 1.0)?;
    check.band(
        "views_per_add_to_cart",
        benchmarks.views_per_add_to_cart,
        100_000.0,
    )?;
    check.band("mobile_sessions", benchmarks.mobile_sessions, 1.0)?;
    Ok(())
}

struct Checker<'a> {
    file: &'a Path,
}

impl Checker<'_> {
    /// `min..=max`; NaN is out of every range.
    fn range(&self, key: &str, value: f64, min: f64, max: f64) -> Result<(), BehaviourError> {
        if (min..=max).contains(&value) {
            return Ok(());
        }
        Err(BehaviourError::OutOfRange {
            path: self.file.to_path_buf(),
            key: key.to_string(),
            value,
            min,
            max,
        })
    }

    /// Relative weights: each 0 to 1000, at least one above 0.
    fn weights(&self, key: &str, weights: &[f64]) -> Result<(), BehaviourError> {
        for (index, weight) in weights.iter().enumerate() {
            self.range(&format!("{key}[{index}]"), *weight, 0.0, 1000.0)?;
        }
        if weights.iter().all(|w| *w == 0.0) {
            return Err(BehaviourError::AllZero {
                path: self.file.to_path_buf(),
                key: key.to_string(),
            });
        }
        Ok(())
    }

    /// Shares of one whole: each 0 to 1, adding up to 1.
    fn shares<'k>(
        &self,
        table: &str,
        shares: impl Iterator<Item = (&'k str, f64)>,
    ) -> Result<(), BehaviourError> {
        let mut sum = 0.0;
        for (name, share) in shares {
            self.range(&format!("{table}.{name}"), share, 0.0, 1.0)?;
            sum += share;
        }
        if (sum - 1.0).abs() > SHARE_SUM_SLACK {
            return Err(BehaviourError::SharesDoNotAddUp {
                path: self.file.to_path_buf(),
                key: format!("[{table}]"),
                sum,
            });
        }
        Ok(())
    }

    fn band(&self, name: &str, band: Band, max: f64) -> Result<(), BehaviourError> {
        self.range(&format!("benchmarks.{name}.target"), band.target, 0.0, max)?;
        self.range(
            &format!("benchmarks.{name}.tolerance"),
            band.tolerance,
            0.0,
            max,
        )
    }
}
