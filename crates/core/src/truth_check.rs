//! Another pipeline's windows compared with the ground truth of `--truth`, window by window and
//! field by field: counts exact, money to the cent, rates at the truth's four decimals.
//!
//! Both sides are JSON objects with the fields of a window (docs/formats.md): the truth file's
//! lines, and the pipeline's lines, either windows themselves or metrics-consumer reports
//! carrying a `windows` array. A pipeline that emits a window more than once (an update, a late
//! firing) is taken at its last line.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::money::Money;
use crate::timestamp::Timestamp;

/// The fields compared, in the order differences are listed.
pub const FIELDS: [&str; 8] = [
    "end",
    "events",
    "events_by_type",
    "orders",
    "revenue",
    "view_to_purchase",
    "cart_to_purchase",
    "active_users",
];

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TruthError {
    #[error("{source_name} line {line}: {message}")]
    Line {
        source_name: String,
        line: usize,
        message: String,
    },
    #[error("{0} holds no window")]
    Empty(String),
    #[error("unknown field {0:?} (fields: {fields})", fields = FIELDS.join(", "))]
    UnknownField(String),
}

/// One window as a side gives it: its start (ms since the epoch) and its fields.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub start: i64,
    pub fields: Map<String, Value>,
}

impl Window {
    fn closed(&self) -> bool {
        self.fields.get("closed").and_then(Value::as_bool) != Some(false)
    }
}

/// The windows of one side, by start: the last line for a start wins.
pub fn read_windows(
    source_name: &str,
    lines: impl IntoIterator<Item = impl AsRef<[u8]>>,
) -> Result<BTreeMap<i64, Window>, TruthError> {
    let mut windows = BTreeMap::new();
    for (index, line) in lines.into_iter().enumerate() {
        let line = line.as_ref();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let error = |message: String| TruthError::Line {
            source_name: source_name.to_string(),
            line: index + 1,
            message,
        };
        let value: Value = serde_json::from_slice(line).map_err(|e| error(e.to_string()))?;
        let objects = match &value {
            Value::Object(object) => match object.get("windows") {
                Some(Value::Array(inner)) => inner.clone(),
                // A report without windows (metrics-consumer without --window) has none to give.
                None if object.contains_key("report") => Vec::new(),
                _ => vec![value.clone()],
            },
            _ => return Err(error("not a JSON object".to_string())),
        };
        for object in objects {
            let Value::Object(fields) = object else {
                return Err(error("a window that is not a JSON object".to_string()));
            };
            let start = instant(fields.get("start")).map_err(|m| error(format!("start: {m}")))?;
            windows.insert(start, Window { start, fields });
        }
    }
    if windows.is_empty() {
        return Err(TruthError::Empty(source_name.to_string()));
    }
    Ok(windows)
}

/// A time as RFC 3339 text or Unix milliseconds.
fn instant(value: Option<&Value>) -> Result<i64, String> {
    match value {
        Some(Value::String(text)) => Timestamp::parse(text)
            .map(Timestamp::millis)
            .map_err(|e| format!("{text:?}: {e}")),
        Some(Value::Number(number)) => number
            .as_i64()
            .ok_or_else(|| format!("{number} is not whole milliseconds")),
        Some(other) => Err(format!("{other} is not a time")),
        None => Err("missing".to_string()),
    }
}

/// One field that differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldDifference {
    pub field: String,
    pub truth: String,
    pub pipeline: String,
}

/// A window of the truth whose figures the pipeline got wrong (or did not give).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowDifference {
    pub start: String,
    pub differences: Vec<FieldDifference>,
}

/// What the comparison found.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Comparison {
    /// Windows whose every compared field equals the truth.
    pub matching: usize,
    /// Windows that differ, oldest first: the only errors.
    pub differing: Vec<WindowDifference>,
    /// Windows the pipeline still marks open (`"closed": false`), not compared.
    pub open: Vec<String>,
    /// Truth windows after the pipeline's last window: not closed by the pipeline yet.
    pub not_yet_closed: Vec<String>,
    /// Pipeline windows before the truth's first window or after its last one.
    pub outside_truth: Vec<String>,
}

impl Comparison {
    pub fn agrees(&self) -> bool {
        self.differing.is_empty()
    }
}

