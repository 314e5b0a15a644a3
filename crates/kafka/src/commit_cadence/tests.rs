use super::*;

#[test]
fn a_commit_is_due_after_every_messages() {
    let cadence = CommitCadence::new(100);
    assert!(!cadence.due(99, Duration::ZERO));
    assert!(cadence.due(100, Duration::ZERO));
    assert!(cadence.due(101, Duration::ZERO));
}

#[test]
fn a_commit_is_due_a_second_after_the_last_whatever_the_count() {
    let cadence = CommitCadence::new(100);
    assert!(!cadence.due(1, Duration::from_millis(999)));
    assert!(cadence.due(1, Duration::from_secs(1)));
    assert!(cadence.due(0, Duration::from_secs(1)));
    assert!(!cadence.overdue(Duration::from_millis(999)));
    assert!(cadence.overdue(Duration::from_secs(1)));
}

#[test]
fn every_message_with_every_one() {
    let cadence = CommitCadence::new(1);
    assert!(cadence.due(1, Duration::ZERO));
    assert_eq!(cadence.longest_wait, LONGEST_WAIT);
}
