use super::*;

const TRUTH: &str = r#"{"start":"2026-01-01T00:00:00.000Z","end":"2026-01-01T00:01:00.000Z","closed":true,"events":5,"events_by_type":{"view":3,"purchase":1,"login":1},"orders":1,"revenue":29.99,"view_to_purchase":0.3333,"cart_to_purchase":0.0,"active_users":2,"too_late":0}
{"start":"2026-01-01T00:01:00.000Z","end":"2026-01-01T00:02:00.000Z","closed":true,"events":2,"events_by_type":{"view":2,"purchase":0,"login":0},"orders":0,"revenue":0.0,"view_to_purchase":0.0,"cart_to_purchase":0.0,"active_users":1,"too_late":0}
{"start":"2026-01-01T00:03:00.000Z","end":"2026-01-01T00:04:00.000Z","closed":true,"events":1,"events_by_type":{"view":1,"purchase":0,"login":0},"orders":0,"revenue":0.0,"view_to_purchase":0.0,"cart_to_purchase":0.0,"active_users":1,"too_late":0}
"#;

fn truth() -> BTreeMap<i64, Window> {
    read_windows("truth", TRUTH.lines()).unwrap()
}

fn compared(pipeline: &str, ignored: &[&str]) -> Comparison {
    let pipeline = read_windows("pipeline", pipeline.lines()).unwrap();
    let ignored: Vec<String> = ignored.iter().map(ToString::to_string).collect();
    compare(&truth(), &pipeline, &ignored).unwrap()
}

#[test]
fn the_truth_agrees_with_itself() {
    let comparison = compared(TRUTH, &[]);
    assert_eq!(comparison.matching, 3);
    assert!(comparison.agrees(), "{comparison:?}");
}

#[test]
fn another_engine_s_spelling_of_the_same_figures_agrees() {
    // Epoch milliseconds, revenue as a string, rates unrounded, a type left out as 0, a late
    // firing that corrects an earlier line.
    let pipeline = r#"{"start":1767225600000,"end":1767225660000,"events":4,"events_by_type":{"view":3},"orders":1,"revenue":"29.99","view_to_purchase":0.33333333,"cart_to_purchase":0,"active_users":2}
{"start":1767225600000,"end":1767225660000,"events":5,"events_by_type":{"view":3,"purchase":1,"login":1},"orders":1,"revenue":"29.99","view_to_purchase":0.33333333,"cart_to_purchase":0,"active_users":2}
{"start":"2026-01-01T00:01:00Z","end":"2026-01-01T00:02:00Z","events":2,"events_by_type":{"view":2},"orders":0,"revenue":0,"view_to_purchase":0,"cart_to_purchase":0,"active_users":1}
{"start":"2026-01-01T00:02:00Z","end":"2026-01-01T00:03:00Z","events":0,"orders":0}
{"start":"2026-01-01T00:03:00Z","end":"2026-01-01T00:04:00Z","events":1,"events_by_type":{"view":1},"orders":0,"revenue":0,"view_to_purchase":0,"cart_to_purchase":0,"active_users":1}"#;
    let comparison = compared(pipeline, &[]);
    assert_eq!(comparison.matching, 3, "{comparison:?}");
    assert!(comparison.agrees(), "{comparison:?}");
}

#[test]
fn every_wrong_field_is_named_with_both_values() {
    let pipeline = TRUTH
        .replace(
            r#""events":5,"events_by_type":{"view":3"#,
            r#""events":4,"events_by_type":{"view":2"#,
        )
        .replace(r#""revenue":29.99"#, r#""revenue":29.98"#);
    let comparison = compared(&pipeline, &[]);
    assert_eq!(comparison.matching, 2);
    let [window] = comparison.differing.as_slice() else {
        panic!("{comparison:?}");
    };
    assert_eq!(window.start, "2026-01-01T00:00:00.000Z");
    let fields: Vec<(&str, &str, &str)> = window
        .differences
        .iter()
        .map(|d| (d.field.as_str(), d.truth.as_str(), d.pipeline.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("events", "5", "4"),
            ("events_by_type.view", "3", "2"),
            ("revenue", "29.99", "29.98")
        ]
    );
}

#[test]
fn a_missing_window_is_an_error_but_one_not_closed_yet_is_not() {
    let first_two: String = TRUTH.lines().take(2).collect::<Vec<_>>().join("\n");
    let comparison = compared(&first_two, &[]);
    assert!(comparison.agrees());
    assert_eq!(comparison.not_yet_closed, ["2026-01-01T00:03:00.000Z"]);

    let without_second: String = TRUTH
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 1)
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n");
    let comparison = compared(&without_second, &[]);
    assert_eq!(comparison.differing.len(), 1);
    assert_eq!(comparison.differing[0].differences[0].pipeline, "missing");
}

#[test]
fn open_windows_and_windows_outside_the_truth_are_set_apart() {
    let pipeline = format!(
        "{}\n{}\n{}",
        TRUTH.lines().next().unwrap(),
        r#"{"start":"2025-12-31T23:59:00Z","events":9}"#,
        TRUTH
            .lines()
            .nth(1)
            .unwrap()
            .replace(r#""closed":true"#, r#""closed":false"#)
    );
    let comparison = compared(&pipeline, &[]);
    assert!(comparison.agrees(), "{comparison:?}");
    assert_eq!(comparison.matching, 1);
    assert_eq!(comparison.open, ["2026-01-01T00:01:00.000Z"]);
    assert_eq!(comparison.outside_truth, ["2025-12-31T23:59:00.000Z"]);
}

#[test]
fn events_in_a_window_the_truth_has_not_are_an_error() {
    let pipeline = format!(
        "{TRUTH}{}",
        r#"{"start":"2026-01-01T00:02:00Z","events":3}"#
    );
    let comparison = compared(&pipeline, &[]);
    assert_eq!(comparison.differing.len(), 1, "{comparison:?}");
    assert_eq!(comparison.differing[0].start, "2026-01-01T00:02:00.000Z");
}

#[test]
fn ignored_fields_are_not_compared_and_unknown_ones_are_refused() {
    let pipeline = TRUTH.replace(r#""active_users":2"#, r#""active_users":7"#);
    assert!(!compared(&pipeline, &[]).agrees());
    assert!(compared(&pipeline, &["active_users"]).agrees());
    let error = compare(&truth(), &truth(), &["users".to_string()]).unwrap_err();
    assert!(
        error.to_string().starts_with("unknown field \"users\""),
        "{error}"
    );
}

#[test]
fn reports_of_metrics_consumer_give_their_windows() {
    let windows: Vec<Value> = TRUTH
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let report = serde_json::json!({"report": "final", "events": 8, "windows": windows});
    let plain = serde_json::json!({"report": "periodic", "events": 1});
    let lines = [plain.to_string(), report.to_string()];
    let comparison = compare(&truth(), &read_windows("p", lines).unwrap(), &[]).unwrap();
    assert_eq!(comparison.matching, 3);
}

#[test]
fn bad_lines_are_named_by_source_and_number() {
    let error = read_windows("out.jsonl", ["", "{\"start\": 5}", "[1]"]).unwrap_err();
    assert_eq!(error.to_string(), "out.jsonl line 3: not a JSON object");
    let error = read_windows("out.jsonl", [r#"{"events": 5}"#]).unwrap_err();
    assert_eq!(error.to_string(), "out.jsonl line 1: start: missing");
    let error = read_windows("empty.jsonl", [""]).unwrap_err();
    assert_eq!(error, TruthError::Empty("empty.jsonl".to_string()));
}