/// Compares the pipeline's windows with the truth's, leaving out the `ignored` fields.
pub fn compare(
    truth: &BTreeMap<i64, Window>,
    pipeline: &BTreeMap<i64, Window>,
    ignored: &[String],
) -> Result<Comparison, TruthError> {
    if let Some(unknown) = ignored.iter().find(|f| !FIELDS.contains(&f.as_str())) {
        return Err(TruthError::UnknownField(unknown.clone()));
    }
    let fields: Vec<&str> = FIELDS
        .into_iter()
        .filter(|f| !ignored.iter().any(|i| i == f))
        .collect();
    let (first, last) = match (truth.keys().next(), truth.keys().next_back()) {
        (Some(first), Some(last)) => (*first, *last),
        _ => return Ok(Comparison::default()),
    };
    let pipeline_last = pipeline.keys().next_back().copied().unwrap_or(i64::MIN);
    let mut comparison = Comparison::default();
    for (start, theirs) in pipeline {
        let name = Timestamp::from_millis(*start).to_string();
        if *start < first || *start > last {
            comparison.outside_truth.push(name);
        } else if !theirs.closed() {
            comparison.open.push(name);
        } else if !truth.contains_key(start) && count(theirs, "events") != Some(0) {
            // The truth has no event in this window: the pipeline counted events that are not there.
            let differences = vec![FieldDifference {
                field: "events".to_string(),
                truth: "0 (no window)".to_string(),
                pipeline: shown(theirs.fields.get("events")),
            }];
            comparison.differing.push(WindowDifference {
                start: name,
                differences,
            });
        }
    }
    for (start, ours) in truth {
        let name = Timestamp::from_millis(*start).to_string();
        match pipeline.get(start) {
            Some(theirs) if !theirs.closed() => {}
            Some(theirs) => {
                let differences = differences(ours, theirs, &fields);
                if differences.is_empty() {
                    comparison.matching += 1;
                } else {
                    comparison.differing.push(WindowDifference {
                        start: name,
                        differences,
                    });
                }
            }
            None if *start > pipeline_last => comparison.not_yet_closed.push(name),
            None => comparison.differing.push(WindowDifference {
                start: name,
                differences: vec![FieldDifference {
                    field: "window".to_string(),
                    truth: format!("{} events", shown(ours.fields.get("events"))),
                    pipeline: "missing".to_string(),
                }],
            }),
        }
    }
    comparison.differing.sort_by(|a, b| a.start.cmp(&b.start));
    Ok(comparison)
}

fn count(window: &Window, field: &str) -> Option<u64> {
    window.fields.get(field).and_then(Value::as_u64)
}

fn shown(value: Option<&Value>) -> String {
    value.map_or_else(|| "missing".to_string(), Value::to_string)
}

/// The compared fields of one window that differ.
fn differences(truth: &Window, pipeline: &Window, fields: &[&str]) -> Vec<FieldDifference> {
    let mut found = Vec::new();
    for field in fields {
        let (ours, theirs) = (truth.fields.get(*field), pipeline.fields.get(*field));
        if *field == "events_by_type" {
            found.extend(type_differences(ours, theirs));
        } else if !same(field, ours, theirs) {
            found.push(FieldDifference {
                field: field.to_string(),
                truth: shown(ours),
                pipeline: shown(theirs),
            });
        }
    }
    found
}

/// Whether one field's values agree, as that field is compared.
fn same(field: &str, truth: Option<&Value>, pipeline: Option<&Value>) -> bool {
    let (Some(truth), Some(pipeline)) = (truth, pipeline) else {
        return false;
    };
    match field {
        "end" => instant(Some(truth)).ok() == instant(Some(pipeline)).ok(),
        "revenue" => cents(truth).is_some() && cents(truth) == cents(pipeline),
        "view_to_purchase" | "cart_to_purchase" => {
            let rate = |v: &Value| v.as_f64().map(|r| (r * 10_000.0).round() as i64);
            rate(truth).is_some() && rate(truth) == rate(pipeline)
        }
        _ => truth.as_u64().is_some() && truth.as_u64() == pipeline.as_u64(),
    }
}

/// An amount in whole cents, from a number or a decimal string.
fn cents(value: &Value) -> Option<i64> {
    let decimal = match value {
        Value::Number(number) => number.as_f64()?,
        Value::String(text) => text.trim().parse().ok()?,
        _ => return None,
    };
    Money::from_decimal(decimal).ok().map(Money::cents)
}

/// Events per type: a type the pipeline leaves out counts as 0.
fn type_differences(truth: Option<&Value>, pipeline: Option<&Value>) -> Vec<FieldDifference> {
    let empty = Map::new();
    let ours = truth.and_then(Value::as_object).unwrap_or(&empty);
    let Some(theirs) = pipeline.and_then(Value::as_object) else {
        return vec![FieldDifference {
            field: "events_by_type".to_string(),
            truth: shown(truth),
            pipeline: shown(pipeline),
        }];
    };
    let mut types: Vec<&String> = ours.keys().chain(theirs.keys()).collect();
    types.sort();
    types.dedup();
    types
        .into_iter()
        .filter_map(|kind| {
            let (a, b) = (ours.get(kind), theirs.get(kind));
            let number = |v: Option<&Value>| v.map_or(Some(0), Value::as_u64);
            (number(a) != number(b) || number(a).is_none()).then(|| FieldDifference {
                field: format!("events_by_type.{kind}"),
                truth: a.map_or_else(|| "0".to_string(), Value::to_string),
                pipeline: b.map_or_else(|| "0".to_string(), Value::to_string),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
