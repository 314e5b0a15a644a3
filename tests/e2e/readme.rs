//! The commands of the README and of every page of the book (the pages docs/SUMMARY.md lists, in
//! its order, after the README), run as written after `cargo install` (here: with the tests'
//! binaries first on PATH), against the test broker with topics of their own. A command is a line
//! of a bash block that starts with one of the tools. A command that runs until
//! Ctrl-C is given one after 5 s (SIGINT to its process group, as a terminal would); every command
//! must end with exit code 0, or be stopped that way, and never print an error.
//!
//! The commands that follow `export KAFKA_BOOTSTRAP_SERVERS=...` of three servers in their block
//! (the book's replicated cluster) run against the test cluster (see test_cluster.rs).

use std::path::PathBuf;
use std::process::Command;

use crate::book::summary_pages;
use crate::test_cluster::cluster;
use crate::util::*;

/// A command of the README or the book, and whether it is meant for the three-node cluster.
#[derive(Debug)]
struct ReadmeCommand {
    line: String,
    on_cluster: bool,
}

/// The README, then the book's pages in the order of its summary.
fn documents() -> Vec<PathBuf> {
    let mut documents = vec![PathBuf::from("README.md")];
    documents.extend(summary_pages());
    documents
}

/// The lines of the README's and the book's bash blocks that run one of the tools, comments
/// removed.
fn commands() -> Vec<ReadmeCommand> {
    documents()
        .iter()
        .flat_map(|document| {
            let text = std::fs::read_to_string(repo_root().join(document)).unwrap();
            commands_in(&text)
        })
        .collect()
}

/// The commands of one Markdown document.
fn commands_in(markdown: &str) -> Vec<ReadmeCommand> {
    let mut in_bash = false;
    let mut on_cluster = false;
    let mut commands = Vec::new();
    for line in markdown.lines() {
        if line.starts_with("```") {
            in_bash = line == "```bash";
            on_cluster = false;
            continue;
        }
        if let Some(servers) = line.strip_prefix("export KAFKA_BOOTSTRAP_SERVERS=") {
            on_cluster = servers.split(',').count() == 3;
        }
        let first = line.split_whitespace().next().unwrap_or_default();
        if in_bash && TOOLS.contains(&first) {
            let command = line.split(" #").next().unwrap_or_default().trim();
            commands.push(ReadmeCommand {
                line: command.to_string(),
                on_cluster,
            });
        }
    }
    commands
}

#[test]
fn the_readme_and_book_commands_run_as_written() {
    if skip_without_broker() {
        return;
    }
    let topics = TopicSet::new("readme");
    let _cleanup = Cleanup(topics.clone());
    let mut commands = commands();
    assert!(commands.len() >= 20, "{commands:?}");
    // Deleting the topics comes last, so that the others have them.
    commands.sort_by_key(|command| command.line.contains("--delete"));
    let (cluster_commands, commands): (Vec<_>, Vec<_>) =
        commands.into_iter().partition(|c| c.on_cluster);
    assert!(!cluster_commands.is_empty(), "the book's cluster section");
    let binaries = binary("consumer").parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        binaries.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let run = |command: &str, servers: &str| {
        // Another cluster's address, unreachable here by design.
        if command.contains("-b broker:9092") {
            return;
        }
        // The dashboard's port in the examples (127.0.0.1:8088, 0.0.0.0:8088) may be taken here.
        let command = command.replace(":8088", &format!(":{}", free_port()));
        let mut timeout = Command::new("timeout");
        test_env(&mut timeout, &topics);
        let output = timeout
            .args(["-s", "INT", "-k", "20s", "5s", "bash", "-c", &command])
            .env("PATH", &path)
            .env("KAFKA_BOOTSTRAP_SERVERS", servers)
            .output()
            .expect("timeout runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code();
        assert!(
            matches!(code, Some(0) | Some(124)),
            "`{command}` ended with {:?}:\n{stderr}",
            output.status
        );
        assert!(!stderr.contains("error"), "`{command}`:\n{stderr}");
        assert!(!stderr.contains("panicked"), "`{command}`:\n{stderr}");
    };
    for command in &commands {
        run(&command.line, &bootstrap());
    }
    if let Some(cluster) = cluster() {
        let _cleanup = CleanupAt(cluster.bootstrap(), topics.clone());
        for command in &cluster_commands {
            run(&command.line, &cluster.bootstrap());
        }
    }
}
