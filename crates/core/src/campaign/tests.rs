use super::*;

#[test]
fn campaigns_parse_from_start_duration_factor() {
    let campaign: Campaign = "2026-01-01T18:00:00Z/2h/3".parse().unwrap();
    assert_eq!(
        campaign,
        Campaign {
            start: Timestamp::parse("2026-01-01T18:00:00Z").unwrap(),
            duration_ms: 7_200_000,
            factor: 3.0,
        }
    );
    assert!(campaign.is_on(campaign.start.millis()));
    assert!(campaign.is_on(campaign.end_ms() - 1));
    assert!(!campaign.is_on(campaign.end_ms()));
    assert!(!campaign.is_on(campaign.start.millis() - 1));
    let half: Campaign = " 2026-03-01T00:00:00.500Z / 1d12h30m / 0.5 "
        .parse()
        .unwrap();
    assert_eq!(half.duration_ms, ((36 * 60) + 30) * 60_000);
    assert_eq!(half.factor, 0.5);
    // Read back from its own display.
    assert_eq!(campaign.to_string().parse::<Campaign>().unwrap(), campaign);
}

#[test]
fn overlapping_campaigns_multiply() {
    let a: Campaign = "2026-01-01T00:00:00Z/2h/3".parse().unwrap();
    let b: Campaign = "2026-01-01T01:00:00Z/2h/2".parse().unwrap();
    let at = |t: &str| factor_at(&[a, b], Timestamp::parse(t).unwrap().millis());
    assert_eq!(at("2026-01-01T00:30:00Z"), 3.0);
    assert_eq!(at("2026-01-01T01:30:00Z"), 6.0);
    assert_eq!(at("2026-01-01T02:30:00Z"), 2.0);
    assert_eq!(at("2026-01-01T03:30:00Z"), 1.0);
}

#[test]
fn bad_campaigns_say_which_part_is_wrong() {
    let error = |text: &str| text.parse::<Campaign>().unwrap_err();
    for shape in [
        "",
        "2026-01-01T18:00:00Z",
        "2026-01-01T18:00:00Z/2h",
        "a/b/c/d",
    ] {
        assert!(
            matches!(error(shape), CampaignError::Shape { .. }),
            "{shape}"
        );
    }
    assert!(matches!(
        error("yesterday/2h/3"),
        CampaignError::Start { .. }
    ));
    for duration in ["0h", "2", "h", "2x", "-1h", "1.5h", ""] {
        let text = format!("2026-01-01T18:00:00Z/{duration}/3");
        assert_eq!(
            error(&text),
            CampaignError::Duration {
                text: text.clone(),
                duration: duration.to_string()
            }
        );
    }
    for factor in ["0", "-2", "x", "101", "NaN", "inf"] {
        let text = format!("2026-01-01T18:00:00Z/2h/{factor}");
        assert!(
            matches!(error(&text), CampaignError::Factor { .. }),
            "{factor}"
        );
    }
    assert_eq!(
        error("2026-01-01T18:00:00Z/2h/0").to_string(),
        "campaign \"2026-01-01T18:00:00Z/2h/0\": the factor \"0\" is not a number above 0 and at most 100"
    );
}
