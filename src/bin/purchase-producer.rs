//! purchase-producer: Write simulated purchases (quantity, total, payment method) to the purchases topic.

use std::process::ExitCode;

use shopstream_core::TopicKind;

fn main() -> ExitCode {
    shopstream::produce::single_producer_main(
        "purchase-producer",
        TopicKind::Purchases,
        "PURCHASE_EVENTS_COUNT",
        "Write simulated purchases (quantity, total, payment method) to the purchases topic.\n\nEvents come from the shopper simulator (data/users.json shopping data/products.json), keyed by user_id; every event is accounted for by its delivery report.",
    )
}
