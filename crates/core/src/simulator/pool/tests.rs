use std::collections::HashSet;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::*;
use crate::population::{self, Split};

fn generated(count: u64, split: Option<Split>) -> GeneratedUsers {
    GeneratedUsers {
        seed: 3,
        count,
        split,
    }
}

#[test]
fn draws_are_idle_users_of_the_region_and_the_shard() {
    let split = Split { index: 2, count: 3 };
    let mut drawn = Drawn::new(generated(10_000, Some(split)));
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let mut taken = HashSet::new();
    for _ in 0..500 {
        let user = drawn.take(Some(Region::East), &mut rng).unwrap();
        assert!(taken.insert(user), "user {user} drawn while busy");
        let made = population::user(3, user as u64);
        assert_eq!(made.region, Region::East);
        assert_eq!(population::shard_of(&made.user_id, 3), 2);
    }
    // A released user may be drawn again; the others stay busy.
    let first = *taken.iter().next().unwrap();
    drawn.release(first);
    assert!(!drawn.busy.contains(&first));
    assert_eq!(drawn.busy.len(), 499);
}

#[test]
fn a_population_with_no_idle_user_left_gives_none() {
    let mut drawn = Drawn::new(generated(3, None));
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    let users: HashSet<usize> = (0..3)
        .map(|_| drawn.take(None, &mut rng).unwrap())
        .collect();
    assert_eq!(users, HashSet::from([0, 1, 2]));
    assert!(!drawn.any_idle());
    assert_eq!(drawn.take(None, &mut rng), None);
}
