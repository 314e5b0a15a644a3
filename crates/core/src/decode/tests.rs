use serde_json::{Value, json};

use super::*;
use crate::event::tests::one_of_each;

fn valid_purchase() -> Value {
    serde_json::from_str(&one_of_each()[3].to_json()).unwrap()
}

fn reject(value: &[u8]) -> DecodeError {
    decode(value, None).expect_err("must be rejected")
}

fn reject_json(value: &Value) -> DecodeError {
    reject(value.to_string().as_bytes())
}

#[test]
fn rejects_what_is_not_a_json_object_with_its_reason() {
    assert_eq!(reject(b""), DecodeError::Empty);
    assert_eq!(
        reject(b"{\"a\":\"\xff\"}"),
        DecodeError::InvalidUtf8 { offset: 6 }
    );
    assert!(matches!(reject(b"{not json"), DecodeError::InvalidJson(_)));
    assert!(matches!(
        reject(b"{\"event_type\":\"view\"} trailing"),
        DecodeError::InvalidJson(_)
    ));
    assert_eq!(reject(b"[1,2,3]"), DecodeError::NotAnObject);
    assert_eq!(reject(b"\"text\""), DecodeError::NotAnObject);

    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(reject(deep.as_bytes()), DecodeError::NotAnObject);
    let deep_field = format!("{{\"x\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    assert_eq!(
        reject(deep_field.as_bytes()),
        DecodeError::MissingField("event_type")
    );
}

#[test]
fn rejects_a_wrong_type_a_missing_field_or_an_unknown_event_type() {
    let mut wrong_type = valid_purchase();
    wrong_type["quantity"] = json!("two");
    assert!(
        matches!(reject_json(&wrong_type), DecodeError::WrongType { field, .. } if field == "quantity")
    );

    let mut out_of_range = valid_purchase();
    out_of_range["quantity"] = json!(5_000_000_000u64);
    assert!(
        matches!(reject_json(&out_of_range), DecodeError::WrongType { field, .. } if field == "quantity")
    );

    let mut missing = valid_purchase();
    missing.as_object_mut().unwrap().remove("payment_method");
    assert_eq!(
        reject_json(&missing),
        DecodeError::MissingField("payment_method")
    );

    let mut null_field = valid_purchase();
    null_field["user_id"] = Value::Null;
    assert_eq!(
        reject_json(&null_field),
        DecodeError::MissingField("user_id")
    );

    let mut unknown = valid_purchase();
    unknown["event_type"] = json!("refund");
    assert_eq!(
        reject_json(&unknown),
        DecodeError::UnknownEventType("refund".into())
    );
}

#[test]
fn rejects_a_value_out_of_its_range_naming_the_field() {
    let mut bad_total = valid_purchase();
    bad_total["total"] = json!(10.0);
    assert!(matches!(
        reject_json(&bad_total),
        DecodeError::InvalidValue { field: "total", .. }
    ));

    let mut negative = valid_purchase();
    negative["price"] = json!(-1.0);
    assert!(matches!(
        reject_json(&negative),
        DecodeError::InvalidValue { field: "price", .. }
    ));

    let mut zero = valid_purchase();
    zero["quantity"] = json!(0);
    assert!(matches!(
        reject_json(&zero),
        DecodeError::InvalidValue {
            field: "quantity",
            ..
        }
    ));

    let mut bad_region = valid_purchase();
    bad_region["region"] = json!("Mars");
    assert!(matches!(
        reject_json(&bad_region),
        DecodeError::InvalidValue {
            field: "region",
            ..
        }
    ));

    let mut bad_id = valid_purchase();
    bad_id["event_id"] = json!("not-a-uuid");
    assert!(matches!(
        reject_json(&bad_id),
        DecodeError::InvalidValue {
            field: "event_id",
            ..
        }
    ));

    let mut bad_time = valid_purchase();
    bad_time["timestamp"] = json!("yesterday");
    assert!(matches!(
        reject_json(&bad_time),
        DecodeError::InvalidValue {
            field: "timestamp",
            ..
        }
    ));

    let mut huge = valid_purchase();
    huge["user_id"] = json!("U".repeat(2000));
    assert!(matches!(
        reject_json(&huge),
        DecodeError::InvalidValue {
            field: "user_id",
            ..
        }
    ));
}

