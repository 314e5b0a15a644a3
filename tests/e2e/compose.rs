//! docker-compose.yml pins the same Kafka as the local script, and is valid Compose.

use std::process::Command;

use crate::util::{repo_root, skip_without_broker};

fn kafka_version_of_local_script() -> String {
    let pom = std::fs::read_to_string(repo_root().join("scripts/kafka/pom.xml")).unwrap();
    let start = pom.find("<kafka.version>").unwrap() + "<kafka.version>".len();
    let end = pom[start..].find('<').unwrap() + start;
    pom[start..end].to_string()
}

#[test]
fn compose_file_pins_the_same_kafka_as_the_local_script() {
    let compose = std::fs::read_to_string(repo_root().join("docker-compose.yml")).unwrap();
    let version = kafka_version_of_local_script();
    assert!(version.starts_with("4."), "{version}");
    assert!(
        compose.contains(&format!("image: apache/kafka:{version}")),
        "compose must pin apache/kafka:{version}"
    );
    assert!(compose.contains("kafbat/kafka-ui"));
    assert!(
        !compose.to_lowercase().contains("zookeeper:"),
        "Kafka 4 runs without ZooKeeper"
    );
}

/// `docker compose` (the v2 plugin) where installed, else the standalone `docker-compose`.
fn compose_command() -> Option<Command> {
    let works = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if works("docker", &["compose", "version"]) {
        let mut command = Command::new("docker");
        command.arg("compose");
        Some(command)
    } else if works("docker-compose", &["version"]) {
        Some(Command::new("docker-compose"))
    } else {
        None
    }
}

/// Needs docker compose, which scripts/test.sh installs: it runs with the rest of the suite.
#[test]
fn compose_file_is_valid_for_docker_compose() {
    if skip_without_broker() {
        return;
    }
    let mut compose = compose_command().expect(
        "docker compose (or docker-compose) checks the compose file: scripts/test.sh installs it \
         (scripts/prerequisites.sh --compose)",
    );
    let output = compose
        .args(["-f", "docker-compose.yml", "config", "-q"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "compose config -q failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `cluster` profile: three Kafka nodes of the same image, each a voter of one quorum, and a
/// Kafka UI that knows all three.
#[test]
fn compose_cluster_profile_has_three_nodes_and_a_ui_for_them() {
    if skip_without_broker() {
        return;
    }
    let mut compose = compose_command().expect("docker compose (see above)");
    let output = compose
        .args(["-f", "docker-compose.yml", "--profile", "cluster", "config"])
        .current_dir(repo_root())
        .output()
        .unwrap();
    let config = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "compose --profile cluster config failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let version = kafka_version_of_local_script();
    for node in 1..=3 {
        let service = format!("  kafka-{node}:\n");
        let start = config
            .find(&service)
            .unwrap_or_else(|| panic!("no service kafka-{node} in:\n{config}"));
        let block = &config[start + service.len()..];
        let block = &block[..block.find("\n  kafka").unwrap_or(block.len())];
        assert!(
            block.contains(&format!("image: apache/kafka:{version}")),
            "{block}"
        );
        assert!(
            block.contains(&format!("KAFKA_NODE_ID: '{node}'"))
                || block.contains(&format!("KAFKA_NODE_ID: {node}")),
            "{block}"
        );
        assert!(
            block.contains(
                "KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
            ),
            "{block}"
        );
        assert!(
            block.contains("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '3'")
                || block.contains("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: 3"),
            "{block}"
        );
    }
    assert!(
        config.contains(
            "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS: kafka-1:29092,kafka-2:29092,kafka-3:29092"
        ),
        "{config}"
    );
}
