use std::collections::{HashMap, HashSet};

use super::{Shard, ShardError, shard_of};
use crate::catalog::Catalog;
use crate::event::{Details, Event};
use crate::population::fnv1a64;
use crate::simulator::{Quota, Quotas, Simulator};
use crate::stories;
use crate::vocab::{PerTopic, TopicKind};

fn catalog() -> Catalog {
    crate::catalog::shipped()
}

fn shard(index: u32, count: u32) -> Shard {
    Shard::new(index, count).unwrap()
}

fn all(product_events: u64, purchases: u64, user_events: u64) -> Quotas {
    Quotas {
        product_events: Quota::from_count(product_events),
        purchases: Quota::from_count(purchases),
        user_events: Quota::from_count(user_events),
    }
}

/// Every event of shard `shard` of a seeded run with these total quotas, as its producer
/// would write them.
fn run_shard(shard: Shard, seed: u64, totals: Quotas) -> Vec<Event<'static>> {
    let catalog = shard.catalog(catalog()).unwrap();
    let mut simulator = Simulator::new(&catalog, Some(shard.seed(seed)), shard.quotas(totals))
        .unwrap_or_else(|e| panic!("shard {shard}: {e}"));
    let mut events = Vec::new();
    while let Some(event) = simulator.next_event() {
        events.push(event.into_owned());
    }
    events
}