#[test]
fn rejects_an_event_on_the_wrong_topic() {
    let json = one_of_each()[3].to_json();
    assert_eq!(
        decode(json.as_bytes(), Some(TopicKind::UserEvents)),
        Err(DecodeError::WrongTopic {
            event_type: EventType::Purchase,
            topic: TopicKind::UserEvents
        })
    );
}

/// Every input of the fuzzer's minimized corpora (fuzz/regressions/decode.hex): never a panic,
/// both readers agree, and what is accepted encodes back to itself.
#[test]
fn fuzz_corpus_regressions() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/regressions/decode.hex"
    );
    let corpus = std::fs::read_to_string(path).unwrap();
    let inputs: Vec<Vec<u8>> = corpus
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| hex::decode(l).unwrap())
        .collect();
    assert!(inputs.len() > 1000);
    for input in &inputs {
        assert_same_as_general(input);
        if let Ok(event) = decode(input, None) {
            let json = event.to_json();
            assert_eq!(decode(json.as_bytes(), Some(event.topic())).unwrap(), event);
        }
    }
}

#[test]
fn reasons_read_well() {
    assert_eq!(
        DecodeError::MissingField("total").to_string(),
        "missing field `total`"
    );
    let mut wrong_type = valid_purchase();
    wrong_type["quantity"] = json!("two");
    assert_eq!(
        reject_json(&wrong_type).to_string(),
        "field `quantity` has the wrong type: invalid type: string \"two\", expected u32"
    );
}

/// Both readers give the same answer: the same event or the same reason.
fn assert_same_as_general(input: &[u8]) {
    assert_eq!(
        decode(input, None),
        decode_general(input, None),
        "{}",
        String::from_utf8_lossy(input)
    );
}

#[test]
fn the_flat_reader_takes_every_simulated_event() {
    use crate::simulator::{Quota, Quotas, Simulator};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let catalog = crate::Catalog::load(
        &root.join("data/products.json"),
        &root.join("data/users.json"),
    )
    .unwrap();
    let quotas = Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Unlimited,
        user_events: Quota::Unlimited,
    };
    let mut simulator = Simulator::new(&catalog, Some(7), quotas).unwrap();
    let mut escaped = 0;
    for _ in 0..20_000 {
        let json = simulator.next_event().unwrap().to_json();
        let flat = flat::read(&json);
        assert!(flat.is_some(), "{json}");
        escaped += usize::from(json.contains('\\'));
        assert_same_as_general(json.as_bytes());
    }
    assert!(escaped > 0, "some names have escaped quotes");
}

/// Every one-byte change of one event of each type (replaced by a byte that matters to JSON,
/// deleted, or doubled) is decoded alike by both readers.
#[test]
fn both_readers_agree_on_every_one_byte_change() {
    let replacements = b" \t\"\\,:{}[]0159.-eEnx\x00\x7f";
    for event in one_of_each() {
        let json = event.to_json().into_bytes();
        for at in 0..json.len() {
            for &byte in replacements {
                let mut changed = json.clone();
                changed[at] = byte;
                assert_same_as_general(&changed);
            }
            let mut deleted = json.clone();
            deleted.remove(at);
            assert_same_as_general(&deleted);
            let mut doubled = json.clone();
            doubled.insert(at, json[at]);
            assert_same_as_general(&doubled);
        }
    }
}

/// Python's json.dumps writes `{"a": 1, "b": ["x", "y"]}`, and pretty printers break lines; the
/// flat reader takes both.
#[test]
fn the_flat_reader_takes_the_python_demo_spacing_and_pretty_printing() {
    fn python_dumps(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let fields: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), python_dumps(v)))
                    .collect();
                format!("{{{}}}", fields.join(", "))
            }
            Value::Array(items) => {
                let items: Vec<String> = items.iter().map(python_dumps).collect();
                format!("[{}]", items.join(", "))
            }
            other => other.to_string(),
        }
    }
    for event in one_of_each() {
        let value: Value = serde_json::from_str(&event.to_json()).unwrap();
        let python = python_dumps(&value);
        assert!(
            python.contains(", \"") && python.contains("\": "),
            "{python}"
        );
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        for spaced in [python, pretty] {
            assert!(flat::read(&spaced).is_some(), "{spaced}");
            assert_eq!(decode(spaced.as_bytes(), None).unwrap(), event);
        }
    }
}
