#!/usr/bin/env bash
# The whole test suite: unit tests, and end-to-end tests against a real Apache Kafka broker that
# this script starts (scripts/kafka-local.sh, port 19092 by default, with SSL, mutual-TLS and
# SASL_SSL listeners on the next ports but one: 19094, 19095, 19096), and a three-node cluster
# (ports 19192-19194, controllers 19195-19197) for the failover tests; it stops both again.
#   scripts/test.sh [cargo test arguments...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/prerequisites.sh --compose --browser --bench
# playwright-core drives Debian's Chromium in the dashboard's browser test (no browser download).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

export KAFKA_LOCAL_PORT=${SHOPSTREAM_TEST_PORT:-19092}
export KAFKA_LOCAL_CONTROLLER_PORT=$((KAFKA_LOCAL_PORT + 1))
export KAFKA_LOCAL_DIR="$PWD/.kafka/test-$KAFKA_LOCAL_PORT"
export SHOPSTREAM_TEST_BOOTSTRAP="127.0.0.1:$KAFKA_LOCAL_PORT"
# The same broker also has the secured listeners of tests/e2e/tls.rs, at fixed offsets from the
# plaintext port: SSL (broker verified, no client certificate), mutual TLS (client certificate
# required, principal User:client) and SASL_SSL (SCRAM-SHA-512/256, PLAIN), with ACLs enforced.
# User:ANONYMOUS (the plaintext listener) is a super user, so every other test runs as before.
# tests/e2e/tls.rs knows these SCRAM users and passwords. Given to `start` only: the brokers that
# tests start for themselves (util::LocalBroker) must not inherit them.
secured_broker=(
  KAFKA_LOCAL_SSL_PORT=$((KAFKA_LOCAL_PORT + 2))
  KAFKA_LOCAL_MTLS_PORT=$((KAFKA_LOCAL_PORT + 3))
  KAFKA_LOCAL_SASL_SSL_PORT=$((KAFKA_LOCAL_PORT + 4))
  KAFKA_LOCAL_ACLS=1
  KAFKA_LOCAL_SCRAM_USERS="shopstream=shopstream-secret limited=limited-secret"
  KAFKA_LOCAL_CLIENT_KEY_PASSWORD=client-key-secret
)
export SHOPSTREAM_TEST_SSL_BOOTSTRAP="127.0.0.1:$((KAFKA_LOCAL_PORT + 2))"
export SHOPSTREAM_TEST_MTLS_BOOTSTRAP="127.0.0.1:$((KAFKA_LOCAL_PORT + 3))"
export SHOPSTREAM_TEST_SASL_SSL_BOOTSTRAP="127.0.0.1:$((KAFKA_LOCAL_PORT + 4))"
export SHOPSTREAM_TEST_TLS_DIR="$KAFKA_LOCAL_DIR/tls"

# The replicated three-node cluster of tests/e2e/cluster.rs, 100 ports above the broker.
export SHOPSTREAM_TEST_CLUSTER_PORT=$((KAFKA_LOCAL_PORT + 100))
export SHOPSTREAM_TEST_CLUSTER_CONTROLLER_PORT=$((SHOPSTREAM_TEST_CLUSTER_PORT + 3))
export SHOPSTREAM_TEST_CLUSTER_DIR="$PWD/.kafka/test-cluster-$SHOPSTREAM_TEST_CLUSTER_PORT"
cluster=(
  KAFKA_LOCAL_NODES=3
  "KAFKA_LOCAL_PORT=$SHOPSTREAM_TEST_CLUSTER_PORT"
  "KAFKA_LOCAL_CONTROLLER_PORT=$SHOPSTREAM_TEST_CLUSTER_CONTROLLER_PORT"
  "KAFKA_LOCAL_DIR=$SHOPSTREAM_TEST_CLUSTER_DIR"
)

# Compile first, with cargo's progress shown (a first build takes about 3 minutes on 2 cores): a
# compile error should not wait for a JVM.
echo "== building the tests (the first build takes about 3 minutes on 2 cores)"
cargo test --workspace --no-run

broker_started_here=0 cluster_started_here=0
stop_brokers() {
  if [ "$broker_started_here" = 1 ]; then scripts/kafka-local.sh stop || true; fi
  if [ "$cluster_started_here" = 1 ]; then env "${cluster[@]}" scripts/kafka-local.sh stop || true; fi
}
trap stop_brokers EXIT
# Both start at once (a fresh one for every run); the JVMs take a while on two cores. Kafka's jars
# are fetched first, once, not by both at the same time.
scripts/kafka-local.sh classpath >/dev/null
# Flink's jars for tests/e2e/flink.rs (examples/flink-sql), fetched once into .cache/ and the
# runner compiled; the test itself never fetches (run.sh --no-fetch) and fails without them.
examples/flink-sql/run.sh --fetch
starting=()
if ! scripts/kafka-local.sh status >/dev/null 2>&1; then
  rm -rf "$KAFKA_LOCAL_DIR"
  broker_started_here=1
  env "${secured_broker[@]}" scripts/kafka-local.sh start &
  starting+=($!)
fi
if ! env "${cluster[@]}" scripts/kafka-local.sh status >/dev/null 2>&1; then
  # A cluster left half running by an interrupted run goes first.
  env "${cluster[@]}" scripts/kafka-local.sh stop >/dev/null 2>&1 || true
  rm -rf "$SHOPSTREAM_TEST_CLUSTER_DIR"
  cluster_started_here=1
  env "${cluster[@]}" scripts/kafka-local.sh start &
  starting+=($!)
fi
for pid in ${starting[@]+"${starting[@]}"}; do wait "$pid"; done

cargo test --workspace "$@"
