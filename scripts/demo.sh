#!/usr/bin/env bash
# The ShopStream demo, end to end, on a fresh machine: installs what is missing, builds, starts a
# local Apache Kafka if none answers, creates the topics, then runs the producers (the original
# demo's 40 product events, 15 purchases and 30 user events) while the live consumer and the
# metrics consumer show what arrives.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/prerequisites.sh
echo "== building (release)"
cargo build --release --bins --quiet
bin=target/release

servers=${KAFKA_BOOTSTRAP_SERVERS:-$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' .env 2>/dev/null | tail -n 1)}
servers=${servers:-localhost:9092}
if ! "$bin/setup-topics" --list --connect-timeout 3s >/dev/null 2>&1; then
  case "$servers" in
    localhost:* | 127.0.0.1:*)
      echo "== no Kafka answers at $servers: starting a local one (scripts/kafka-local.sh)"
      KAFKA_LOCAL_PORT=${servers##*:} scripts/kafka-local.sh start
      ;;
    *)
      echo "error: no Kafka answers at $servers; start it, or unset KAFKA_BOOTSTRAP_SERVERS for a local one" >&2
      exit 1
      ;;
  esac
fi

echo "== creating topics"
"$bin/setup-topics"

have() { [ -x "$bin/$1" ]; }
if ! have run-multiple-producers; then
  echo "== (producers are not built yet in this version: topics are ready)"
  "$bin/setup-topics" --list
  exit 0
fi

# Consumers first, from the end of each topic in fresh groups, so they show this run's events.
run_id=$(date +%s)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
if have consumer; then
  "$bin/consumer" --group "demo-consumer-$run_id" --timeout 8s &
  pids+=($!)
fi
sleep 2
echo "== producing: 40 product events, 15 purchases, 30 user events"
"$bin/run-multiple-producers"
if have metrics-consumer; then
  echo "== metrics over everything in the topics"
  "$bin/metrics-consumer" --group "demo-metrics-$run_id" --from-beginning --timeout 5s --every 1000000
fi
wait "${pids[@]}" 2>/dev/null || true
