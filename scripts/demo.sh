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

# The live consumer first, in a fresh group from the newest events, so it shows this run's events
# as they arrive; it stops by itself once the producers are done and it has been idle for 10 s.
run_id=$(date +%s)
"$bin/consumer" --group "demo-consumer-$run_id" --timeout 10s &
consumer_pid=$!
trap 'kill "$consumer_pid" 2>/dev/null || true' EXIT
# The live dashboard over everything in the topics, while the demo runs.
dashboard=${DEMO_DASHBOARD:-127.0.0.1:8088}
"$bin/metrics-consumer" --group "demo-dashboard-$run_id" --from-beginning --serve "$dashboard" \
  --json --every 1000000000 >/dev/null &
dashboard_pid=$!
trap 'kill "$consumer_pid" "$dashboard_pid" 2>/dev/null || true' EXIT
sleep 4 # joining the group takes a moment; events sent before that would not be shown
echo "== live dashboard: http://$dashboard/ (open it now; it stays up until the demo ends)"

echo "== producing: 40 product events, 15 purchases, 30 user events (3 concurrent streams, one shared simulator)"
"$bin/run-multiple-producers" --quiet
wait "$consumer_pid" || true

echo "== metrics over every event in the topics"
"$bin/metrics-consumer" --group "demo-metrics-$run_id" --from-beginning --timeout 3s --every 1000000000
echo
echo "Next: target/release/metrics-consumer --serve 127.0.0.1:8088 in one terminal (dashboard),"
echo "target/release/consumer in another, then run target/release/run-multiple-producers again."
