use super::*;

#[test]
fn secrets_are_recognised() {
    use crate::settings::is_secret;
    assert!(is_secret("sasl.password"));
    assert!(is_secret("ssl.key.password"));
    assert!(is_secret("sasl.oauthbearer.client.secret"));
    assert!(!is_secret("sasl.username"));
}

#[test]
fn passthrough_properties_reach_the_client_config() {
    let mut settings = crate::settings::Settings::resolve(&Default::default()).unwrap();
    settings
        .kafka_properties
        .insert("security.protocol".into(), "SASL_PLAINTEXT".into());
    let config = client_config(&settings, "test");
    assert_eq!(config.get("security.protocol"), Some("SASL_PLAINTEXT"));
    assert_eq!(config.get("bootstrap.servers"), Some("localhost:9092"));
    assert_eq!(config.get("client.id"), Some("test"));
}

#[test]
fn a_kafka_setting_overrides_a_client_default() {
    let mut settings = crate::settings::Settings::resolve(&Default::default()).unwrap();
    settings
        .kafka_properties
        .insert("linger.ms".into(), "50".into());
    let config = client_config_with(&settings, "test", &[("linger.ms", "5"), ("acks", "all")]);
    assert_eq!(config.get("linger.ms"), Some("50"));
    assert_eq!(config.get("acks"), Some("all"));
}

#[test]
fn a_refused_connection_fails_at_once_with_advice() {
    let settings = crate::settings::Settings {
        bootstrap_servers: "127.0.0.1:1, localhost:1".into(),
        ..crate::settings::Settings::resolve(&Default::default()).unwrap()
    };
    let started = Instant::now();
    let err = probe_cluster(&settings, Duration::from_secs(30)).unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "not the timeout"
    );
    assert!(matches!(err, ConnectError::Refused { .. }), "{err}");
    let text = err.to_string();
    assert!(
        text.starts_with("nothing listens at 127.0.0.1:1, localhost:1 (connection refused): "),
        "{text}"
    );
    assert!(text.contains("scripts/kafka-local.sh start"), "{text}");
}

#[test]
fn one_listening_address_is_enough_not_to_be_refused() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listener.local_addr().unwrap();
    assert!(!refused_everywhere(&format!("127.0.0.1:1,{open}")));
    assert!(refused_everywhere("127.0.0.1:1,PLAINTEXT://127.0.0.1:1"));
    // A name that does not resolve is left to librdkafka (and its timeout).
    assert!(!refused_everywhere("no-such-host.invalid:9092"));
}

#[test]
fn tls_and_authentication_problems_end_the_wait_and_get_advice() {
    let verify = "ssl://127.0.0.1:9093/bootstrap: SSL handshake failed: error:0A000086:SSL \
                  routines::certificate verify failed: broker certificate could not be verified";
    assert_eq!(ProblemKind::of(verify), ProblemKind::Tls);
    assert!(tls_hint(verify).contains("KAFKA_SSL_CA_LOCATION"));
    let client_cert = "Receive failed: error:0A000412:SSL routines::sslv3 alert bad \
                       certificate: SSL alert number 42";
    assert_eq!(ProblemKind::of(client_cert), ProblemKind::Tls);
    assert!(tls_hint(client_cert).contains("KAFKA_SSL_CERTIFICATE_LOCATION"));
    let plaintext = "SSL handshake failed: Disconnected: SSL connection closed by peer: \
                     connecting to a PLAINTEXT broker listener?";
    assert!(tls_hint(plaintext).contains("KAFKA_SECURITY_PROTOCOL=PLAINTEXT"));
    let plaintext = "Disconnected: SSL connection closed by peer (after 65ms in state \
                     SSL_HANDSHAKE)";
    assert!(tls_hint(plaintext).contains("KAFKA_SECURITY_PROTOCOL=PLAINTEXT"));
    let tls_port = "127.0.0.1:19094/bootstrap: Disconnected: connection closed by peer: \
                    receive 0 after POLLIN (after 1ms in state APIVERSION_QUERY)";
    assert_eq!(ProblemKind::of(tls_port), ProblemKind::Tls);
    assert!(tls_hint(tls_port).contains("KAFKA_SECURITY_PROTOCOL=SSL"));
    let password = "SASL authentication error: Authentication failed during authentication \
                    due to invalid credentials with SASL mechanism SCRAM-SHA-512";
    assert_eq!(ProblemKind::of(password), ProblemKind::Authentication);
    let refused = "Connect to ipv4#127.0.0.1:1 failed: Connection refused";
    assert_eq!(ProblemKind::of(refused), ProblemKind::Connection);
    assert!(!ProblemKind::Connection.is_final());
    assert_eq!(tls_hint(refused), "");
}
