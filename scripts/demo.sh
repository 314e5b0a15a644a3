#!/usr/bin/env bash
# The ShopStream demo, end to end, on a fresh machine: installs what is missing, builds, starts a
# local Apache Kafka if none answers, creates the topics, then runs the producers (the original
# demo's 40 product events, 15 purchases and 30 user events) while the live consumer and the
# dashboard show what arrives, and prints the metrics. Then the shop stays open: a few shoppers
# a second keep the dashboard moving until Ctrl-C, which stops everything the demo started (the
# broker too, if it started it) and says what is left behind.
#   scripts/demo.sh [--once]     --once (or DEMO_ONCE=1): end after the metrics, for scripts
# Settings: DEMO_DASHBOARD (host:port, default 127.0.0.1:8088), DEMO_RATE (events/s afterwards, 3),
# DEMO_BIN (binaries already built there: no build; the end-to-end test uses it).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

once=${DEMO_ONCE:-0}
for argument in "$@"; do
  case "$argument" in
    --once) once=1 ;;
    -h | --help) sed -n '2,/^set /{/^#/s/^# \{0,1\}//p;}' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $argument (try --help)" >&2; exit 2 ;;
  esac
done

echo "== ShopStream demo. A first run on a small machine takes about 5 minutes: installing what is"
echo "   missing, building (about 3 minutes on 2 cores) and fetching Kafka; later runs start in seconds."
scripts/prerequisites.sh
if [ -n "${DEMO_BIN:-}" ]; then
  bin=$DEMO_BIN
else
  echo "== building (release)"
  cargo build --release --bins
  bin=target/release
fi

servers=${KAFKA_BOOTSTRAP_SERVERS:-$(sed -n 's/^KAFKA_BOOTSTRAP_SERVERS=//p' .env 2>/dev/null | tail -n 1)}
servers=${servers:-localhost:9092}
started_broker=0
pids=()
finish() {
  local code=$?
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$started_broker" = 1 ]; then
    echo "== stopping the local Kafka this demo started"
    KAFKA_LOCAL_PORT=${servers##*:} scripts/kafka-local.sh stop >/dev/null || true
  fi
  echo "== left behind: the topics and their events in Kafka's state folder ($(du -sh .kafka 2>/dev/null | cut -f1 || echo nothing) in .kafka/);"
  echo "   scripts/kafka-local.sh reset deletes a stopped local broker's state, setup-topics --delete only the topics"
  exit "$code"
}
trap finish EXIT
trap 'exit 0' INT TERM

if ! "$bin/setup-topics" --list --connect-timeout 3s >/dev/null 2>&1; then
  case "$servers" in
    localhost:* | 127.0.0.1:*)
      echo "== no Kafka answers at $servers: starting a local one (scripts/kafka-local.sh)"
      KAFKA_LOCAL_PORT=${servers##*:} scripts/kafka-local.sh start
      started_broker=1
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
pids+=("$consumer_pid")
# The live dashboard over everything in the topics, for as long as the demo runs.
dashboard=${DEMO_DASHBOARD:-127.0.0.1:8088}
"$bin/metrics-consumer" --group "demo-dashboard-$run_id" --from-beginning --serve "$dashboard" \
  --json --every 1000000000 >/dev/null &
pids+=("$!")
sleep 4 # joining the group takes a moment; events sent before that would not be shown
if [ "$once" = 1 ]; then
  echo "== live dashboard: http://$dashboard/ (up until the demo ends)"
else
  echo "== live dashboard: http://$dashboard/ (open it now: it stays up until you press Ctrl-C)"
fi

echo "== producing: 40 product events, 15 purchases, 30 user events (3 concurrent streams, one shared simulator)"
"$bin/run-multiple-producers" --quiet
wait "$consumer_pid" || true

echo "== metrics over every event in the topics"
"$bin/metrics-consumer" --group "demo-metrics-$run_id" --from-beginning --timeout 3s --every 1000000000
echo
if [ "$once" = 1 ]; then
  exit 0
fi

rate=${DEMO_RATE:-3}
echo "== the shop stays open: about $rate events a second from now on, on the dashboard at http://$dashboard/"
echo "   (in another terminal: $bin/consumer shows them as they come). Ctrl-C stops everything."
"$bin/run-multiple-producers" --product-events 0 --purchases 0 --user-events 0 --rate "$rate" --quiet >/dev/null &
pids+=("$!")
wait "$!"
