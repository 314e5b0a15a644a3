//! product-producer: Write simulated product events (view, add_to_cart, remove_from_cart) to the product-events topic.

use std::process::ExitCode;

use shopstream_core::TopicKind;

fn main() -> ExitCode {
    shopstream::produce::single_producer_main(
        "product-producer",
        TopicKind::ProductEvents,
        "PRODUCT_EVENTS_COUNT",
        "Write simulated product events (view, add_to_cart, remove_from_cart) to the product-events topic.\n\nEvents come from the shopper simulator (data/users.json shopping data/products.json), keyed by user_id; every event is accounted for by its delivery report.",
    )
}
