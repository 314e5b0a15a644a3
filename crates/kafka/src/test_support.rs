//! The one mock-cluster fixture of the crate's unit tests: rdkafka's in-process mock cluster (a
//! real Kafka protocol, consumer groups, offset commits and transactions, but no broker), and
//! settings that point at it. Each test makes a cluster of its own, so tests run in parallel.

use rdkafka::ClientConfig;
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, DefaultProducerContext, Producer};

use crate::settings::Settings;

/// A mock cluster of one broker, and the default settings with its bootstrap servers.
pub(crate) struct MockKafka {
    /// The client that owns the mock cluster: the cluster lives as long as this client.
    owner: BaseProducer,
    pub(crate) settings: Settings,
}

impl MockKafka {
    /// A cluster of one broker without topics, whose groups hand out partitions at once.
    pub(crate) fn new() -> MockKafka {
        let owner: BaseProducer = ClientConfig::new()
            .set("test.mock.num.brokers", "1")
            .create()
            .expect("mock cluster");
        // A group's first member waits group.initial.rebalance.delay.ms before it gets its
        // partitions: 3 s by default on the mock (as on a broker), which rdkafka's MockCluster
        // cannot set. Nothing to wait for here.
        //
        // SAFETY: `owner` is alive and owns the mock cluster, so the handle is valid for these
        // calls; the second only sets a number, under the cluster's lock.
        unsafe {
            let mock = rdkafka::bindings::rd_kafka_handle_mock_cluster(owner.client().native_ptr());
            assert!(!mock.is_null(), "the client has a mock cluster");
            rdkafka::bindings::rd_kafka_mock_group_initial_rebalance_delay_ms(mock, 0);
        }
        let mut settings = Settings::resolve(&Default::default()).expect("default settings");
        settings.bootstrap_servers = owner
            .client()
            .mock_cluster()
            .expect("the mock cluster")
            .bootstrap_servers();
        MockKafka { owner, settings }
    }

    /// The mock cluster itself: topics, injected request errors.
    pub(crate) fn mock(&self) -> MockCluster<'_, DefaultProducerContext> {
        self.owner
            .client()
            .mock_cluster()
            .expect("the mock cluster")
    }

    /// Creates `topic` with `partitions` partitions (one replica).
    pub(crate) fn create_topic(&self, topic: &str, partitions: i32) {
        self.mock()
            .create_topic(topic, partitions, 1)
            .unwrap_or_else(|error| panic!("cannot create {topic}: {error}"));
    }

    /// A client configuration that connects to the cluster.
    pub(crate) fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set(
            "bootstrap.servers",
            self.settings.bootstrap_servers.as_str(),
        );
        config
    }
}
