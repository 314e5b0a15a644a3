//! Who opens the next session in a generated population: a user index drawn uniformly, rejected
//! when it is of another region or shard or already in a session, so that nothing is held per
//! user of the population, only the users in session.

use std::collections::HashSet;

use rand::Rng;

use crate::population::GeneratedUsers;
use crate::vocab::Region;

/// Draws before giving up: a region or a shard with (almost) no idle user loses the arrival
/// rather than spin. With 4 regions and N shards a draw is accepted about once in 4N.
const MAX_DRAWS: u32 = 4096;

pub struct Drawn {
    users: GeneratedUsers,
    /// The users in a session now.
    busy: HashSet<usize>,
}

impl Drawn {
    pub fn new(users: GeneratedUsers) -> Drawn {
        Drawn {
            users,
            busy: HashSet::new(),
        }
    }

    pub fn users(&self) -> &GeneratedUsers {
        &self.users
    }

    /// Whether some user may still be idle.
    pub fn any_idle(&self) -> bool {
        (self.busy.len() as u64) < self.users.count
    }

    /// An idle user of this run's shard (of `region`, if given), now busy; None when the draws
    /// found none.
    pub fn take(&mut self, region: Option<Region>, rng: &mut impl Rng) -> Option<usize> {
        for _ in 0..MAX_DRAWS {
            let index = rng.random_range(0..self.users.count);
            let fits = region.is_none_or(|region| self.users.region(index) == region)
                && self.users.owns(index);
            // Below the population's size, which came from a usize.
            let index = usize::try_from(index).unwrap_or(usize::MAX);
            if fits && self.busy.insert(index) {
                return Some(index);
            }
        }
        None
    }

    /// User `index` left its session.
    pub fn release(&mut self, index: usize) {
        self.busy.remove(&index);
    }
}

#[cfg(test)]
mod tests;
