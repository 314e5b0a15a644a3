//! A run's plan, decided from the flags, the settings and the job before anything is sent: which
//! users and counts (a shard's share), the simulator's options, the pace and the expected rate.

use std::time::Duration;

use anyhow::Context;
use shopstream_core::behaviour::Behaviour;
use shopstream_core::campaign::Campaign;
use shopstream_core::population::{self, Shop, Sizes, Users};
use shopstream_core::shard::Shard;
use shopstream_core::simulator::{Quota, Quotas, SEEDED_EPOCH, SimulatorOptions};
use shopstream_core::{Timestamp, TopicKind};
use shopstream_kafka::Settings;

use super::pace_args::PaceArgs;
use super::pacer::Pacer;

/// Sessions a day when the behaviour model cannot be read (and is not needed).
const DEFAULT_SESSIONS_PER_DAY: f64 = 4000.0;

pub(super) struct Plan {
    /// The users (a shard's own) the simulator draws from.
    pub(super) shop: Shop<'static>,
    /// The users in the shop (all shards'), for the shard's line in the summary.
    pub(super) all_users: usize,
    pub(super) shard: Option<Shard>,
    /// The counts to write (a shard's share).
    pub(super) quotas: Quotas,
    /// The seed (a shard's own).
    pub(super) seed: Option<u64>,
    pub(super) options: SimulatorOptions,
    pub(super) pacer: Pacer,
    /// The events per second expected, for the display: 0 when as fast as the broker takes them.
    pub(super) shown_rate: f64,
    /// The events of the run, when it has counts.
    pub(super) total: Option<u64>,
}

/// The pace by event time: scale, history and where the simulated clock starts.
struct EventTime {
    scale: Option<f64>,
    backfill_ms: i64,
    /// Some exactly when the run goes by event time.
    start: Option<Timestamp>,
}

impl Plan {
    /// Checks the flags and reads the catalog and, when needed, the behaviour model.
    pub(super) fn new(
        settings: &Settings,
        pace: &PaceArgs,
        quotas: Quotas,
        targets: &[TopicKind],
    ) -> anyhow::Result<Plan> {
        let rate = rate(pace, settings, targets.len())?;
        let shard = match &pace.shard {
            Some(text) => Some(text.parse::<Shard>().context("--shard")?),
            None => None,
        };
        let (shop, users_from) = shop(settings, pace)?;
        let all_users = shop.users.len();
        let (shop, quotas, seed) = match shard {
            Some(shard) => (
                shard.shop(shop).context(users_from)?,
                shard.quotas(quotas),
                pace.seed.map(|seed| shard.seed(seed)),
            ),
            None => (shop, quotas, pace.seed),
        };
        let campaigns = pace
            .campaign
            .iter()
            .map(|text| text.parse::<Campaign>().context("--campaign"))
            .collect::<anyhow::Result<Vec<Campaign>>>()?;
        let time = event_time(pace, quotas, seed)?;
        let share = match (&shop.users, shard) {
            // A generated population's shards get an equal share (users split by a hash).
            (Users::Generated(_), Some(shard)) => 1.0 / f64::from(shard.count()),
            _ => shop.users.len() as f64 / all_users.max(1) as f64,
        };
        let (behaviour, sessions_per_day) = behaviour(settings, quotas, &time, share);
        let mut options = SimulatorOptions::new(seed, quotas).campaigns(campaigns);
        if let Some(behaviour) = behaviour {
            options = options.behaviour(behaviour?);
        }
        if let Some(start) = time.start {
            options = options.start(start);
        }
        let pacer = pacer(pace, rate, &time);
        // Lines when they come slowly enough to read: by event time, about ten events a session.
        let shown_rate = match &pacer {
            Pacer::EventTime { .. } if pace.backfill.is_some() => 0.0,
            Pacer::EventTime { scale, .. } => sessions_per_day * 10.0 * scale / 86_400.0,
            Pacer::Rate { .. } => rate,
        };
        Ok(Plan {
            shop,
            all_users,
            shard,
            quotas,
            seed,
            options,
            pacer,
            shown_rate,
            total: total(quotas, targets),
        })
    }

    /// "shard 2/3: 3 of the 10 users", for a line above the summary ("about 50000 of the
    /// 100000 users" for a generated population: its shards' users are not counted).
    pub(super) fn shard_line(&self) -> Option<String> {
        self.shard.map(|shard| match &self.shop.users {
            Users::Listed(users) => format!(
                "shard {shard}: {} of the {} users",
                users.len(),
                self.all_users
            ),
            Users::Generated(_) => format!(
                "shard {shard}: about {} of the {} users",
                self.all_users / shard.count() as usize,
                self.all_users
            ),
        })
    }
}

