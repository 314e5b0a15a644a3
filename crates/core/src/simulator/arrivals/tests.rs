use rand::SeedableRng;

use super::*;
use crate::behaviour::Behaviour;
use crate::simulator::SEEDED_EPOCH;

fn even_users() -> EnumMap<Region, usize> {
    EnumMap::from_fn(|_| 12)
}

#[test]
fn hours_of_the_week_start_on_monday() {
    // 2026-01-01 was a Thursday.
    assert_eq!(hour_of_week(SEEDED_EPOCH), 3 * 24);
    assert_eq!(hour_of_week(SEEDED_EPOCH + 4 * DAY_MS + 5 * HOUR_MS + 1), 5);
    assert_eq!(hour_of_week(SEEDED_EPOCH - 3 * DAY_MS), 0);
    assert_eq!(hour_of_week(-1), 3 * 24 - 1);
}

/// Over four simulated weeks, each region's session starts per local hour of the day follow
/// the configured hourly curve, within a few standard deviations.
#[test]
fn arrivals_follow_the_hourly_curve_in_each_region_s_local_time() {
    let behaviour = Behaviour::shipped().unwrap();
    let traffic = &behaviour.traffic;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut arrivals = Arrivals::new(traffic, even_users(), Vec::new(), SEEDED_EPOCH, &mut rng);
    let end = SEEDED_EPOCH + 28 * DAY_MS;
    let mut counts: EnumMap<Region, [u64; 24]> = EnumMap::default();
    let mut total = 0u64;
    while arrivals.peek().at < end {
        let Arrival { at, region } = arrivals.peek();
        let local = at + arrivals.offsets_ms[region];
        counts[region][(local.rem_euclid(DAY_MS) / HOUR_MS) as usize] += 1;
        total += 1;
        arrivals.advance(&mut rng);
    }
    // About the configured sessions per day.
    let per_day = total as f64 / 28.0;
    assert!(
        (per_day / traffic.sessions_per_day - 1.0).abs() < 0.03,
        "{per_day} sessions a day"
    );
    let hourly_sum: f64 = traffic.hourly.iter().sum();
    for (region, hours) in &counts {
        let region_total: u64 = hours.iter().sum();
        for (hour, &count) in hours.iter().enumerate() {
            let expected = region_total as f64 * traffic.hourly[hour] / hourly_sum;
            let sigma = expected.sqrt();
            assert!(
                (count as f64 - expected).abs() < 4.0 * sigma + 0.02 * expected,
                "{region} {hour}h: {count} session starts, expected {expected:.0}"
            );
            // Every local hour has traffic.
            assert!(count > 0, "{region} {hour}h");
        }
    }
    // Weekends busier than weekdays: Saturday and Sunday above the weekday average.
    let weekly = &traffic.weekly;
    assert!(weekly[5].min(weekly[6]) > weekly[..5].iter().sum::<f64>() / 5.0);
}

#[test]
fn a_campaign_multiplies_the_arrivals_while_it_is_on() {
    let behaviour = Behaviour::shipped().unwrap();
    let start = SEEDED_EPOCH;
    let campaign: Campaign = "2026-01-02T00:00:00Z/1d/3".parse().unwrap();
    let count = |campaigns: Vec<Campaign>| {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut arrivals =
            Arrivals::new(&behaviour.traffic, even_users(), campaigns, start, &mut rng);
        let mut on = 0u64;
        while arrivals.peek().at < start + 3 * DAY_MS {
            on += u64::from(campaign.is_on(arrivals.peek().at));
            arrivals.advance(&mut rng);
        }
        on
    };
    let (without, with) = (count(Vec::new()), count(vec![campaign]));
    let ratio = with as f64 / without as f64;
    assert!((2.8..3.2).contains(&ratio), "{with} / {without}");
    let rate = |campaigns: Vec<Campaign>, at: i64| {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        Arrivals::new(&behaviour.traffic, even_users(), campaigns, start, &mut rng)
            .rate(Region::East, at)
    };
    let on = campaign.start.millis() + HOUR_MS;
    let off = campaign.end_ms() + HOUR_MS;
    assert!((rate(vec![campaign], on) / rate(Vec::new(), on) - 3.0).abs() < 1e-9);
    assert_eq!(rate(vec![campaign], off), rate(Vec::new(), off));
}
