use super::*;

fn fields(text: &str) -> Option<Vec<String>> {
    let raw = read(text)?;
    let mut out = Vec::new();
    let texts = [
        ("event_id", &raw.event_id),
        ("event_type", &raw.event_type),
        ("user_id", &raw.user_id),
        ("product_name", &raw.product_name),
    ];
    for (name, value) in texts {
        if let Some(Text(v)) = value {
            out.push(format!("{name}={v}"));
        }
    }
    if let Some(price) = raw.price {
        out.push(format!("price={price}"));
    }
    if let Some(quantity) = raw.quantity {
        out.push(format!("quantity={quantity}"));
    }
    if let Some(list) = &raw.fields_updated {
        let list: Vec<&str> = list.iter().map(|t| t.0.as_ref()).collect();
        out.push(format!("fields_updated={}", list.join("|")));
    }
    Some(out)
}

#[test]
fn reads_compact_and_spaced_objects() {
    assert_eq!(
        fields(r#"{"event_type":"view","price":29.99,"quantity":3}"#).unwrap(),
        ["event_type=view", "price=29.99", "quantity=3"]
    );
    assert_eq!(
        fields("\t{ \"user_id\" : \"U007\",\n \"price\": 15.0 }\r\n").unwrap(),
        ["user_id=U007", "price=15"]
    );
    assert_eq!(
        fields(r#"{"fields_updated":[ "email" , "address" ],"price":7}"#).unwrap(),
        ["price=7", "fields_updated=email|address"]
    );
    assert_eq!(
        fields(r#"{"fields_updated":[]}"#).unwrap(),
        ["fields_updated="]
    );
    assert_eq!(
        fields(r#"{"product_name":"Caf\u00e9 \"ünïcode\"\\","price":0.05}"#).unwrap(),
        ["product_name=Café \"ünïcode\"\\", "price=0.05"]
    );
    assert_eq!(
        fields(r#"{"product_name":"ünïcode","price":0.05}"#).unwrap(),
        ["product_name=ünïcode", "price=0.05"]
    );
}

#[test]
fn leaves_everything_uncertain_to_the_general_reader() {
    let not_for_us = [
        "",
        "{}",
        "[]",
        r#"{"event_type":"view""#,
        r#"{"event_type":"view",}"#,
        r#"{"event_type":"view"} x"#,
        r#"{"event_type":"view"}}"#,
        r#"{"event_type":"a\"b}"#,
        r#"{"event_type":"a\qb"}"#,
        r#"{"event_\u0074ype":"view"}"#,
        "{\"event_type\":\"a\tb\"}",
        r#"{"event_type":null}"#,
        r#"{"event_type":"view","event_type":"view"}"#,
        r#"{"extra":"field"}"#,
        r#"{"event_type":3}"#,
        r#"{"price":"29.99"}"#,
        r#"{"price":-1}"#,
        r#"{"price":01.5}"#,
        r#"{"price":1.}"#,
        r#"{"price":1.234}"#,
        r#"{"price":1e2}"#,
        r#"{"price":12345678901}"#,
        r#"{"quantity":1.0}"#,
        r#"{"quantity":4294967296}"#,
        r#"{"quantity":00}"#,
        r#"{"fields_updated":["a",]}"#,
        r#"{"fields_updated":["a",1]}"#,
        r#"{"fields_updated":"a"}"#,
        r#"{"user_id":{"nested":"x"}}"#,
    ];
    for text in not_for_us {
        assert!(read(text).is_none(), "{text}");
    }
}

#[test]
fn finds_where_a_plain_string_ends_at_every_position() {
    for length in 0..40 {
        for at in 0..length {
            for (byte, other) in [(b'"', b'\\'), (b'\\', b'"'), (0x1f, b'"'), (0, 0)] {
                let mut bytes: Vec<u8> = (0..length)
                    .map(|i| if i % 2 == 0 { 0xa2 } else { 0xdc })
                    .collect();
                bytes[at] = byte;
                // A later match and bytes one off the needles never hide the first.
                if at + 1 < length {
                    bytes[at + 1] = other;
                }
                if at > 0 {
                    bytes[at - 1] = if byte < 0x20 { 0x20 } else { byte + 1 };
                }
                assert_eq!(find_string_end(&bytes), Some(at), "{length} {at}");
            }
        }
        // Bytes that are a needle but for the high bit, as in UTF-8 text ("¢" is C2 A2).
        let plain: Vec<u8> = (0..length)
            .map(|i| b" !#[]\x7f\xff\xa2\xdc\x80\x9c\xc2"[i % 12])
            .collect();
        assert_eq!(find_string_end(&plain), None);
    }
}

#[test]
fn amounts_are_the_nearest_f64_to_their_decimal() {
    for text in [
        "0",
        "0.5",
        "0.05",
        "29.99",
        "15.0",
        "9999999999.99",
        "1234.5",
    ] {
        let json = format!("{{\"price\":{text}}}");
        let raw = read(&json).unwrap();
        assert_eq!(raw.price, Some(text.parse::<f64>().unwrap()), "{text}");
    }
}
