//! metrics-consumer --checkpoint's files: a snapshot (PATH) and a log of commits (PATH.log),
//! resumed exactly, removed by --reset; version 2 checkpoints (one JSON file) taken up. Killed
//! runs are in consumers.rs (killed_again_and_again_with_a_checkpoint_the_final_figures_are_exact).

use std::path::Path;

use serde_json::Value;

use crate::util::*;

/// The business figures of a metrics-consumer JSON report (without where-it-stands fields).
fn figures(report: &Value) -> Value {
    let mut figures = report.clone();
    let object = figures.as_object_mut().unwrap();
    for key in ["report", "group", "lag"] {
        object.remove(key);
    }
    figures
}

/// The final report of a metrics-consumer run with `--checkpoint path` and `extra`.
fn run_with_checkpoint(topics: &TopicSet, path: &Path, extra: &[&str]) -> Value {
    let output = run_ok(
        tool("metrics-consumer", topics)
            .args(["--json", "--group", &unique("checkpoint-files")])
            .args(["--from-beginning", "--checkpoint", path.to_str().unwrap()])
            .args(extra),
    );
    let last = json_lines(&output).last().expect("a final report").clone();
    assert_eq!(last["report"], "final", "{last}");
    last
}

fn log_of(path: &Path) -> std::path::PathBuf {
    path.with_file_name("metrics.checkpoint.log")
}

#[test]
fn a_checkpoint_is_a_snapshot_and_a_log_resumed_exactly_and_reset_removes_both() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("checkpoint-files", 17, (3000, 600, 1200));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.checkpoint");
    let first = run_with_checkpoint(
        &topics,
        &path,
        &["--max-messages", "2000", "--commit-every", "100"],
    );
    assert_eq!(first["events"], 2000);
    let snapshot = std::fs::read(&path).unwrap();
    assert!(snapshot.starts_with(b"ShopStream checkpoint\n"));
    let log = std::fs::read(log_of(&path)).unwrap();
    assert!(log.starts_with(b"ShopStream checkpoint log\n"));
    assert!(
        log.len() > 1000,
        "about 20 commits appended, {} bytes",
        log.len()
    );
    let expected = figures(&expected_report(&topics));
    let resumed = run_with_checkpoint(&topics, &path, &["--timeout", "4s"]);
    assert_eq!(resumed["events"], 4800, "every event exactly once");
    assert_eq!(figures(&resumed), expected);

    // --reset forgets both files (and a temporary one a kill left): all counted again, once.
    std::fs::write(dir.path().join("metrics.checkpoint.tmp"), b"partial").unwrap();
    let again = run_with_checkpoint(&topics, &path, &["--timeout", "4s", "--reset"]);
    assert_eq!(figures(&again), expected);
    assert!(!dir.path().join("metrics.checkpoint.tmp").exists());
    assert!(std::fs::read(&path).unwrap() != snapshot, "a new snapshot");
}

#[test]
fn a_version_2_checkpoint_goes_on_in_the_current_format() {
    if skip_without_broker() {
        return;
    }
    let (topics, _cleanup) = topics_with_events("checkpoint-v2", 19, (600, 120, 240));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("metrics.checkpoint");
    // A version 2 checkpoint (the whole engine in one JSON file) of one rejected message and no
    // offsets: the run counts every event on top of it.
    let mut engine = shopstream_core::metrics::MetricsEngine::new();
    engine.record_rejected(&shopstream_core::decode::DecodeError::Empty);
    let old = serde_json::json!({
        "version": 2,
        "topics": [&topics.product_events, &topics.purchases, &topics.user_events],
        "offsets": {},
        "engine": engine,
    });
    std::fs::write(&path, serde_json::to_vec(&old).unwrap()).unwrap();
    let report = run_with_checkpoint(&topics, &path, &["--timeout", "4s"]);
    let expected = expected_report(&topics);
    assert_eq!(report["events"], expected["events"]);
    assert_eq!(
        report["rejected"].as_u64().unwrap(),
        expected["rejected"].as_u64().unwrap() + 1,
        "the old checkpoint's figures go on"
    );
    assert!(
        std::fs::read(&path)
            .unwrap()
            .starts_with(b"ShopStream checkpoint\n")
    );
    let resumed = run_with_checkpoint(&topics, &path, &["--timeout", "3s"]);
    assert_eq!(figures(&resumed), figures(&report), "nothing counted twice");
}
