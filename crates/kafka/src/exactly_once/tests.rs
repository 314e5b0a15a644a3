//! The transactional producer on rdkafka's mock cluster: a commit round trip, and the clear
//! errors when no transaction coordinator answers or the broker refuses the transactional id.
//! (The group, its rebalances and fencing are tested end to end on a real broker.)

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaApiKey;
use rdkafka::types::RDKafkaRespErr;

use super::ExactlyOnceError;
use super::transactor::Transactor;
use crate::settings::Settings;
use crate::test_support::MockKafka;

const STATE_TOPIC: &str = "state";

fn mock() -> (MockKafka, Settings) {
    let cluster = MockKafka::new();
    cluster.create_topic(STATE_TOPIC, 1);
    cluster.create_topic("input", 1);
    let settings = cluster.settings.clone();
    (cluster, settings)
}

#[test]
fn a_commit_writes_the_records_in_a_committed_transaction() {
    let (_cluster, settings) = mock();
    let transactor = Transactor::connect(
        &settings,
        STATE_TOPIC,
        "t-round-trip",
        Duration::from_secs(10),
    )
    .expect("transactions initialized");
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &settings.bootstrap_servers)
        .set("group.id", "g")
        .set("isolation.level", "read_committed")
        .create()
        .unwrap();
    let group = consumer.group_metadata().expect("group metadata");
    let mut offsets = TopicPartitionList::new();
    offsets
        .add_partition_offset("input", 0, Offset::Offset(42))
        .unwrap();
    transactor.begin().expect("begun");
    transactor.write(0, b"k", Some(b"v")).expect("written");
    transactor.commit(&offsets, group).expect("committed");
    // (The mock keeps no transactional offsets; the end-to-end tests check them on a broker.)
    let (_, high) = consumer
        .fetch_watermarks(STATE_TOPIC, 0, Duration::from_secs(10))
        .unwrap();
    assert_eq!(high, 1, "the record (the mock writes no commit marker)");
}

#[test]
fn no_transaction_coordinator_is_one_clear_error() {
    let (cluster, settings) = mock();
    cluster.mock().request_errors(
        RDKafkaApiKey::FindCoordinator,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE; 200],
    );
    let error = Transactor::connect(&settings, STATE_TOPIC, "t-none", Duration::from_secs(2))
        .err()
        .expect("no coordinator");
    assert!(
        matches!(error, ExactlyOnceError::NoCoordinator { .. }),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(
        text.starts_with("no transaction coordinator answered within 2s"),
        "{text}"
    );
    assert!(text.contains("must support transactions"), "{text}");
}

#[test]
fn a_refused_transactional_id_is_one_clear_error() {
    let (cluster, settings) = mock();
    cluster.mock().request_errors(
        RDKafkaApiKey::InitProducerId,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED],
    );
    let error = Transactor::connect(&settings, STATE_TOPIC, "t-refused", Duration::from_secs(5))
        .err()
        .expect("refused");
    assert_eq!(
        error.to_string(),
        "not authorized to use transactions as t-refused (the broker's ACLs must allow Write and \
         Describe on TransactionalId shopstream-metrics- as a prefix, and IdempotentWrite on the \
         cluster)"
    );
}