/// The shop: the files' products and users, or a generated catalog and population of the sizes
/// asked for (--products, --users, made on demand), with where the users come from for errors.
/// The population's seed is the run's --seed (UNSEEDED without one), taken before a shard
/// derives its own seed, so every shard of a run simulates the same shop.
fn shop(settings: &Settings, pace: &PaceArgs) -> anyhow::Result<(Shop<'static>, String)> {
    let sizes = Sizes {
        users: pace.users.unwrap_or(settings.shop_users),
        products: pace.products.unwrap_or(settings.shop_products),
    };
    let seed = pace.seed.unwrap_or(population::UNSEEDED);
    let shop = Shop::load_or_generate(&settings.products_file, &settings.users_file, seed, sizes)?;
    let users_from = match sizes.users {
        0 => settings.users_file.display().to_string(),
        users => format!("--users {users}"),
    };
    Ok((shop, users_from))
}

/// Events per second from --rate, or one event per EVENT_DELAY_MS per topic; 0: no limit.
fn rate(pace: &PaceArgs, settings: &Settings, topics: usize) -> anyhow::Result<f64> {
    Ok(match pace.rate {
        Some(rate) if rate.is_finite() && rate >= 0.0 => rate,
        Some(rate) => anyhow::bail!("--rate must be a number >= 0, not {rate}"),
        None if settings.event_delay_ms == 0 => 0.0,
        None => topics as f64 * 1000.0 / settings.event_delay_ms as f64,
    })
}

/// The pace by event time, when the run goes by it: asked for (--time-scale, --backfill,
/// --start), or a run without counts and without --rate (the shop's own pace).
fn event_time(pace: &PaceArgs, quotas: Quotas, seed: Option<u64>) -> anyhow::Result<EventTime> {
    let scale = match pace.time_scale {
        Some(x) if x.is_finite() && x > 0.0 => Some(x),
        Some(x) => anyhow::bail!("--time-scale must be a number above 0, not {x}"),
        None => None,
    };
    let by_event_time = scale.is_some()
        || pace.backfill.is_some()
        || pace.start.is_some()
        || (quotas.free_running() && pace.rate.is_none());
    let backfill_ms = pace
        .backfill
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let start = match pace.start {
        Some(start) => Some(start),
        None if !by_event_time => None,
        None if seed.is_some() => Some(Timestamp::from_millis(SEEDED_EPOCH)),
        None => Some(Timestamp::from_millis(
            Timestamp::now().millis().saturating_sub(backfill_ms),
        )),
    };
    Ok(EventTime {
        scale,
        backfill_ms,
        start,
    })
}

/// The behaviour model, read once: for the simulator of a run without counts (returned, with
/// its error, only then) and for the expected pace by event time (the sessions a day, scaled to
/// the share of the users).
fn behaviour(
    settings: &Settings,
    quotas: Quotas,
    time: &EventTime,
    share: f64,
) -> (Option<anyhow::Result<Behaviour>>, f64) {
    if !quotas.free_running() && time.start.is_none() {
        return (None, DEFAULT_SESSIONS_PER_DAY);
    }
    let mut behaviour = Behaviour::load(&settings.behaviour_file);
    if let Ok(behaviour) = &mut behaviour {
        // A shard's users bring their share of the shop's sessions.
        behaviour.traffic.sessions_per_day *= share;
    }
    let sessions_per_day = match &behaviour {
        Ok(behaviour) => behaviour.traffic.sessions_per_day,
        Err(_) => DEFAULT_SESSIONS_PER_DAY,
    };
    let for_simulator = quotas
        .free_running()
        .then(|| behaviour.map_err(anyhow::Error::from));
    (for_simulator, sessions_per_day)
}

fn pacer(pace: &PaceArgs, rate: f64, time: &EventTime) -> Pacer {
    match time.start {
        Some(start) => Pacer::EventTime {
            live_from: start.millis().saturating_add(time.backfill_ms),
            scale: time.scale.unwrap_or(1.0),
            ceiling: pace
                .rate
                .filter(|rate| *rate > 0.0)
                .map(|rate| Duration::from_secs_f64(1.0 / rate)),
            live: None,
        },
        None => Pacer::Rate {
            interval: (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate)),
        },
    }
}

/// The events of the run; None when a topic has no count.
fn total(quotas: Quotas, targets: &[TopicKind]) -> Option<u64> {
    targets
        .iter()
        .map(|&t| match quotas.get(t) {
            Quota::Exactly(n) => Some(n),
            Quota::Off => Some(0),
            Quota::Unlimited => None,
        })
        .sum()
}
