//! scripts/demo.sh as a newcomer runs it: it starts its own Kafka, shows the original demo's
//! events and metrics, keeps the shop open with a few events a second, and on Ctrl-C stops
//! everything it started (the broker too) and says what it leaves behind.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

#[test]
fn the_demo_stays_open_until_ctrl_c_then_stops_what_it_started() {
    if skip_without_broker() {
        return;
    }
    let state = tempfile::tempdir().unwrap();
    let port = free_port();
    let dashboard = free_port();
    let binaries = binary("consumer").parent().unwrap().to_path_buf();
    let mut demo = Command::new(repo_root().join("scripts/demo.sh"))
        .current_dir(repo_root())
        .env("KAFKA_BOOTSTRAP_SERVERS", format!("127.0.0.1:{port}"))
        .env("KAFKA_LOCAL_CONTROLLER_PORT", free_port().to_string())
        .env("KAFKA_LOCAL_DIR", state.path())
        .env("KAFKA_LOCAL_HEAP", "512m")
        .env("DEMO_BIN", &binaries)
        .env("DEMO_DASHBOARD", format!("127.0.0.1:{dashboard}"))
        .env("DEMO_RATE", "20")
        .env("NO_COLOR", "1")
        .env_remove("KAFKA_LOCAL_PORT")
        .env_remove("KAFKA_LOCAL_SSL_PORT")
        .env_remove("KAFKA_LOCAL_MTLS_PORT")
        .env_remove("KAFKA_LOCAL_SASL_SSL_PORT")
        .env_remove("KAFKA_LOCAL_ACLS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("demo.sh runs");
    let started = Instant::now();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let open = line.starts_with("== the shop stays open");
        seen.push(line);
        if open {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "the demo never opened the shop:\n{}",
            seen.join("\n")
        );
    }
    let text = seen.join("\n");
    assert!(
        text.contains("Final report: 85 events, 0 rejected"),
        "{text}"
    );
    // The dashboard is still up, and events keep coming.
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        TcpStream::connect(("127.0.0.1", dashboard)).is_ok(),
        "the dashboard stays up"
    );
    // Ctrl-C (SIGINT to the script).
    let status = Command::new("kill")
        .args(["-INT", &demo.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = demo.wait().unwrap();
    let rest = rest.join("\n");
    assert!(status.success(), "{status:?}\n{rest}");
    assert!(
        rest.contains("stopping the local Kafka this demo started"),
        "{rest}"
    );
    assert!(rest.contains("left behind:"), "{rest}");
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "the broker it started is stopped"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", dashboard)).is_err(),
        "the dashboard is stopped"
    );
}
