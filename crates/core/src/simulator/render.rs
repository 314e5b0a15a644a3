//! Event rendering: builds the [`Event`] a decision stands for, borrowing names from the catalog
//! and ids from the session, so that no string is copied per event.

use std::borrow::Cow;

use uuid::Uuid;

use super::policy::{Act, Decision, Shoppers};
use super::tastes::Tastes;
use crate::catalog::{Catalog, Product};
use crate::event::{Details, Event, ProductInfo};
use crate::money::Money;
use crate::timestamp::Timestamp;

pub fn event<'a>(
    decision: Decision,
    event_id: Uuid,
    timestamp: Timestamp,
    catalog: &'a Catalog,
    shoppers: &'a Shoppers,
    tastes: &'a Tastes,
) -> Event<'a> {
    let product = |index: usize| &catalog.products[index];
    let details = match decision.act {
        Act::Login { device } => Details::Login { device },
        Act::Search { query } => {
            let query = tastes.query(query);
            Details::Search {
                query: Cow::Borrowed(query.text.as_str()),
                results_count: query.results,
            }
        }
        Act::View { product: index } => Details::View {
            product: info(product(index)),
            brand: brand(product(index)),
        },
        Act::AddToCart { line } => Details::AddToCart {
            product: info(product(line.product)),
            brand: brand(product(line.product)),
            quantity: line.quantity,
        },
        Act::RemoveFromCart { line } => Details::RemoveFromCart {
            product: info(product(line.product)),
            brand: brand(product(line.product)),
            quantity: line.quantity,
        },
        Act::Purchase {
            line,
            order_id,
            payment,
        } => {
            let product = product(line.product);
            Details::Purchase {
                order_id: Cow::Owned(order_id),
                product: info(product),
                quantity: line.quantity,
                // Overflow would need an absurd quantity; zero stands in rather than a panic.
                total: product
                    .price
                    .checked_mul(line.quantity)
                    .unwrap_or(Money::ZERO),
                payment_method: payment,
            }
        }
        Act::ProfileUpdate { fields } => Details::ProfileUpdate {
            fields_updated: fields.names().map(Cow::Borrowed).collect(),
        },
        Act::Logout => Details::Logout,
    };
    let session = shoppers.session(decision.session);
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

fn info(product: &Product) -> ProductInfo<'_> {
    ProductInfo {
        product_id: Cow::Borrowed(&product.product_id),
        product_name: Cow::Borrowed(&product.name),
        category: Cow::Borrowed(&product.category),
        price: product.price,
    }
}

fn brand(product: &Product) -> Cow<'_, str> {
    Cow::Borrowed(&product.brand)
}
