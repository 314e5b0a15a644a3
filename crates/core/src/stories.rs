//! Checks that a stream of events tells consistent shopper stories (docs/producers.md's
//! section): a remove_from_cart only removes what the session added; a purchase buys a product
//! the session carted; total = price x quantity; a session's activity comes after its login and
//! before its logout. Used by the simulator's tests and by the end-to-end tests on what the
//! producers wrote to Kafka.

use std::collections::HashMap;

use crate::event::{Details, Event};
use crate::vocab::EventType;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session {session_id} ({user_id}), event {event_id} ({event_type}): {problem}")]
pub struct StoryViolation {
    pub session_id: String,
    pub user_id: String,
    pub event_id: String,
    pub event_type: EventType,
    pub problem: String,
}

/// Counts over a checked stream.
#[derive(Debug)]
pub struct StoryStats {
    pub sessions: usize,
    pub events: usize,
}

/// Events at the same millisecond are ordered as a story allows (the clock cannot tell them
/// apart): login first, logout last, cart additions before what takes from the cart.
fn tie_rank(event_type: EventType) -> u8 {
    match event_type {
        EventType::Login => 0,
        EventType::Search | EventType::View | EventType::ProfileUpdate => 1,
        EventType::AddToCart => 2,
        EventType::RemoveFromCart | EventType::Purchase => 3,
        EventType::Logout => 4,
    }
}

#[derive(Default)]
struct SessionState<'e> {
    logged_in: bool,
    logged_out: bool,
    user_id: &'e str,
    cart: HashMap<&'e str, u64>,
}

/// Checks every session in `events` (any order: they are sorted by time per session).
/// `with_logins`: the stream includes user-events, so each session must start with its login.
pub fn check(events: &[Event<'_>], with_logins: bool) -> Result<StoryStats, StoryViolation> {
    let mut by_session: HashMap<&str, Vec<&Event<'_>>> = HashMap::new();
    for event in events {
        by_session.entry(&event.session_id).or_default().push(event);
    }
    for session_events in by_session.values_mut() {
        session_events.sort_by_key(|e| (e.timestamp, tie_rank(e.event_type())));
        let mut state = SessionState::default();
        for event in session_events.iter() {
            check_one(&mut state, event, with_logins).map_err(|problem| StoryViolation {
                session_id: event.session_id.to_string(),
                user_id: event.user_id.to_string(),
                event_id: event.event_id.to_string(),
                event_type: event.event_type(),
                problem,
            })?;
        }
    }
    Ok(StoryStats {
        sessions: by_session.len(),
        events: events.len(),
    })
}

fn check_one<'e>(
    state: &mut SessionState<'e>,
    event: &'e Event<'_>,
    with_logins: bool,
) -> Result<(), String> {
    if state.user_id.is_empty() {
        state.user_id = &event.user_id;
    } else if state.user_id != event.user_id {
        return Err(format!("the session belongs to {}", state.user_id));
    }
    if state.logged_out {
        return Err("comes after the session's logout".to_string());
    }
    let is_login = matches!(event.details, Details::Login { .. });
    if is_login {
        if state.logged_in {
            return Err("a second login in one session".to_string());
        }
        state.logged_in = true;
        return Ok(());
    }
    if with_logins && !state.logged_in {
        return Err("comes before (or without) the session's login".to_string());
    }
    match &event.details {
        Details::AddToCart {
            product, quantity, ..
        } => {
            *state.cart.entry(&product.product_id).or_default() += u64::from(*quantity);
        }
        Details::RemoveFromCart {
            product, quantity, ..
        } => take_from_cart(state, &product.product_id, *quantity, "removes")?,
        Details::Purchase {
            product,
            quantity,
            total,
            ..
        } => {
            if product.price.checked_mul(*quantity) != Some(*total) {
                return Err(format!(
                    "total {total} is not {} x {quantity}",
                    product.price
                ));
            }
            take_from_cart(state, &product.product_id, *quantity, "buys")?
        }
        Details::Logout => state.logged_out = true,
        _ => {}
    }
    Ok(())
}

fn take_from_cart<'e>(
    state: &mut SessionState<'e>,
    product_id: &'e str,
    quantity: u32,
    verb: &str,
) -> Result<(), String> {
    let carted = state.cart.get(product_id).copied().unwrap_or(0);
    if u64::from(quantity) > carted {
        return Err(format!(
            "{verb} {quantity} x {product_id} but the session's cart holds {carted}"
        ));
    }
    state.cart.insert(product_id, carted - u64::from(quantity));
    Ok(())
}
