#!/usr/bin/env bash
# Soak test (not part of CI): the three producers at a steady rate into fresh topics while
# metrics-consumer reads them, for a while; every minute it reports throughput and memory.
#   scripts/soak.sh [MINUTES=10] [RATE=20000]
# Memory must stay flat: the script fails if either process's resident memory in the last minute
# is more than 20% (and 20 MB) above what it was after the first minute. Then a full-speed round:
# 2,000,000 events at --rate 0, and metrics-consumer reading them back as a backlog; the script
# fails if either's peak resident memory reaches 64 MB.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

minutes=${1:-10}
rate=${2:-20000}
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}

scripts/prerequisites.sh --bench
cargo build --release --bins --quiet
bin=target/release
if ! "$bin/setup-topics" --list --connect-timeout 3s >/dev/null 2>&1; then
  KAFKA_LOCAL_PORT=${KAFKA_BOOTSTRAP_SERVERS##*:} scripts/kafka-local.sh start
fi

run_id=soak-$(date +%s)
use_topics() { # PREFIX: the topics (and state topic) of one round
  export TOPIC_PRODUCT_EVENTS=$1-product-events TOPIC_PURCHASES=$1-purchases TOPIC_USER_EVENTS=$1-user-events
  export METRICS_STATE_TOPIC=$1-metrics-state
}
use_topics "$run_id"
"$bin/setup-topics" >/dev/null
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for prefix in "$run_id" "$run_id-fast"; do
    use_topics "$prefix"
    "$bin/setup-topics" --delete >/dev/null 2>&1 || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

"$bin/metrics-consumer" --from-beginning --group "$run_id" --json --every 50000 >"$work/metrics.jsonl" 2>"$work/metrics.err" &
consumer=$!
pids+=("$consumer")
"$bin/run-multiple-producers" --product-events 0 --purchases 0 --user-events 0 --rate "$rate" \
  --duration "${minutes}m" --quiet >"$work/producer.out" 2>"$work/producer.err" &
producer=$!
pids+=("$producer")

rss_mb() { awk '/^VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
peak_mb() { awk '/^VmHWM/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || echo "-"; }
# consumed (events + rejected) and total lag from the newest metrics report
progress() {
  local line
  line=$(tail -n 1 "$work/metrics.jsonl" 2>/dev/null |
    jq -r '"\(.events + .rejected) \([.lag[].lag] | add // 0)"' 2>/dev/null || true)
  echo "${line:-0 0}"
}

echo "soak: $minutes min at $rate events/s into $run_id-*, on $(nproc) cores"
printf '%6s %14s %14s %12s %14s %14s %14s\n' minute produced/s consumed/s total_lag producer_rss_MB consumer_rss_MB consumer_peak_MB
read -r last_consumed last_lag < <(progress)
last_produced=$((last_consumed + last_lag))
first_producer_rss="" first_consumer_rss="" producer_rss="" consumer_rss=""
for minute in $(seq 1 "$minutes"); do
  sleep 60
  read -r consumed lag < <(progress)
  produced=$((consumed + lag))
  producer_rss=$(rss_mb "$producer") consumer_rss=$(rss_mb "$consumer")
  printf '%6d %14d %14d %12d %14s %14s %14s\n' "$minute" $(((produced - last_produced) / 60)) \
    $(((consumed - last_consumed) / 60)) "$lag" "$producer_rss" "$consumer_rss" "$(peak_mb "$consumer")"
  if [ "$minute" = 1 ]; then first_producer_rss=$producer_rss first_consumer_rss=$consumer_rss; fi
  last_produced=$produced last_consumed=$consumed
done

wait "$producer" || { echo "soak: the producer failed:" >&2; cat "$work/producer.err" >&2; exit 1; }
echo "producer summary:"
cat "$work/producer.out"

flat=yes
grew() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b > a * 1.2 && b - a > 20) }'; }
if [ -n "$first_producer_rss" ] && [ "$producer_rss" != "-" ] && grew "$first_producer_rss" "$producer_rss"; then flat=no; fi
if [ -n "$first_consumer_rss" ] && [ "$consumer_rss" != "-" ] && grew "$first_consumer_rss" "$consumer_rss"; then flat=no; fi
echo "memory flat (minute 1 -> $minutes): $flat (producer $first_producer_rss -> $producer_rss MB, consumer $first_consumer_rss -> $consumer_rss MB)"

# Full speed: librdkafka's queues are bounded in bytes, so memory stays small however fast.
use_topics "$run_id-fast"
"$bin/setup-topics" >/dev/null
/usr/bin/time -f '%e %M' -o "$work/producer.time" "$bin/run-multiple-producers" --rate 0 --quiet \
  --product-events 1200000 --purchases 300000 --user-events 500000 >/dev/null
/usr/bin/time -f '%e %M' -o "$work/consumer.time" "$bin/metrics-consumer" --from-beginning \
  --group "$run_id-fast" --max-messages 2000000 --every 100000000 --json >/dev/null
read -r producer_seconds producer_peak <"$work/producer.time"
read -r consumer_seconds consumer_peak <"$work/consumer.time"
bounded=yes
[ "$producer_peak" -lt 65536 ] && [ "$consumer_peak" -lt 65536 ] || bounded=no
printf 'full speed: 2,000,000 events written in %ss (peak RSS %.1f MB), read back in %ss (peak RSS %.1f MB); under 64 MB: %s\n' \
  "$producer_seconds" "$(echo "$producer_peak / 1024" | bc -l)" "$consumer_seconds" "$(echo "$consumer_peak / 1024" | bc -l)" "$bounded"
[ "$flat" = yes ] && [ "$bounded" = yes ]
