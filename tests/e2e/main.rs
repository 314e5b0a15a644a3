//! End-to-end tests: the real binaries against a real Apache Kafka broker.
//!
//! Run them with `scripts/test.sh`, which starts a local broker (scripts/kafka-local.sh) and sets
//! SHOPSTREAM_TEST_BOOTSTRAP. Every test uses its own topic names and group ids, so tests run in
//! parallel and can be rerun against the same broker.
//!
//! A plain `cargo test` with no broker on 127.0.0.1:19092 (scripts/test.sh's) skips them, saying
//! so in one line: each test starts with `if skip_without_broker() { return; }` (see util.rs).
//! With SHOPSTREAM_TEST_BOOTSTRAP or CI set, nothing is skipped and a missing broker fails them.
//!
//! The same broker also has SSL, mutual-TLS and SASL_SSL listeners with ACLs enforced, for tls.rs;
//! scripts/test.sh sets SHOPSTREAM_TEST_SSL_BOOTSTRAP, SHOPSTREAM_TEST_MTLS_BOOTSTRAP,
//! SHOPSTREAM_TEST_SASL_SSL_BOOTSTRAP and SHOPSTREAM_TEST_TLS_DIR (see util::secured_broker).
//!
//! cluster.rs runs on a three-node cluster that scripts/test.sh starts once for the run
//! (SHOPSTREAM_TEST_CLUSTER_PORT, _CONTROLLER_PORT and _DIR); its tests take turns with it, since
//! they kill nodes (see test_cluster.rs).

mod test_cluster;
mod util;

mod bad_input;
mod book;
mod bounded;
mod broker_crash;
mod checkpoint;
mod cluster;
mod compose;
mod consumers;
mod dashboard;
mod demo;
mod exactly_once;
mod flink;
mod help;
mod layers;
mod population;
mod producers;
mod readme;
mod sasl;
mod setup_topics;
mod shard;
mod tls;
mod truth;