fn count_by_topic(events: &[Event<'_>]) -> PerTopic<u64> {
    let mut counts = PerTopic::default();
    for event in events {
        counts[event.topic()] += 1;
    }
    counts
}

#[test]
fn shards_parse_from_i_of_n_and_print_back() {
    assert_eq!("2/3".parse(), Ok(shard(2, 3)));
    assert_eq!(" 1 / 1 ".parse(), Ok(shard(1, 1)));
    assert_eq!(shard(2, 3).to_string(), "2/3");
    for bad in [
        "0/3", "4/3", "1/0", "x", "3", "", "/", "1/2/3", "-1/3", "a/b", "2/3x",
    ] {
        assert_eq!(
            bad.parse::<Shard>(),
            Err(ShardError::Malformed {
                text: bad.to_string()
            }),
            "{bad}"
        );
    }
    assert_eq!(
        "0/3".parse::<Shard>().unwrap_err().to_string(),
        "expected I/N with 1 <= I <= N, e.g. 2/3, not '0/3'"
    );
}

#[test]
fn the_user_rule_is_fnv1a_of_the_id_and_stays_fixed() {
    // Published FNV-1a 64 test vectors.
    assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
    assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    assert_eq!(fnv1a64(b"U001"), 0xb5f6_fdf1_2ddd_bab3);
    let ids = [
        "U001", "U002", "U003", "U004", "U005", "U006", "U007", "U008",
    ];
    let assignment = |count| ids.map(|id| shard_of(id, count));
    assert_eq!(assignment(1), [1; 8]);
    assert_eq!(assignment(2), [2, 1, 2, 1, 2, 1, 2, 1]);
    assert_eq!(assignment(3), [2, 3, 1, 2, 3, 1, 2, 3]);
    assert_eq!(assignment(5), [3, 4, 5, 1, 2, 3, 4, 5]);
}

#[test]
fn shards_are_disjoint_cover_every_user_and_ignore_the_files_order() {
    let everyone: Vec<String> = catalog().users.into_iter().map(|u| u.user_id).collect();
    for count in 1..=9 {
        let mut seen: HashMap<String, u32> = HashMap::new();
        for index in 1..=count {
            let mine = shard(index, count).catalog(catalog()).unwrap();
            for user in mine.users {
                assert_eq!(seen.insert(user.user_id.clone(), index), None, "{count}");
            }
        }
        assert_eq!(seen.len(), everyone.len(), "shards of {count} miss users");
        // The same users land in the same shards when the file lists them in another order.
        let mut reversed = catalog();
        reversed.users.reverse();
        for index in 1..=count {
            let mine = shard(index, count).catalog(catalog()).unwrap();
            let mine: HashSet<String> = mine.users.into_iter().map(|u| u.user_id).collect();
            let from_reversed: HashSet<String> = shard(index, count)
                .catalog(Catalog {
                    products: catalog().products,
                    users: reversed.users.clone(),
                })
                .unwrap()
                .users
                .into_iter()
                .map(|u| u.user_id)
                .collect();
            assert_eq!(mine, from_reversed);
        }
    }
}

#[test]
fn a_shard_without_users_is_an_error_naming_it() {
    let mut lonely = catalog();
    // U001 falls in shard 2 of 3 (see the fixed assignment above).
    lonely.users.retain(|u| u.user_id == "U001");
    let error = shard(1, 3).catalog(lonely).unwrap_err();
    assert_eq!(
        error,
        ShardError::NoUsers {
            shard: shard(1, 3),
            users: 1
        }
    );
    assert_eq!(
        error.to_string(),
        "shard 1/3 gets none of the 1 users (users are split by a hash of their user_id): run fewer shards"
    );
}

#[test]
fn counts_split_exactly() {
    let mut totals: Vec<u64> = (0..300).collect();
    totals.extend([1_000_003, u64::MAX - 1, u64::MAX]);
    for count in 1..=25 {
        for &total in &totals {
            let shares: Vec<u64> = (1..=count).map(|i| shard(i, count).share(total)).collect();
            let sum: u128 = shares.iter().map(|&s| u128::from(s)).sum();
            assert_eq!(sum, u128::from(total), "{total} in {count}");
            let (min, max) = (shares.iter().min(), shares.iter().max());
            assert!(max.zip(min).is_some_and(|(max, min)| max - min <= 1));
        }
    }
    // Purchases never exceed product events in a shard when they do not in total.
    for count in 1..=12 {
        for product_events in 0..60 {
            for purchases in 0..=product_events {
                for index in 1..=count {
                    let shard = shard(index, count);
                    assert!(shard.share(purchases) <= shard.share(product_events));
                }
            }
        }
    }
}

#[test]
fn quotas_split_without_end_staying_without_end() {
    let totals = Quotas {
        product_events: Quota::Unlimited,
        purchases: Quota::Exactly(2),
        user_events: Quota::Off,
    };
    assert_eq!(
        shard(2, 3).quotas(totals),
        Quotas {
            product_events: Quota::Unlimited,
            purchases: Quota::Exactly(1),
            user_events: Quota::Off,
        }
    );
    // Nothing left for shard 3 of 2 purchases: it writes none.
    assert_eq!(shard(3, 3).quotas(totals).purchases, Quota::Off);
    assert_eq!(shard(1, 1).quotas(all(40, 15, 30)), all(40, 15, 30));
}

#[test]
fn seeds_differ_per_shard_and_stay_fixed() {
    assert_eq!(shard(1, 1).seed(42), 42);
    assert_eq!(shard(1, 3).seed(7), 0x55a4_9c32_47ae_d124);
    assert_eq!(shard(2, 3).seed(7), 0x0947_3a69_3c47_3a79);
    assert_eq!(shard(3, 3).seed(7), 0xa5dd_9f16_1169_acca);
    assert_eq!(shard(1, 2).seed(42), 0xcb3f_6068_39ee_90d6);
    for seed in [0, 1, 7, u64::MAX] {
        for count in 2..=64 {
            let seeds: HashSet<u64> = (1..=count).map(|i| shard(i, count).seed(seed)).collect();
            assert_eq!(seeds.len(), count as usize, "seed {seed}, {count} shards");
        }
    }
}

#[test]
fn shard_one_of_one_is_the_whole_run() {
    let whole = {
        let catalog = catalog();
        let mut simulator = Simulator::new(&catalog, Some(42), all(40, 15, 30)).unwrap();
        let mut events = Vec::new();
        while let Some(event) = simulator.next_event() {
            events.push(event.to_json());
        }
        events
    };
    let sharded: Vec<String> = run_shard(shard(1, 1), 42, all(40, 15, 30))
        .iter()
        .map(Event::to_json)
        .collect();
    assert_eq!(sharded, whole);
}

#[test]
fn a_seeded_shard_is_reproducible_and_unlike_the_others() {
    let json = |index| -> Vec<String> {
        run_shard(shard(index, 3), 7, all(300, 60, 150))
            .iter()
            .map(Event::to_json)
            .collect()
    };
    let second = json(2);
    assert_eq!(second, json(2));
    assert_ne!(second, json(1));
    assert_ne!(second, json(3));
}

#[test]
fn the_shards_of_a_run_write_the_totals_with_whole_stories_and_no_shared_ids() {
    for (count, totals, seed) in [
        (3, (3000, 600, 1500), 7),
        (2, (40, 15, 30), 42),
        (4, (1000, 999, 200), 1),
        (7, (700, 100, 350), 9),
    ] {
        let (product_events, purchases, user_events) = totals;
        let quotas = all(product_events, purchases, user_events);
        let mut union = Vec::new();
        let mut session_shard: HashMap<String, u32> = HashMap::new();
        for index in 1..=count {
            let shard = shard(index, count);
            let events = run_shard(shard, seed, quotas);
            let expected = PerTopic::from_fn(|topic| match topic {
                TopicKind::ProductEvents => shard.share(product_events),
                TopicKind::Purchases => shard.share(purchases),
                TopicKind::UserEvents => shard.share(user_events),
            });
            assert_eq!(count_by_topic(&events), expected, "shard {shard}");
            // Only the shard's own users act in it, so none of its sessions is anywhere else.
            for event in &events {
                assert!(shard.owns(&event.user_id), "shard {shard}: {event:?}");
                let owner = session_shard.entry(event.session_id.to_string());
                assert_eq!(*owner.or_insert(index), index, "{}", event.session_id);
            }
            stories::check(&events, true).unwrap_or_else(|v| panic!("shard {shard}: {v}"));
            union.extend(events);
        }
        let expected = PerTopic::from_fn(|topic| match topic {
            TopicKind::ProductEvents => product_events,
            TopicKind::Purchases => purchases,
            TopicKind::UserEvents => user_events,
        });
        assert_eq!(count_by_topic(&union), expected, "{count} shards");
        stories::check(&union, true).unwrap_or_else(|v| panic!("{count} shards: {v}"));
        let mut event_ids = HashSet::new();
        let mut order_ids = HashSet::new();
        for event in &union {
            assert!(event_ids.insert(event.event_id), "{}", event.event_id);
            if let Details::Purchase { order_id, .. } = &event.details {
                assert!(order_ids.insert(order_id.to_string()), "{order_id}");
            }
        }
    }
}

/// A generated population's shard draws exactly its own users: over many draws of a small
/// population, every user of the shard and no other.
#[test]
fn a_generated_shard_draws_exactly_its_users() {
    use crate::population::{self, Shop, Sizes, Users};
    let sizes = Sizes {
        users: 300,
        products: 50,
    };
    let nowhere = std::path::Path::new("/nowhere");
    let shop = Shop::load_or_generate(nowhere, nowhere, 5, sizes).unwrap();
    let shard = Shard::new(2, 3).unwrap();
    let mine = shard.shop(shop).unwrap();
    let Users::Generated(users) = mine.users else {
        panic!("still generated");
    };
    let expected: HashSet<u64> = (0..300)
        .filter(|&i| shard.owns(&population::user(5, i).user_id))
        .collect();
    let owned: HashSet<u64> = (0..300).filter(|&i| users.owns(i)).collect();
    assert_eq!(owned, expected);
    // Through the simulator: sessions only of the shard's users, and (over a long run) all of them.
    let quotas = Quotas {
        product_events: Quota::Exactly(20_000),
        purchases: Quota::Exactly(2_000),
        user_events: Quota::Exactly(20_000),
    };
    let shop = Shop::load_or_generate(nowhere, nowhere, 5, sizes).unwrap();
    let mine = shard.shop(shop).unwrap();
    let mut simulator = Simulator::new(&mine, Some(1), quotas).unwrap();
    let mut seen = HashSet::new();
    while let Some(event) = simulator.next_event() {
        seen.insert(event.user_id[1..].parse::<u64>().unwrap() - 1);
    }
    assert_eq!(seen, expected);
    // A shard of a tiny population may own nobody: an error, as for a file.
    let tiny = Sizes {
        users: 1,
        products: 1,
    };
    let owner = shard_of("U00000001", 3);
    let other = Shard::new(owner % 3 + 1, 3).unwrap();
    let shop = Shop::load_or_generate(nowhere, nowhere, 5, tiny).unwrap();
    assert!(matches!(
        other.shop(shop),
        Err(ShardError::NoUsers { users: 1, .. })
    ));
}
