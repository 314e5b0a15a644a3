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
mod tests;
