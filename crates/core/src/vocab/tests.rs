use super::*;
use std::str::FromStr;

#[test]
fn spellings_match_the_wire_format() {
    assert_eq!(CustomerType::Vip.as_str(), "VIP");
    assert_eq!(CustomerType::from_str("VIP"), Ok(CustomerType::Vip));
    assert_eq!(EventType::AddToCart.as_str(), "add_to_cart");
    assert_eq!(PaymentMethod::BankTransfer.as_str(), "bank_transfer");
    assert_eq!(TopicKind::ProductEvents.as_str(), "product-events");
    assert_eq!(serde_json::to_string(&Region::North).unwrap(), "\"North\"");
    assert!(Region::from_str("north").is_err());
}

#[test]
fn saved_spellings_read_back() {
    let read = |json: &str| serde_json::from_str::<CustomerType>(json);
    assert_eq!(read("\"VIP\"").unwrap(), CustomerType::Vip);
    let err = read("\"vip\"").unwrap_err().to_string();
    assert!(
        err.contains("invalid value: string \"vip\", expected a CustomerType"),
        "{err}"
    );
    let value = serde_json::to_value(EventType::AddToCart).unwrap();
    assert_eq!(EventType::deserialize(value).unwrap(), EventType::AddToCart);
}

#[test]
fn each_event_type_has_its_topic() {
    assert_eq!(EventType::Purchase.topic(), TopicKind::Purchases);
    assert_eq!(EventType::RemoveFromCart.topic(), TopicKind::ProductEvents);
    assert_eq!(EventType::ProfileUpdate.topic(), TopicKind::UserEvents);
}
