//! The three-node Apache Kafka cluster that scripts/test.sh starts once per run
//! (`scripts/kafka-local.sh --nodes 3`), shared by the tests in cluster.rs.
//!
//! Those tests kill and restart its nodes, so they take turns: [`cluster`] hands out the cluster
//! to one test at a time, and gives it back with every node running again.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use rdkafka::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};

use crate::util::{TopicSet, repo_root, run_ok, tool};

/// Where the cluster is: scripts/test.sh exports these three.
struct Location {
    /// The first node's client port; node N listens on port + N - 1.
    port: u16,
    controller_port: u16,
    dir: PathBuf,
}

pub const NODES: i32 = 3;

/// The cluster, held by one test until dropped.
pub struct TestCluster {
    location: &'static Location,
    _turn: MutexGuard<'static, ()>,
}

/// The cluster for this test, or None to skip it (no cluster, outside CI; said once on stderr).
/// With CI set, a missing cluster fails the test.
pub fn cluster() -> Option<TestCluster> {
    static LOCATION: OnceLock<Result<Option<Location>, String>> = OnceLock::new();
    static TURN: Mutex<()> = Mutex::new(());
    let location = LOCATION.get_or_init(locate);
    let location = match location {
        Ok(Some(location)) => location,
        Ok(None) => return None,
        Err(missing) => panic!("{missing}"),
    };
    // A test that failed while holding the cluster poisons the lock; the next one still runs.
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let cluster = TestCluster {
        location,
        _turn: turn,
    };
    cluster.start_all();
    // Kafka's own topics too: a node killed while the group coordinator's partition has no other
    // replica in sync would stall every group until it is back.
    cluster.wait_in_sync(&[]);
    Some(cluster)
}

fn locate() -> Result<Option<Location>, String> {
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let (Some(port), Some(controller_port), Some(dir)) = (
        variable("SHOPSTREAM_TEST_CLUSTER_PORT"),
        variable("SHOPSTREAM_TEST_CLUSTER_CONTROLLER_PORT"),
        variable("SHOPSTREAM_TEST_CLUSTER_DIR"),
    ) else {
        let ci = std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"));
        if ci {
            return Err(
                "SHOPSTREAM_TEST_CLUSTER_PORT, SHOPSTREAM_TEST_CLUSTER_CONTROLLER_PORT \
                        and SHOPSTREAM_TEST_CLUSTER_DIR are not set: scripts/test.sh starts the \
                        three-node cluster and sets them"
                    .to_string(),
            );
        }
        eprintln!(
            "skipping the three-node cluster tests: SHOPSTREAM_TEST_CLUSTER_PORT is not set \
             (scripts/test.sh starts the cluster)"
        );
        return Ok(None);
    };
    let number = |name: &str, value: String| {
        value
            .parse::<u16>()
            .map_err(|_| format!("{name} must be a port number, not {value}"))
    };
    Ok(Some(Location {
        port: number("SHOPSTREAM_TEST_CLUSTER_PORT", port)?,
        controller_port: number("SHOPSTREAM_TEST_CLUSTER_CONTROLLER_PORT", controller_port)?,
        dir: PathBuf::from(dir),
    }))
}

