use std::path::Path;

use super::*;

const FILE: &str = "data/behaviour.toml";

fn shipped_text() -> &'static str {
    SHIPPED
}

/// The shipped file with `from` replaced by `to` (which must occur once).
fn edited(from: &str, to: &str) -> String {
    let text = shipped_text();
    assert_eq!(text.matches(from).count(), 1, "{from}");
    text.replacen(from, to, 1)
}

fn error(text: &str) -> String {
    Behaviour::parse(Path::new(FILE), text)
        .unwrap_err()
        .to_string()
}

#[test]
fn the_shipped_model_loads_and_is_the_file_in_data() {
    let shipped = Behaviour::shipped().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    assert_eq!(
        Behaviour::load(&root.join(BEHAVIOUR_FILE)).unwrap(),
        shipped
    );
    assert_eq!(shipped.traffic.hourly.len(), 24);
    assert_eq!(shipped.propensity[CustomerType::Vip].checkout, 0.45);
    assert_eq!(shipped.traffic.utc_offset_hours[Region::East], 8.0);
    // The benchmarks it is calibrated to: a few percent of sessions convert, most carts are
    // abandoned, mobile leads.
    let b = shipped.benchmarks;
    assert!(b.session_conversion.target < 0.05);
    assert!(b.cart_abandonment.target > 0.6);
    assert!(b.mobile_sessions.target > 0.5);
}

#[test]
fn a_value_out_of_range_names_file_key_and_range() {
    let text = edited("add_to_cart_per_view = 0.017", "add_to_cart_per_view = 1.7");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: propensity.Premium.add_to_cart_per_view = 1.7 is out of range (0 to 1)"
    );
    let text = edited("sessions_per_day = 4000", "sessions_per_day = 0");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: traffic.sessions_per_day = 0 is out of range (1 to 10000000)"
    );
    let text = edited("0.55, 0.35, 0.22", "0.55, -1, 0.22");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: traffic.hourly[1] = -1 is out of range (0 to 1000)"
    );
    let text = edited("West = -5", "West = -13");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: traffic.utc_offset_hours.West = -13 is out of range (-12 to 14)"
    );
    let text = edited("max_price_cut = 0.30", "max_price_cut = nan");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: catalog.max_price_cut = NaN is out of range (0 to 0.95)"
    );
    let text = edited(
        "session_conversion = { target = 0.025,",
        "session_conversion = { target = 2.5,",
    );
    assert_eq!(
        error(&text),
        "data/behaviour.toml: benchmarks.session_conversion.target = 2.5 is out of range (0 to 1)"
    );
}

#[test]
fn an_unknown_key_is_refused_by_name() {
    let text = edited(
        "search_share = 0.15",
        "search_share = 0.15\nsearch_shar = 0.2",
    );
    assert_eq!(
        error(&text),
        "data/behaviour.toml: unknown key `sessions.search_shar` (expected one of: \
         views_per_session, search_share, profile_update_share, remove_from_cart_per_step, \
         mean_seconds_between_actions, min_seconds_between_actions, quantity_weights)"
    );
    let text = format!("{}\n[extras]\nx = 1\n", shipped_text());
    assert!(
        error(&text)
            .starts_with("data/behaviour.toml: unknown key `extras` (expected one of: traffic,"),
        "{}",
        error(&text)
    );
    let text = edited("mobile = 0.64", "mobile = 0.64\nsmart_tv = 0");
    assert!(error(&text).contains("unknown key `devices.smart_tv`"));
}

#[test]
fn a_missing_key_is_named() {
    let text = edited("interest_weight = 6.0", "");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: missing key `products.interest_weight`"
    );
    let text = edited("[propensity.VIP]", "[propensity.Vip]");
    assert!(
        error(&text).contains("missing key `propensity.VIP`"),
        "{}",
        error(&text)
    );
    let text = edited("East = 8\n", "");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: missing key `traffic.utc_offset_hours.East`"
    );
}

#[test]
fn wrong_types_lengths_and_shares_are_named() {
    let text = edited("views_per_session = 6.0", "views_per_session = \"six\"");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: sessions.views_per_session should be a number"
    );
    let text = edited(
        "weekly = [0.95, 0.93, 0.93, 0.96, 1.00, 1.10, 1.13]",
        "weekly = [1, 1, 1, 1, 1, 1]",
    );
    assert_eq!(
        error(&text),
        "data/behaviour.toml: traffic.weekly has 6 values, expected 7"
    );
    let text = edited(
        "weekly = [0.95, 0.93, 0.93, 0.96, 1.00, 1.10, 1.13]",
        "weekly = [0, 0, 0, 0, 0, 0, 0]",
    );
    assert_eq!(
        error(&text),
        "data/behaviour.toml: traffic.weekly are all 0 (at least one must be above 0)"
    );
    let text = edited("tablet = 0.06", "tablet = 0.03");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: the shares in [devices] add up to 0.97, expected 1"
    );
    let text = edited(
        "min_seconds_between_actions = 2 ",
        "min_seconds_between_actions = 30 ",
    );
    assert_eq!(
        error(&text),
        "data/behaviour.toml: sessions.min_seconds_between_actions = 30 is above \
         sessions.mean_seconds_between_actions = 25"
    );
    let text = edited("profile_update_share = 0.01", "profile_update_share = 0.1")
        .replace("search_share = 0.15", "search_share = 0.9");
    assert_eq!(
        error(&text),
        "data/behaviour.toml: sessions.search_share + sessions.profile_update_share = 1 is \
         out of range (0 to 0.95)"
    );
    assert!(error("[traffic\n").starts_with("data/behaviour.toml: not valid TOML:"));
}

#[test]
fn loading_a_file_names_it_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.toml");
    std::fs::write(&path, edited("checkout = 0.30", "checkout = -0.3")).unwrap();
    let message = Behaviour::load(&path).unwrap_err().to_string();
    assert_eq!(
        message,
        format!(
            "{}: propensity.Regular.checkout = -0.3 is out of range (0 to 1)",
            path.display()
        )
    );
    let missing = dir.path().join("absent.toml");
    assert!(matches!(
        Behaviour::load(&missing),
        Err(BehaviourError::Read { .. })
    ));
}

#[test]
fn a_changed_model_is_validated_again() {
    let mut behaviour = Behaviour::shipped().unwrap();
    behaviour.sessions.search_share = 2.0;
    assert_eq!(
        behaviour
            .validate(Path::new("tuned"))
            .unwrap_err()
            .to_string(),
        "tuned: sessions.search_share = 2 is out of range (0 to 0.9)"
    );
}
