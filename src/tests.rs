use super::*;

#[test]
fn durations_accept_bare_seconds_and_units() {
    assert_eq!(parse_duration("10"), Ok(Duration::from_secs(10)));
    assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
    assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
    assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
    assert!(parse_duration("-1").is_err());
    assert!(parse_duration("soon").is_err());
}

#[test]
fn a_closed_output_is_recognised_under_context() {
    let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
    assert!(is_broken_pipe(&anyhow::Error::new(pipe).context("writing")));
    let other = std::io::Error::from(std::io::ErrorKind::NotFound);
    assert!(!is_broken_pipe(&anyhow::Error::new(other)));
}

#[test]
fn an_error_is_one_line_without_repeating_its_causes() {
    let io = std::io::Error::new(std::io::ErrorKind::NotFound, "gone");
    let error = anyhow::Error::new(io).context("x.json: cannot read");
    assert_eq!(one_line(&error), "x.json: cannot read: gone");
    let error = anyhow::anyhow!("inner\nproblem").context("outer");
    assert_eq!(one_line(&error), "outer: inner problem");
}

#[test]
fn no_color_turns_colour_off_only_when_it_holds_something() {
    assert!(colour_allowed(None));
    assert!(colour_allowed(Some(OsStr::new(""))));
    assert!(!colour_allowed(Some(OsStr::new("1"))));
    assert!(!colour_allowed(Some(OsStr::new("false"))));
}
