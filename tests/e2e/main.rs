//! End-to-end tests: the real binaries against a real Apache Kafka broker.
//!
//! Run them with `scripts/test.sh`, which starts a local broker (scripts/kafka-local.sh) and sets
//! SHOPSTREAM_TEST_BOOTSTRAP. Every test uses its own topic names and group ids, so tests run in
//! parallel and can be rerun against the same broker.

mod util;

mod bad_input;
mod broker_crash;
mod compose;
mod consumers;
mod dashboard;
mod producers;
mod sasl;
mod setup_topics;
