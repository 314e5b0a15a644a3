//! What shoppers choose among, fixed for a run: each user's taste in products, the search queries,
//! the profile fields, and the mixes of devices and payment methods.

mod products;
mod search;

use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::{Error as WeightError, WeightedIndex};

use self::products::ProductChoice;
pub(super) use self::search::{Query, queries};
use crate::behaviour::{Behaviour, Popularity};
use crate::catalog::User;
use crate::population::{Products, Shop};
use crate::vocab::{Device, PaymentMethod};

/// Which of [`PROFILE_FIELDS`] a profile update changes: bit i stands for field i.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileFields(u32);

impl ProfileFields {
    /// A non-empty set of fields.
    pub fn random(rng: &mut impl Rng) -> ProfileFields {
        ProfileFields(rng.random_range(1..1 << PROFILE_FIELDS.len()))
    }

    pub fn names(self) -> impl Iterator<Item = &'static str> {
        PROFILE_FIELDS
            .iter()
            .enumerate()
            .filter(move |(bit, _)| self.0 & (1 << bit) != 0)
            .map(|(_, field)| *field)
    }
}

const PROFILE_FIELDS: [&str; 6] = [
    "email",
    "address",
    "phone",
    "password",
    "preferences",
    "name",
];
/// The mixes of steered runs (exact counts), kept as they were before the behaviour model so that
/// those runs give the same events.
const STEERED_DEVICES: [(Device, u32); 3] = [
    (Device::Web, 45),
    (Device::Mobile, 45),
    (Device::Tablet, 10),
];
const STEERED_PAYMENTS: [(PaymentMethod, u32); 5] = [
    (PaymentMethod::CreditCard, 45),
    (PaymentMethod::DebitCard, 20),
    (PaymentMethod::Paypal, 20),
    (PaymentMethod::BankTransfer, 5),
    (PaymentMethod::GiftCard, 10),
];
const STEERED_POPULARITY: Popularity = Popularity {
    popularity_exponent: 1.1,
    interest_weight: 6.0,
};

/// Shares become whole weights in millionths: integer weights draw the same way on every
/// platform.
const SHARE_SCALE: f64 = 1_000_000.0;

/// What the tastes are made of: device and payment mixes (relative weights) and the skew of
/// product choice.
pub struct TasteParams {
    devices: Vec<(Device, u32)>,
    payments: Vec<(PaymentMethod, u32)>,
    popularity: Popularity,
}

impl TasteParams {
    /// Steered runs' tastes.
    pub fn steered() -> TasteParams {
        TasteParams {
            devices: STEERED_DEVICES.to_vec(),
            payments: STEERED_PAYMENTS.to_vec(),
            popularity: STEERED_POPULARITY,
        }
    }

    /// Free-running runs' tastes, from the behaviour model.
    pub fn from_behaviour(behaviour: &Behaviour) -> TasteParams {
        let weight = |share: f64| (share * SHARE_SCALE).round() as u32;
        TasteParams {
            devices: behaviour
                .devices
                .iter()
                .map(|(d, s)| (*d, weight(*s)))
                .collect(),
            payments: behaviour
                .payment_methods
                .iter()
                .map(|(p, s)| (*p, weight(*s)))
                .collect(),
            popularity: behaviour.products,
        }
    }
}

pub struct Tastes {
    /// Product choice, skewed to a few popular products and to each user's interests.
    products: ProductChoice,
    queries: Vec<Query>,
    device_choice: Vec<Device>,
    devices: WeightedIndex<u32>,
    payment_choice: Vec<PaymentMethod>,
    payments: WeightedIndex<u32>,
}

impl Tastes {
    /// Fails for a catalog without products, or mixes whose weights are all 0.
    pub fn new(shop: &Shop<'_>, params: &TasteParams) -> Result<Tastes, WeightError> {
        Ok(Tastes {
            products: ProductChoice::new(&shop.products, params.popularity)?,
            queries: match &shop.products {
                Products::Listed(products) => queries(products),
                Products::Generated(products) => search::generated_queries(products.count),
            },
            device_choice: params.devices.iter().map(|d| d.0).collect(),
            devices: WeightedIndex::new(params.devices.iter().map(|d| d.1))?,
            payment_choice: params.payments.iter().map(|p| p.0).collect(),
            payments: WeightedIndex::new(params.payments.iter().map(|p| p.1))?,
        })
    }

    /// A product (index into the shop's products) that a user of these `interests` (see
    /// [`Tastes::interests`]) looks at.
    pub fn product(&self, interests: &[u32], rng: &mut impl Rng) -> usize {
        self.products.sample(interests, rng)
    }

    /// `user`'s interests as the product choice numbers categories, into `out` (a session's
    /// buffer).
    pub fn interests(&self, user: &User, out: &mut Vec<u32>) {
        self.products.interests(user, out);
    }

    /// A query to search for, by index (see [`Tastes::query`]).
    pub fn random_query(&self, rng: &mut impl Rng) -> usize {
        rng.random_range(0..self.queries.len())
    }

    pub fn query(&self, index: usize) -> &Query {
        &self.queries[index]
    }

    pub fn device(&self, rng: &mut impl Rng) -> Device {
        self.device_choice[self.devices.sample(rng)]
    }

    pub fn payment(&self, rng: &mut impl Rng) -> PaymentMethod {
        self.payment_choice[self.payments.sample(rng)]
    }
}
