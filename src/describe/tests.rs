use super::*;
use shopstream_core::{CustomerType, Money, ProductInfo, Region, Timestamp};
use std::borrow::Cow;

#[test]
fn summaries_read_like_sentences() {
    let event = Event {
        event_id: uuid::Uuid::nil(),
        timestamp: Timestamp::from_millis(1_764_247_399_123),
        user_id: "U007".into(),
        session_id: "S1".into(),
        region: Region::North,
        customer_type: CustomerType::Premium,
        details: Details::AddToCart {
            product: ProductInfo {
                product_id: "P002".into(),
                product_name: "Wireless Mouse".into(),
                category: "Electronics".into(),
                price: Money::from_cents(2999),
            },
            brand: Cow::Borrowed("Logitech"),
            quantity: 2,
        },
    };
    assert_eq!(
        summary(&event),
        "U007 added 2 x Wireless Mouse (29.99) to cart"
    );
    assert_eq!(clock(&event), "12:43:19.123");
}
