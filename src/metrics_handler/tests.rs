use super::*;

#[test]
fn an_interval_is_due_once_a_period() {
    let mut interval = Interval::starting_now(Duration::from_millis(40));
    assert!(!interval.due(), "due before its first period passed");
    std::thread::sleep(Duration::from_millis(50));
    assert!(interval.due());
    assert!(!interval.due(), "due twice in one period");
    std::thread::sleep(Duration::from_millis(50));
    assert!(interval.due());
}

#[test]
fn a_zero_interval_is_always_due() {
    let mut interval = Interval::starting_now(Duration::ZERO);
    assert!(interval.due());
    assert!(interval.due());
}

#[test]
fn a_too_late_reason_names_the_window() {
    let at = Timestamp::from_millis(90_500); // 00:01:30.5
    assert_eq!(
        too_late_reason(at, Duration::from_secs(60)),
        format!(
            "too late: its event time {at} is in the window {} to {}, closed before it came",
            Timestamp::from_millis(60_000),
            Timestamp::from_millis(120_000)
        )
    );
    // A zero width is taken as 1 ms rather than dividing by zero.
    assert!(
        too_late_reason(at, Duration::ZERO).contains(&Timestamp::from_millis(90_501).to_string())
    );
}
