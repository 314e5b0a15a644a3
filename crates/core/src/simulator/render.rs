//! Event rendering: builds the [`Event`] an act stands for, borrowing names from a listed catalog
//! and ids from the session, so that no string is copied per event (a generated product is made
//! here, from its index). Prices are the ones in force when the act happens (free-running runs
//! change them; see `shelf`).

use std::borrow::Cow;

use uuid::Uuid;

use super::session::Act;
use super::session::Session;
use super::shelf::Shelf;
use super::tastes::Tastes;
use crate::catalog::Product;
use crate::event::{Details, Event, ProductInfo};
use crate::money::Money;
use crate::population::{Products, Shop, Users};
use crate::timestamp::Timestamp;
use crate::vocab::{CustomerType, Region};

/// What an event is made of besides the act: the shop's names, the prices in force, the
/// tastes' queries.
pub struct Sources<'a> {
    pub shop: &'a Shop<'a>,
    /// The prices as they change (free-running runs); None: the catalog's.
    pub shelf: Option<&'a Shelf>,
    pub tastes: &'a Tastes,
}

pub fn event<'a>(
    act: Act,
    session: &'a Session,
    event_id: Uuid,
    timestamp: Timestamp,
    sources: Sources<'a>,
) -> Event<'a> {
    let Sources {
        shop,
        shelf,
        tastes,
    } = sources;
    let changed_price = |index: usize| shelf.and_then(|shelf| shelf.changed_price(index));
    let info = |index: usize| product_info(&shop.products, index, changed_price(index));
    let details = match act {
        Act::Login { device } => Details::Login { device },
        Act::Search { query } => {
            let query = tastes.query(query);
            Details::Search {
                query: Cow::Borrowed(query.text.as_str()),
                results_count: query.results,
            }
        }
        Act::View { product: index } => {
            let (product, brand) = info(index);
            Details::View { product, brand }
        }
        Act::AddToCart { line } => {
            let (product, brand) = info(line.product);
            Details::AddToCart {
                product,
                brand,
                quantity: line.quantity,
            }
        }
        Act::RemoveFromCart { line } => {
            let (product, brand) = info(line.product);
            Details::RemoveFromCart {
                product,
                brand,
                quantity: line.quantity,
            }
        }
        Act::Purchase {
            line,
            order_id,
            payment,
        } => {
            let (product, _) = info(line.product);
            // Overflow would need an absurd quantity; zero stands in rather than a panic.
            let total = product
                .price
                .checked_mul(line.quantity)
                .unwrap_or(Money::ZERO);
            Details::Purchase {
                order_id: Cow::Owned(order_id),
                product,
                quantity: line.quantity,
                total,
                payment_method: payment,
            }
        }
        Act::ProfileUpdate { fields } => Details::ProfileUpdate {
            fields_updated: fields.names().map(Cow::Borrowed).collect(),
        },
        Act::Logout => Details::Logout,
    };
    let (user_id, region, customer_type) = shopper(session, &shop.users);
    Event {
        event_id,
        timestamp,
        user_id,
        session_id: Cow::Borrowed(session.id.as_str()),
        region,
        customer_type,
        details,
    }
}

/// The id, region and customer type of the user of `session`.
fn shopper<'a>(session: &'a Session, users: &'a Users<'_>) -> (Cow<'a, str>, Region, CustomerType) {
    match (&session.person, users) {
        (Some(user), _) => (
            Cow::Borrowed(user.user_id.as_str()),
            user.region,
            user.customer_type,
        ),
        (None, Users::Listed(users)) => {
            let user = &users[session.user];
            (
                Cow::Borrowed(user.user_id.as_str()),
                user.region,
                user.customer_type,
            )
        }
        // Sessions of a generated population hold their user; made again should one not.
        (None, Users::Generated(users)) => {
            let user = users.user(session.user as u64);
            (Cow::Owned(user.user_id), user.region, user.customer_type)
        }
    }
}

/// Product `index`'s description at its price in force (`changed_price`, or the catalog's),
/// and its brand: borrowed from a listed catalog, owned when generated.
fn product_info<'a>(
    products: &'a Products<'_>,
    index: usize,
    changed_price: Option<Money>,
) -> (ProductInfo<'a>, Cow<'a, str>) {
    match products {
        Products::Listed(products) => {
            let product = &products[index];
            let price = changed_price.unwrap_or(product.price);
            (borrowed_info(product, price), Cow::Borrowed(&product.brand))
        }
        Products::Generated(products) => {
            let product = products.product(index as u64);
            let info = ProductInfo {
                product_id: Cow::Owned(product.product_id),
                product_name: Cow::Owned(product.name),
                category: Cow::Owned(product.category),
                price: changed_price.unwrap_or(product.price),
            };
            (info, Cow::Owned(product.brand))
        }
    }
}

fn borrowed_info(product: &Product, price: Money) -> ProductInfo<'_> {
    ProductInfo {
        product_id: Cow::Borrowed(&product.product_id),
        product_name: Cow::Borrowed(&product.name),
        category: Cow::Borrowed(&product.category),
        price,
    }
}
