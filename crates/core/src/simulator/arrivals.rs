//! When sessions start in a free-running run: a non-homogeneous Poisson process whose rate
//! follows the behaviour model's daily and weekly curve in each region's local time, multiplied
//! by the campaigns on at the time. Drawn by thinning: candidates come at a rate that bounds the
//! real one, and each is kept with probability (rate now) / bound, which also picks its region.

use enum_map::EnumMap;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::behaviour::Traffic;
use crate::campaign::{self, Campaign};
use crate::vocab::Region;

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 24 * HOUR_MS;
const HOURS_A_WEEK: usize = 7 * 24;

/// One session start: when, and in which region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Arrival {
    pub at: i64,
    pub region: Region,
}

pub struct Arrivals {
    /// Per region, session starts per millisecond in each hour of its local week (Monday 0h
    /// first), campaigns aside.
    rates: EnumMap<Region, [f64; HOURS_A_WEEK]>,
    offsets_ms: EnumMap<Region, i64>,
    campaigns: Vec<Campaign>,
    /// At least the total rate at any time, campaigns included.
    bound: f64,
    /// Where the candidates' clock is, with its fraction of a millisecond.
    candidate_clock: f64,
    next: Arrival,
}

impl Arrivals {
    /// `users`: how many users each region has (its share of the traffic). Draws the first
    /// arrival after `start`.
    pub fn new(
        traffic: &Traffic,
        users: EnumMap<Region, usize>,
        campaigns: Vec<Campaign>,
        start: i64,
        rng: &mut ChaCha8Rng,
    ) -> Arrivals {
        let rates = week_rates(traffic, users);
        let peak_sum: f64 = rates
            .values()
            .map(|week| week.iter().copied().fold(0.0, f64::max))
            .sum();
        let campaign_bound: f64 = campaigns.iter().map(|c| c.factor.max(1.0)).product();
        let offsets_ms = EnumMap::from_fn(|region| {
            (traffic.utc_offset_hours[region] * HOUR_MS as f64).round() as i64
        });
        let mut arrivals = Arrivals {
            rates,
            offsets_ms,
            campaigns,
            bound: peak_sum * campaign_bound,
            candidate_clock: start as f64,
            next: Arrival {
                at: start,
                region: Region::North,
            },
        };
        arrivals.advance(rng);
        arrivals
    }

    /// The next session start.
    pub fn peek(&self) -> Arrival {
        self.next
    }

    /// Draws the session start after the current one.
    pub fn advance(&mut self, rng: &mut ChaCha8Rng) {
        loop {
            self.candidate_clock += exponential(rng) / self.bound;
            let at = self.candidate_clock as i64;
            let factor = campaign::factor_at(&self.campaigns, at);
            let mut pick = rng.random::<f64>() * self.bound;
            for (region, week) in &self.rates {
                let rate = week[hour_of_week(at + self.offsets_ms[region])] * factor;
                if pick < rate {
                    self.next = Arrival { at, region };
                    return;
                }
                pick -= rate;
            }
            // Thinned out: no session starts at this candidate.
        }
    }

    /// Session starts per millisecond in `region` at `at` (campaigns included).
    #[cfg(test)]
    pub fn rate(&self, region: Region, at: i64) -> f64 {
        self.rates[region][hour_of_week(at + self.offsets_ms[region])]
            * campaign::factor_at(&self.campaigns, at)
    }
}

/// An exponential variate of mean 1.
pub fn exponential(rng: &mut ChaCha8Rng) -> f64 {
    // 1 - u lies in (0, 1]: its logarithm is finite.
    -(1.0 - rng.random::<f64>()).ln()
}

/// The hour of the week of a local time in milliseconds, Monday 0h being 0.
pub fn hour_of_week(local_ms: i64) -> usize {
    let days = local_ms.div_euclid(DAY_MS);
    // 1970-01-01 was a Thursday, day 3 of a week that starts on Monday.
    let weekday = (days + 3).rem_euclid(7);
    let hour = local_ms.rem_euclid(DAY_MS) / HOUR_MS;
    (weekday * 24 + hour) as usize
}

/// Per region, session starts per millisecond in each local hour of the week: the day's rate
/// spread by the hourly and weekly curves (each scaled to average 1) and the region's share of
/// the users.
fn week_rates(
    traffic: &Traffic,
    users: EnumMap<Region, usize>,
) -> EnumMap<Region, [f64; HOURS_A_WEEK]> {
    let hourly_mean = traffic.hourly.iter().sum::<f64>() / 24.0;
    let weekly_mean = traffic.weekly.iter().sum::<f64>() / 7.0;
    let all_users = users.values().sum::<usize>().max(1) as f64;
    let per_ms = traffic.sessions_per_day / DAY_MS as f64;
    EnumMap::from_fn(|region| {
        let share = users[region] as f64 / all_users;
        let mut week = [0.0; HOURS_A_WEEK];
        for (index, rate) in week.iter_mut().enumerate() {
            let (day, hour) = (index / 24, index % 24);
            *rate = per_ms
                * share
                * (traffic.hourly[hour] / hourly_mean)
                * (traffic.weekly[day] / weekly_mean);
        }
        week
    })
}

#[cfg(test)]
mod tests {
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
}
