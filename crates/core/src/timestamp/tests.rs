use super::*;
use chrono::SecondsFormat;

#[test]
fn formats_like_chrono_rfc3339_millis() {
    for millis in [0, 1, 999, 1_764_247_399_123, 951_782_400_000, MAX_MILLIS] {
        let expected = DateTime::<Utc>::from_timestamp_millis(millis)
            .unwrap()
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        assert_eq!(Timestamp::from_millis(millis).to_string(), expected);
    }
}

#[test]
fn the_fast_path_agrees_with_chrono() {
    let mut millis = 0;
    while millis < MAX_MILLIS {
        let text = Timestamp::from_millis(millis).to_string();
        assert_eq!(Timestamp::parse_canonical(&text), Some(Timestamp(millis)));
        millis += 7_777_777_777;
    }
    for text in [
        "2025-02-29T00:00:00.000Z",
        "2024-02-30T00:00:00.000Z",
        "2024-13-01T00:00:00.000Z",
        "2024-01-01T24:00:00.000Z",
        "2024-01-01T23:60:00.000Z",
        "2024-01-01T23:59:60.000Z",
        "1969-12-31T23:59:59.999Z",
    ] {
        assert_eq!(Timestamp::parse_canonical(text), None, "{text}");
    }
    assert_eq!(
        Timestamp::parse_canonical("2024-02-29T23:59:59.999Z"),
        Some(Timestamp(1_709_251_199_999))
    );
}

#[test]
fn parses_what_it_writes_and_offsets() {
    let ts = Timestamp::from_millis(1_764_247_399_123);
    assert_eq!(Timestamp::parse(&ts.to_string()), Ok(ts));
    assert_eq!(
        Timestamp::parse("2025-11-27T13:43:19.123+01:00"),
        Ok(Timestamp::from_millis(1_764_247_399_123))
    );
    assert!(matches!(
        Timestamp::parse("yesterday"),
        Err(TimestampError::Syntax(_))
    ));
    assert_eq!(
        Timestamp::parse("1969-12-31T23:59:59Z"),
        Err(TimestampError::OutOfRange)
    );
}
