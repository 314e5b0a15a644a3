#!/usr/bin/env bash
# The whole test suite: unit tests, and end-to-end tests against a real Apache Kafka broker that
# this script starts (scripts/kafka-local.sh, port 19092 by default) and stops again.
#   scripts/test.sh [cargo test arguments...]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/prerequisites.sh --compose --browser
# playwright-core drives Debian's Chromium in the dashboard's browser test (no browser download).
if [ ! -d tests/browser/node_modules/playwright-core ]; then
  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

export KAFKA_LOCAL_PORT=${SHOPSTREAM_TEST_PORT:-19092}
export KAFKA_LOCAL_CONTROLLER_PORT=$((KAFKA_LOCAL_PORT + 1))
export KAFKA_LOCAL_DIR="$PWD/.kafka/test-$KAFKA_LOCAL_PORT"
export SHOPSTREAM_TEST_BOOTSTRAP="127.0.0.1:$KAFKA_LOCAL_PORT"

# Compile first: a compile error should not wait for a JVM.
cargo test --workspace --no-run --quiet

started_here=0
stop_broker() {
  if [ "$started_here" = 1 ]; then scripts/kafka-local.sh stop || true; fi
}
trap stop_broker EXIT
if ! scripts/kafka-local.sh status >/dev/null 2>&1; then
  rm -rf "$KAFKA_LOCAL_DIR" # a fresh broker for every run
  started_here=1
  scripts/kafka-local.sh start
fi

cargo test --workspace "$@"
