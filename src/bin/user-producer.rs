//! user-producer: Write simulated user activity (login, logout, search, profile_update) to the user-events topic.

use std::process::ExitCode;

use shopstream_core::TopicKind;

fn main() -> ExitCode {
    shopstream::produce::single_producer_main(
        "user-producer",
        TopicKind::UserEvents,
        "USER_EVENTS_COUNT",
        "Write simulated user activity (login, logout, search, profile_update) to the user-events topic.\n\nEvents come from the shopper simulator (data/users.json shopping data/products.json), keyed by user_id; every event is accounted for by its delivery report.",
    )
}
