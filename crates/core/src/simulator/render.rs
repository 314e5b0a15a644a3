//! Event rendering: builds the [`Event`] an act stands for, borrowing names from the catalog and
//! ids from the session, so that no string is copied per event. Prices are the ones in force
//! when the act happens (free-running runs change them; see `shelf`).

use std::borrow::Cow;

use uuid::Uuid;

use super::session::Act;
use super::session::Session;
use super::tastes::Tastes;
use crate::catalog::{Catalog, Product};
use crate::event::{Details, Event, ProductInfo};
use crate::money::Money;
use crate::timestamp::Timestamp;

/// What an event is made of besides the act: the catalog's names, the prices in force, the
/// tastes' queries.
pub struct Sources<'a> {
    pub catalog: &'a Catalog,
    /// Per product (catalog order), the price in force.
    pub prices: &'a [Money],
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
        catalog,
        prices,
        tastes,
    } = sources;
    let product = |index: usize| &catalog.products[index];
    let info = |index: usize| info(product(index), prices[index]);
    let details = match act {
        Act::Login { device } => Details::Login { device },
        Act::Search { query } => {
            let query = tastes.query(query);
            Details::Search {
                query: Cow::Borrowed(query.text.as_str()),
                results_count: query.results,
            }
        }
        Act::View { product: index } => Details::View {
            product: info(index),
            brand: brand(product(index)),
        },
        Act::AddToCart { line } => Details::AddToCart {
            product: info(line.product),
            brand: brand(product(line.product)),
            quantity: line.quantity,
        },
        Act::RemoveFromCart { line } => Details::RemoveFromCart {
            product: info(line.product),
            brand: brand(product(line.product)),
            quantity: line.quantity,
        },
        Act::Purchase {
            line,
            order_id,
            payment,
        } => {
            let price = prices[line.product];
            Details::Purchase {
                order_id: Cow::Owned(order_id),
                product: info(line.product),
                quantity: line.quantity,
                // Overflow would need an absurd quantity; zero stands in rather than a panic.
                total: price.checked_mul(line.quantity).unwrap_or(Money::ZERO),
                payment_method: payment,
            }
        }
        Act::ProfileUpdate { fields } => Details::ProfileUpdate {
            fields_updated: fields.names().map(Cow::Borrowed).collect(),
        },
        Act::Logout => Details::Logout,
    };
    let user = &catalog.users[session.user];
    Event {
        event_id,
        timestamp,
        user_id: Cow::Borrowed(user.user_id.as_str()),
        session_id: Cow::Borrowed(session.id.as_str()),
        region: user.region,
        customer_type: user.customer_type,
        details,
    }
}

fn info(product: &Product, price: Money) -> ProductInfo<'_> {
    ProductInfo {
        product_id: Cow::Borrowed(&product.product_id),
        product_name: Cow::Borrowed(&product.name),
        category: Cow::Borrowed(&product.category),
        price,
    }
}

fn brand(product: &Product) -> Cow<'_, str> {
    Cow::Borrowed(&product.brand)
}
