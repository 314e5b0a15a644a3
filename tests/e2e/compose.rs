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
