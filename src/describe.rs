//! Human one-line descriptions of events and the colour of each topic, shared by the producers'
//! and the consumer's output.

use colored::{Color, ColoredString, Colorize};
use shopstream_core::{Details, Event, TopicKind};

/// One stable colour per topic.
pub fn topic_colour(topic: TopicKind) -> Color {
    match topic {
        TopicKind::ProductEvents => Color::Cyan,
        TopicKind::Purchases => Color::Green,
        TopicKind::UserEvents => Color::Magenta,
    }
}

pub fn paint(text: &str, topic: TopicKind) -> ColoredString {
    text.color(topic_colour(topic))
}

/// "U007 added 2 x Wireless Mouse (29.99) to cart"
pub fn summary(event: &Event<'_>) -> String {
    let user = &event.user_id;
    match &event.details {
        Details::View { product, .. } => {
            format!("{user} viewed {} ({})", product.product_name, product.price)
        }
        Details::AddToCart {
            product, quantity, ..
        } => format!(
            "{user} added {quantity} x {} ({}) to cart",
            product.product_name, product.price
        ),
        Details::RemoveFromCart {
            product, quantity, ..
        } => format!(
            "{user} removed {quantity} x {} ({}) from cart",
            product.product_name, product.price
        ),
        Details::Purchase {
            product,
            quantity,
            total,
            payment_method,
            ..
        } => format!(
            "{user} bought {quantity} x {} for {total} ({payment_method})",
            product.product_name
        ),
        Details::Login { device } => format!("{user} logged in ({device})"),
        Details::Logout => format!("{user} logged out"),
        Details::Search {
            query,
            results_count,
        } => {
            let noun = if *results_count == 1 {
                "result"
            } else {
                "results"
            };
            format!("{user} searched \"{query}\" ({results_count} {noun})")
        }
        Details::ProfileUpdate { fields_updated } => {
            format!("{user} updated {}", fields_updated.join(", "))
        }
    }
}

/// "12:43:19.123" from the event's RFC 3339 timestamp.
pub fn clock(event: &Event<'_>) -> String {
    let text = event.timestamp.to_string();
    text.get(11..23).unwrap_or(&text).to_string()
}

#[cfg(test)]
mod tests;
