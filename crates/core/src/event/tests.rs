use super::*;
use crate::decode::decode;
use serde_json::{Value, json};

fn product() -> ProductInfo<'static> {
    ProductInfo {
        product_id: "P001".into(),
        product_name: "Wireless Mouse \"Pro\"".into(),
        category: "Electronics".into(),
        price: Money::from_cents(2999),
    }
}

fn event(details: Details<'static>) -> Event<'static> {
    Event {
        event_id: Uuid::from_u128(0x1234_5678_9abc_4def_8123_4567_89ab_cdef),
        timestamp: Timestamp::from_millis(1_764_247_399_123),
        user_id: "U007".into(),
        session_id: "S-00ff".into(),
        region: Region::West,
        customer_type: CustomerType::Vip,
        details,
    }
}

/// One event of each type, with an escaped quote and non-ASCII text among the strings.
pub(crate) fn one_of_each() -> Vec<Event<'static>> {
    let brand = || Cow::Borrowed("Logi");
    vec![
        event(Details::View {
            product: product(),
            brand: brand(),
        }),
        event(Details::AddToCart {
            product: product(),
            brand: brand(),
            quantity: 2,
        }),
        event(Details::RemoveFromCart {
            product: product(),
            brand: brand(),
            quantity: 1,
        }),
        event(Details::Purchase {
            order_id: "ORD-1".into(),
            product: product(),
            quantity: 3,
            total: Money::from_cents(8997),
            payment_method: PaymentMethod::GiftCard,
        }),
        event(Details::Login {
            device: Device::Tablet,
        }),
        event(Details::Logout),
        event(Details::Search {
            query: "mouse ünïcode".into(),
            results_count: 4,
        }),
        event(Details::ProfileUpdate {
            fields_updated: vec!["email".into(), "address".into()],
        }),
    ]
}

#[test]
fn every_event_type_round_trips() {
    for original in one_of_each() {
        let json = original.to_json();
        let decoded = decode(json.as_bytes(), Some(original.topic())).unwrap();
        assert_eq!(decoded, original, "{json}");
        assert_eq!(decoded.to_json(), json);
    }
}

#[test]
fn json_has_exactly_the_fields_of_the_design() {
    let events = one_of_each();
    let common = [
        "event_id",
        "event_type",
        "timestamp",
        "user_id",
        "session_id",
        "region",
        "customer_type",
    ];
    let product = ["product_id", "product_name", "category", "price"];
    let expected: Vec<Vec<&str>> = vec![
        [&product[..], &["brand"]].concat(),
        [&product[..], &["brand", "quantity"]].concat(),
        [&product[..], &["brand", "quantity"]].concat(),
        [
            &["order_id"][..],
            &product,
            &["quantity", "total", "payment_method"],
        ]
        .concat(),
        vec!["device"],
        vec![],
        vec!["query", "results_count"],
        vec!["fields_updated"],
    ];
    for (event, extra) in events.iter().zip(expected) {
        let value: Value = serde_json::from_str(&event.to_json()).unwrap();
        let mut keys: Vec<&str> = value
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let mut want: Vec<&str> = common.iter().copied().chain(extra).collect();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want, "{}", event.event_type());
    }
    let purchase: Value = serde_json::from_str(&events[3].to_json()).unwrap();
    assert_eq!(purchase["event_type"], "purchase");
    assert_eq!(purchase["timestamp"], "2025-11-27T12:43:19.123Z");
    assert_eq!(purchase["customer_type"], "VIP");
    assert_eq!(purchase["price"], json!(29.99));
    assert_eq!(purchase["total"], json!(89.97));
    assert_eq!(purchase["event_id"], "12345678-9abc-4def-8123-456789abcdef");
}

/// The encoder is sonic-rs; what it writes must stay byte for byte what serde_json writes
/// (the pinned digests and every reader rely on one form): escapes, control characters,
/// non-ASCII text, and money from a cent to the largest amount a message may carry.
#[test]
fn encoding_writes_exactly_what_serde_json_writes() {
    let texts = [
        "plain",
        "quote \" backslash \\ slash /",
        "tab\tnew line\ncarriage\rbell\u{7}nul\u{0}del\u{7f}",
        "ünïcode € 日本 🛒 \u{2028}\u{2029}",
        "",
    ];
    let max = crate::money::MAX_CENTS;
    let cents = [
        0,
        1,
        5,
        10,
        99,
        100,
        2999,
        123_456_789,
        999_999_999_999,
        max,
    ];
    let mut events = one_of_each();
    for (i, text) in texts.iter().enumerate() {
        for &c in &cents {
            let mut product = product();
            product.product_name = Cow::Owned((*text).to_string());
            product.price = Money::from_cents(c);
            events.push(Event {
                user_id: Cow::Owned(format!("{text}{i}")),
                details: Details::Purchase {
                    order_id: Cow::Owned((*text).to_string()),
                    product,
                    quantity: u32::MAX,
                    total: Money::from_cents(c),
                    payment_method: PaymentMethod::Paypal,
                },
                ..event(Details::Logout)
            });
        }
        events.push(event(Details::ProfileUpdate {
            fields_updated: vec![Cow::Owned((*text).to_string()), "email".into()],
        }));
    }
    let mut buf = Vec::new();
    for event in &events {
        buf.clear();
        event.encode_into(&mut buf);
        let expected = serde_json::to_vec(event).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&buf),
            String::from_utf8_lossy(&expected)
        );
    }
}
