//! A shop as the simulator sees it: its users and its products each either listed (read from a
//! file, held in memory) or generated on demand from (seed, index), so that a generated shop of
//! any size holds nothing per user or product.

use std::borrow::Cow;
use std::path::Path;

use super::{Sizes, product, product_category, user, user_region, user_shard};
use crate::catalog::{Catalog, CatalogError, Product, User, load_products, load_users};
use crate::money::Money;
use crate::vocab::Region;

/// The part of a population a run simulates: shard `index` (from 1) of `count`, users split by a
/// hash of their id (see [`super::shard_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    pub index: u32,
    pub count: u32,
}

/// A generated population: user i is [`user`]`(seed, i)`, made when it is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedUsers {
    pub seed: u64,
    /// The whole population's size (a split's users among them are not counted).
    pub count: u64,
    /// The users a sharded run simulates; None: all of them.
    pub split: Option<Split>,
}

impl GeneratedUsers {
    pub fn user(&self, index: u64) -> User {
        user(self.seed, index)
    }

    pub fn region(&self, index: u64) -> Region {
        user_region(self.seed, index)
    }

    /// Whether user `index` belongs to the simulated part of the population.
    pub fn owns(&self, index: u64) -> bool {
        self.split
            .is_none_or(|split| user_shard(index, split.count) == split.index)
    }
}

/// A generated catalog: product j is [`product`]`(seed, j)`, made when it is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneratedProducts {
    pub seed: u64,
    pub count: u64,
}

impl GeneratedProducts {
    pub fn product(&self, index: u64) -> Product {
        product(self.seed, index)
    }

    /// The category of product `index`, as an index into the generator's categories.
    pub fn category(&self, index: u64) -> usize {
        product_category(self.seed, index)
    }
}

#[derive(Debug, Clone)]
pub enum Users<'c> {
    Listed(Cow<'c, [User]>),
    Generated(GeneratedUsers),
}

impl Users<'_> {
    /// How many users there are (a generated population: all of them, whatever the split).
    pub fn len(&self) -> usize {
        match self {
            Users::Listed(users) => users.len(),
            Users::Generated(users) => usize::try_from(users.count).unwrap_or(usize::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// User `index`: borrowed from the list, or generated.
    pub fn get(&self, index: usize) -> Cow<'_, User> {
        match self {
            Users::Listed(users) => Cow::Borrowed(&users[index]),
            Users::Generated(users) => Cow::Owned(users.user(index as u64)),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Products<'c> {
    Listed(Cow<'c, [Product]>),
    Generated(GeneratedProducts),
}

impl Products<'_> {
    pub fn len(&self) -> usize {
        match self {
            Products::Listed(products) => products.len(),
            Products::Generated(products) => usize::try_from(products.count).unwrap_or(usize::MAX),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Product `index`: borrowed from the list, or generated.
    pub fn get(&self, index: usize) -> Cow<'_, Product> {
        match self {
            Products::Listed(products) => Cow::Borrowed(&products[index]),
            Products::Generated(products) => Cow::Owned(products.product(index as u64)),
        }
    }

    /// The catalog price of product `index`.
    pub fn list_price(&self, index: usize) -> Money {
        match self {
            Products::Listed(products) => products[index].price,
            Products::Generated(products) => products.product(index as u64).price,
        }
    }

    /// The catalog stock of product `index` (what a restock brings it back to).
    pub fn stock(&self, index: usize) -> u32 {
        match self {
            Products::Listed(products) => products[index].stock,
            Products::Generated(products) => products.product(index as u64).stock,
        }
    }
}

/// Users and products, listed or generated.
#[derive(Debug, Clone)]
pub struct Shop<'c> {
    pub users: Users<'c>,
    pub products: Products<'c>,
}

impl Shop<'static> {
    /// The files' products and users, or generated ones where `sizes` asks for them (not 0).
    pub fn load_or_generate(
        products_file: &Path,
        users_file: &Path,
        seed: u64,
        sizes: Sizes,
    ) -> Result<Shop<'static>, CatalogError> {
        Ok(Shop {
            products: match sizes.products {
                0 => Products::Listed(Cow::Owned(load_products(products_file)?)),
                count => Products::Generated(GeneratedProducts { seed, count }),
            },
            users: match sizes.users {
                0 => Users::Listed(Cow::Owned(load_users(users_file)?)),
                count => Users::Generated(GeneratedUsers {
                    seed,
                    count,
                    split: None,
                }),
            },
        })
    }
}

impl<'c> From<&'c Catalog> for Shop<'c> {
    fn from(catalog: &'c Catalog) -> Shop<'c> {
        Shop {
            users: Users::Listed(Cow::Borrowed(&catalog.users)),
            products: Products::Listed(Cow::Borrowed(&catalog.products)),
        }
    }
}

impl From<Catalog> for Shop<'static> {
    fn from(catalog: Catalog) -> Shop<'static> {
        Shop {
            users: Users::Listed(Cow::Owned(catalog.users)),
            products: Products::Listed(Cow::Owned(catalog.products)),
        }
    }
}

/// A view of a shop that borrows its lists (nothing is copied).
impl<'c> From<&'c Shop<'_>> for Shop<'c> {
    fn from(shop: &'c Shop<'_>) -> Shop<'c> {
        Shop {
            users: match &shop.users {
                Users::Listed(users) => Users::Listed(Cow::Borrowed(users)),
                Users::Generated(users) => Users::Generated(*users),
            },
            products: match &shop.products {
                Products::Listed(products) => Products::Listed(Cow::Borrowed(products)),
                Products::Generated(products) => Products::Generated(*products),
            },
        }
    }
}