impl TestCluster {
    /// Every node, as clients bootstrap from it.
    pub fn bootstrap(&self) -> String {
        (0..NODES)
            .map(|n| format!("127.0.0.1:{}", self.location.port as i32 + n))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// One of the project's binaries (see util::tool), against the cluster.
    pub fn tool(&self, name: &str, topics: &TopicSet) -> Command {
        let mut command = tool(name, topics);
        command.env("KAFKA_BOOTSTRAP_SERVERS", self.bootstrap());
        command
    }

    /// Creates the topics with three replicas and min.insync.replicas=2 (setup-topics' default
    /// for three replicas), and checks that they have them.
    pub fn create_topics(&self, topics: &TopicSet, partitions: u32) {
        run_ok(self.tool("setup-topics", topics).args([
            "--replication-factor",
            "3",
            "--partitions",
            &partitions.to_string(),
        ]));
        // A node that has just come back may take a moment to list a new topic.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let listed = crate::util::stdout_json(&run_ok(
                self.tool("setup-topics", topics).args(["--list", "--json"]),
            ));
            let topics = listed["topics"].as_array().expect("topics");
            if topics.iter().all(|t| t["exists"] == true) {
                for topic in topics {
                    assert_eq!(topic["replication_factor"], 3, "{topic}");
                    assert_eq!(topic["min_insync_replicas"], 2, "{topic}");
                }
                return;
            }
            assert!(Instant::now() < deadline, "not listed after 30 s: {listed}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// SIGKILL: node `node` crashes, no clean shutdown.
    pub fn kill(&self, node: i32) {
        run_ok(&mut self.script(&["kill", &node.to_string()]));
    }

    /// Starts node `node` again and waits until it answers.
    pub fn start_node(&self, node: i32) {
        run_ok(&mut self.script(&["start-node", &node.to_string()]));
    }

    /// Runs scripts/kafka-local.sh with ARGS for this cluster, whatever its exit code.
    pub fn script_output(&self, args: &[&str]) -> Output {
        self.script(args).output().expect("kafka-local.sh runs")
    }

    fn script(&self, args: &[&str]) -> Command {
        let mut command = Command::new(repo_root().join("scripts/kafka-local.sh"));
        command
            .args(args)
            .env("KAFKA_LOCAL_NODES", NODES.to_string())
            .env("KAFKA_LOCAL_PORT", self.location.port.to_string())
            .env(
                "KAFKA_LOCAL_CONTROLLER_PORT",
                self.location.controller_port.to_string(),
            )
            .env("KAFKA_LOCAL_DIR", &self.location.dir)
            .env_remove("KAFKA_LOCAL_SASL_PORT")
            .env_remove("KAFKA_LOCAL_SSL_PORT")
            .env_remove("KAFKA_LOCAL_MTLS_PORT")
            .env_remove("KAFKA_LOCAL_SASL_SSL_PORT")
            .env_remove("KAFKA_LOCAL_ACLS");
        command
    }

    /// The node leading `topic`'s partition `partition` now.
    pub fn leader(&self, topic: &str, partition: i32) -> i32 {
        let metadata = self
            .client()
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .expect("metadata");
        metadata.topics()[0]
            .partitions()
            .iter()
            .find(|p| p.id() == partition)
            .map(|p| p.leader())
            .expect("the partition exists")
    }

    /// Waits until every partition of these topics (none: of every topic, Kafka's own included)
    /// has all its replicas in sync again.
    pub fn wait_in_sync(&self, topics: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let client = self.client();
        loop {
            let lagging: Vec<String> = match client.fetch_metadata(None, Duration::from_secs(10)) {
                Ok(metadata) => metadata
                    .topics()
                    .iter()
                    .filter(|t| topics.is_empty() || topics.contains(&t.name()))
                    .flat_map(|t| {
                        t.partitions()
                            .iter()
                            .filter(|p| p.isr().len() < p.replicas().len())
                            .map(|p| format!("{}/{} in sync {:?}", t.name(), p.id(), p.isr()))
                    })
                    .collect(),
                Err(error) => vec![error.to_string()],
            };
            if lagging.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "replicas still out of sync after 120 s: {lagging:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn client(&self) -> BaseConsumer {
        ClientConfig::new()
            .set("bootstrap.servers", self.bootstrap())
            .create()
            .expect("a metadata client")
    }

    /// Brings back any node a test left down (start-node on a running node only says so).
    fn start_all(&self) {
        for node in 1..=NODES {
            let output = self.script_output(&["start-node", &node.to_string()]);
            assert!(
                output.status.success(),
                "node {node} of the test cluster does not start: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        // Not in a panic: a failed assertion here would hide the test's own failure.
        for node in 1..=NODES {
            let _ = self.script_output(&["start-node", &node.to_string()]);
        }
    }
}
