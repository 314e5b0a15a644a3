use super::*;

#[test]
fn decimal_round_trip_is_exact_for_every_cent_value_tried() {
    for cents in (0..2_000_000).step_by(7) {
        let money = Money::from_cents(cents);
        let text = serde_json::to_string(&money).unwrap();
        let parsed: f64 = text.parse().unwrap();
        assert_eq!(Money::from_decimal(parsed), Ok(money), "{cents} -> {text}");
    }
}

#[test]
fn json_form_has_at_most_two_decimals() {
    assert_eq!(
        serde_json::to_string(&Money::from_cents(2999)).unwrap(),
        "29.99"
    );
    assert_eq!(
        serde_json::to_string(&Money::from_cents(1500)).unwrap(),
        "15.0"
    );
    assert_eq!(
        serde_json::to_string(&Money::from_cents(5)).unwrap(),
        "0.05"
    );
}

#[test]
fn rejects_what_is_not_money() {
    assert_eq!(Money::from_decimal(-0.01), Err(MoneyError::Negative));
    assert_eq!(Money::from_decimal(f64::NAN), Err(MoneyError::NotFinite));
    assert_eq!(Money::from_decimal(1e300), Err(MoneyError::TooLarge));
    assert_eq!(Money::from_decimal(1.005), Err(MoneyError::SubCent));
}

#[test]
fn cents_form_is_exact_above_the_message_cap_and_never_negative() {
    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Saved(#[serde(with = "cents")] Money);
    let big = Saved(Money::from_cents(MAX_CENTS * 1_000 + 1));
    let text = serde_json::to_string(&big).unwrap();
    assert_eq!(text, "1000000000000001");
    assert_eq!(serde_json::from_str::<Saved>(&text).unwrap(), big);
    let err = serde_json::from_str::<Saved>("-1").unwrap_err().to_string();
    assert_eq!(err, "-1 cents is negative");
    assert!(serde_json::from_str::<Saved>("12.5").is_err());
}

#[test]
fn display_and_arithmetic() {
    assert_eq!(Money::from_cents(123456).to_string(), "1234.56");
    assert_eq!(Money::from_cents(7).to_string(), "0.07");
    assert_eq!(
        Money::from_cents(2999).checked_mul(3),
        Some(Money::from_cents(8997))
    );
    let mut sum = Money::ZERO;
    sum += Money::from_cents(10);
    assert_eq!(sum + Money::from_cents(5), Money::from_cents(15));
}
