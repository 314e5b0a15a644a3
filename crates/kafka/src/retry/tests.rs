//! The schedule's decisions at given instants, and the loop's answers; nothing here waits.

use super::*;

const HOUR: Duration = Duration::from_secs(3600);

#[test]
fn until_allows_attempts_while_the_deadline_has_not_passed() {
    let start = Instant::now();
    let schedule = Schedule::until(start + HOUR).pausing(HOUR);
    assert!(schedule.allows_another(1, start));
    // The pause may run past the deadline: one attempt after it.
    assert!(schedule.allows_another(1, start + HOUR - Duration::from_secs(1)));
    assert!(!schedule.allows_another(1, start + HOUR));
}

#[test]
fn within_allows_an_attempt_only_when_its_pause_ends_before_the_deadline() {
    let start = Instant::now();
    let schedule = Schedule::within(start + HOUR).pausing(Duration::from_secs(60));
    assert!(schedule.allows_another(1, start));
    assert!(!schedule.allows_another(1, start + HOUR - Duration::from_secs(60)));
    assert!(!schedule.allows_another(1, start + HOUR));
}

#[test]
fn attempts_counts_every_attempt_made() {
    let schedule = Schedule::attempts(3);
    let now = Instant::now();
    assert!(schedule.allows_another(1, now));
    assert!(schedule.allows_another(2, now));
    assert!(!schedule.allows_another(3, now));
}

#[test]
fn an_attempt_is_told_its_number_and_the_time_left() {
    let start = Instant::now();
    let attempt = Schedule::until(start + HOUR).attempt(2, start);
    assert_eq!(
        attempt,
        Attempt {
            number: 2,
            left: HOUR
        }
    );
    assert!(!attempt.is_first());
    assert_eq!(
        Schedule::until(start).attempt(0, start + HOUR).left,
        Duration::ZERO
    );
    assert_eq!(Schedule::attempts(1).attempt(0, start).left, Duration::MAX);
}

#[test]
fn run_tries_again_until_an_attempt_succeeds() {
    let mut retried = Vec::new();
    let answer = run(
        Schedule::until(Instant::now() + HOUR),
        |attempt| {
            if attempt.number < 3 {
                Err(Retry::Again(attempt.number))
            } else {
                Ok("answer")
            }
        },
        |error| retried.push(*error),
    );
    assert_eq!(answer, Ok("answer"));
    assert_eq!(retried, [0, 1, 2]);
}

#[test]
fn run_returns_a_stopping_error_at_once() {
    let mut attempts = 0;
    let answer: Result<(), &str> = run(
        Schedule::until(Instant::now() + HOUR),
        |_| {
            attempts += 1;
            Err(Retry::Stop("refused"))
        },
        quietly,
    );
    assert_eq!(answer, Err("refused"));
    assert_eq!(attempts, 1);
}

#[test]
fn question_mark_in_an_attempt_stops() {
    let parse = |_: Attempt| -> Result<i32, Retry<std::num::ParseIntError>> { Ok("x".parse()?) };
    let mut attempts = 0;
    let answer = run(
        Schedule::attempts(5),
        |attempt| {
            attempts += 1;
            parse(attempt)
        },
        quietly,
    );
    assert!(answer.is_err());
    assert_eq!(attempts, 1);
}

#[test]
fn run_returns_the_last_error_when_the_schedule_ends() {
    let mut retried = 0;
    let answer: Result<(), u32> = run(
        Schedule::attempts(4),
        |attempt| Err(Retry::Again(attempt.number)),
        |_| retried += 1,
    );
    assert_eq!(answer, Err(3));
    assert_eq!(retried, 3, "the last error is returned, not retried");
    let past: Result<(), u32> = run(
        Schedule::until(Instant::now()),
        |attempt| Err(Retry::Again(attempt.number)),
        quietly,
    );
    assert_eq!(past, Err(0), "one attempt, even with the deadline passed");
}

#[test]
fn run_async_follows_the_same_schedule() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime");
    let mut seen = Vec::new();
    let answer = runtime.block_on(run_async(
        Schedule::attempts(5),
        async |attempt| {
            seen.push(attempt.number);
            if attempt.number < 2 {
                Err(Retry::Again("not yet"))
            } else {
                Ok(attempt.number)
            }
        },
        quietly,
    ));
    assert_eq!(answer, Ok(2));
    assert_eq!(seen, [0, 1, 2]);
    let stopped: Result<(), &str> = runtime.block_on(run_async(
        Schedule::attempts(5),
        async |_| Err(Retry::Stop("refused")),
        quietly,
    ));
    assert_eq!(stopped, Err("refused"));
}
