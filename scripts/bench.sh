#!/usr/bin/env bash
# Benchmarks against the local Apache Kafka, side by side with Kafka's own perf tools, in one run:
#   scripts/bench.sh producer [--cluster] [COUNT]
#                                       product-producer --count COUNT --rate 0 vs ProducerPerformance
#                                       with Java's defaults and with the same batching (same record
#                                       size, acks=all, idempotence on), default 1,000,000; --cluster:
#                                       on a three-node cluster (scripts/kafka-local.sh --nodes 3 on
#                                       127.0.0.1:9192-9194 unless KAFKA_BOOTSTRAP_SERVERS says
#                                       otherwise), topics with three replicas and min.insync.replicas=2
#   scripts/bench.sh consumer [COUNT]   metrics-consumer (one reader thread, then two) over COUNT
#                                       product events vs ConsumerPerformance on the same topic,
#                                       default 1,000,000
#   (producer and consumer: a warm-up, then each tool twice in alternating order; for each the best
#   events/s with its CPU time per event, user+system, the peak RSS, and the local broker's CPU time
#   per event in that run; producer: then two processes of each tool at once, half the records
#   each, to show what one connection to the broker bounds)
#   scripts/bench.sh compression [COUNT] product-producer --count COUNT --rate 0 with each
#                                       KAFKA_COMPRESSION_TYPE (none, gzip, snappy, lz4, zstd):
#                                       events/s and bytes on the broker's disk, default 500,000
#   scripts/bench.sh scale [COUNT]      metrics-consumer over COUNT product events (6 partitions):
#                                       one instance at least once, then 1, 2 and 3 instances of an
#                                       --exactly-once group; events/s, CPU per event and peak RSS,
#                                       default 1,000,000
#   scripts/bench.sh shop [COUNT]       run-multiple-producers free-running (seeded, --rate 0, about
#                                       COUNT events: the history of as many simulated days) over
#                                       the shipped files, 1,000,000 users x 100,000 products and
#                                       10,000,000 x 1,000,000: start-up (to the first event),
#                                       events/s, CPU per event and peak RSS, default 1,000,000
#   scripts/bench.sh distinct [COUNT]   metrics-consumer over COUNT views of COUNT/10 distinct
#                                       products by COUNT distinct users (the issue's hostile
#                                       stream: 10,000,000 events, 1,000,000 products, 10,000,000
#                                       users), in each mode: plain, --threads 2, --window 1m,
#                                       --checkpoint, --exactly-once, and plain --max-keys 100000;
#                                       events/s, CPU per event and peak RSS, default 2,000,000
# It starts a local broker if none answers at $KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092) and
# leaves it running; each run uses fresh topics (bench-*) and deletes them at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

cluster=0
words=()
for word in "$@"; do
  if [ "$word" = --cluster ]; then cluster=1; else words+=("$word"); fi
done
set -- ${words[@]+"${words[@]}"}
what=${1:-producer}
default_count=1000000
[ "$what" = compression ] && default_count=500000
count=${2:-$default_count}
replicas=1
if [ "$cluster" = 1 ]; then
  [ "$what" = producer ] || { echo "bench.sh: --cluster is for the producer benchmark" >&2; exit 2; }
  export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9192,127.0.0.1:9193,127.0.0.1:9194}
  replicas=3
fi
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
first_server=${KAFKA_BOOTSTRAP_SERVERS%%,*}
port=${first_server##*:}

scripts/prerequisites.sh --bench
cargo build --release --bins --quiet
bin=target/release
if ! "$bin/setup-topics" --list --connect-timeout 3s >/dev/null 2>&1; then
  if [ "$cluster" = 1 ]; then
    KAFKA_LOCAL_PORT=$port KAFKA_LOCAL_NODES=3 scripts/kafka-local.sh start
  else
    KAFKA_LOCAL_PORT=$port scripts/kafka-local.sh start
  fi
fi

run_id=bench-$(date +%s)
export TOPIC_PRODUCT_EVENTS=$run_id-product-events TOPIC_PURCHASES=$run_id-purchases TOPIC_USER_EVENTS=$run_id-user-events
export METRICS_STATE_TOPIC=$run_id-metrics-state
cleanup() { "$bin/setup-topics" --delete >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$bin/setup-topics" --partitions 3 --replication-factor "$replicas" >/dev/null

# The broker's share: the CPU time (user+system) of the local broker processes listening on the
# bootstrap ports, read from /proc around each run; none for a remote broker.
broker_pids=""
if command -v ss >/dev/null; then
  broker_pids=$(for server in ${KAFKA_BOOTSTRAP_SERVERS//,/ }; do
    ss -ltnpH "sport = :${server##*:}" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 || true
  done | sort -u | paste -sd ' ' -)
fi
ticks_per_second=$(getconf CLK_TCK)
broker_ticks() {
  local total=0 pid
  for pid in $broker_pids; do
    total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# measure LABEL wall|java PARSER COMMAND...: runs COMMAND under GNU time; the events/s are COUNT
# over the wall clock (wall; PARSER is -), or what the Java tool printed (PARSER reads its output). Keeps the
# best run of each label, with its CPU per event (user+system), the broker's CPU per event in that
# run, and the peak RSS of all its runs.
declare -A best_rate best_cpu best_broker peak_rss
labels=()
measure() {
  local label=$1 kind=$2 parser=$3 out times rate cpu rss before broker
  shift 3
  out=$(mktemp) times=$(mktemp)
  before=$(broker_ticks)
  /usr/bin/time -f '%e %U %S %M' -o "$times" "$@" >"$out" 2>&1
  broker=$(echo "($(broker_ticks) - $before) * 1000000 / $ticks_per_second / $count" | bc -l)
  read -r elapsed user system rss <"$times"
  if [ "$kind" = wall ]; then rate=$(echo "$count / $elapsed" | bc -l); else rate=$($parser "$out"); fi
  cpu=$(echo "($user + $system) * 1000000 / $count" | bc -l)
  printf '  %-40s %12.0f events/s %8.2f µs CPU/event %6.0f MB peak RSS %8.2f µs broker CPU/event\n' \
    "$label" "$rate" "$cpu" "$(echo "$rss / 1024" | bc -l)" "$broker"
  if [ -z "${best_rate[$label]:-}" ]; then labels+=("$label"); fi
  if [ -z "${best_rate[$label]:-}" ] || [ "$(echo "$rate > ${best_rate[$label]}" | bc -l)" = 1 ]; then
    best_rate[$label]=$rate best_cpu[$label]=$cpu best_broker[$label]=$broker
  fi
  if [ -z "${peak_rss[$label]:-}" ] || [ "$rss" -gt "${peak_rss[$label]}" ]; then peak_rss[$label]=$rss; fi
  rm -f "$out" "$times"
}
report() {
  echo "== best of each ($1)"
  printf '  %-40s %12s %14s %10s %14s\n' tool events/s "CPU µs/event" "peak RSS" "broker µs/event"
  for label in "${labels[@]}"; do
    printf '  %-40s %12.0f %14.2f %7.0f MB %14.2f\n' "$label" "${best_rate[$label]}" "${best_cpu[$label]}" \
      "$(echo "${peak_rss[$label]} / 1024" | bc -l)" "${best_broker[$label]}"
  done
  echo "  (CPU is user+system of the whole process, JVM start-up and JIT included for the Java tools;"
  if [ -n "$broker_pids" ]; then
    echo "   broker: the CPU of the local broker process(es) $broker_pids during that run)"
  else
    echo "   broker: no local broker process found, so 0)"
  fi
}

cpu() { lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1; }
echo "machine: $(nproc) cores, $(cpu); Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml) at $KAFKA_BOOTSTRAP_SERVERS"

case "$what" in
  producer)
    # The record size Kafka's tool uses: the mean size of our product events.
    size=$("$bin/product-producer" --count 20000 --rate 0 --seed 1 --json --bootstrap-servers "$KAFKA_BOOTSTRAP_SERVERS" 2>/dev/null |
      awk '{ bytes += length($0) } END { printf "%d", bytes / NR }')
    perf_topic=$run_id-perf
    scripts/kafka-local.sh run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" \
      --create --topic "$perf_topic" --partitions 3 --replication-factor "$replicas" \
      --config min.insync.replicas=$((replicas > 1 ? 2 : 1)) >/dev/null
    ours=("$bin/product-producer" --count "$count" --rate 0 --quiet)
    java_for() { # RECORDS: the ProducerPerformance command line in the array java
      java=(scripts/kafka-local.sh run-class org.apache.kafka.tools.ProducerPerformance --topic "$perf_topic"
        --num-records "$1" --record-size "$size" --throughput -1
        --producer-props bootstrap.servers="$KAFKA_BOOTSTRAP_SERVERS" acks=all enable.idempotence=true)
    }
    java_for "$count"
    rate_of_java() { sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' "$1" | tail -n 1; }
    echo "== $count records of ~$size bytes, acks=all, idempotent, replication factor $replicas; warm-up, then each tool twice in alternating order"
    "${ours[@]}" >/dev/null # warm-up: the broker's page cache and segments
    for round in 1 2; do
      measure "product-producer" wall - "${ours[@]}"
      # Java's defaults: 16 KB batches.
      measure "ProducerPerformance, Java defaults" java rate_of_java "${java[@]}"
      # The same batching as product-producer: 1 MB batches, linger 20 ms.
      measure "ProducerPerformance, 1 MB batches" java rate_of_java "${java[@]}" batch.size=1048576 linger.ms=20
    done
    # What bounds both: the broker handles the requests of one connection one at a time. Two
    # processes (two connections), half the records each, show how much more it takes.
    half=$((count / 2))
    # shellcheck disable=SC2016 # expanded by the inner shell
    # Each fails if either process fails.
    both='"$@" --seed 1 >/dev/null & first=$!; "$@" --seed 2 >/dev/null; status=$?; wait $first || status=$?; exit $status'
    java_both='"$@" >"$out.1" & first=$!; "$@" >"$out.2"; status=$?; wait $first || status=$?
      cat "$out.1" "$out.2"; rm -f "$out.1" "$out.2"; exit $status'
    # The sum of the two final rates (the final lines are those with percentiles).
    rates_of_java() { grep '50th' "$1" | sed -n 's/.* records sent, \([0-9.]*\) records\/sec.*/\1/p' | paste -sd+ | bc -l; }
    java_for "$half"
    for round in 1 2; do
      measure "product-producer, two at once" wall - bash -c "$both" - "$bin/product-producer" --count "$half" --rate 0 --quiet
      measure "ProducerPerformance 1 MB, two at once" java rates_of_java env out="$(mktemp -u)" bash -c "$java_both" - \
        "${java[@]}" batch.size=1048576 linger.ms=20
    done
    report "like for like: product-producer and ProducerPerformance with 1 MB batches (same batching, record size, acks, idempotence)"
    scripts/kafka-local.sh run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" \
      --delete --topic "$perf_topic" >/dev/null 2>&1 || true
    ;;
  consumer)
    echo "== writing $count product events (product-producer --rate 0)"
    "$bin/product-producer" --count "$count" --rate 0 --quiet --seed 1 | tail -n 1
    ours() { # a new group each run: GROUP [FLAGS...]
      local group=$1
      shift
      echo "$bin/metrics-consumer" --topics product-events --from-beginning --group "$run_id-metrics-$group" \
        --max-messages "$count" --every "$((count * 10))" --json "$@"
    }
    java() {
      echo scripts/kafka-local.sh run-class org.apache.kafka.tools.ConsumerPerformance \
        --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --topic "$TOPIC_PRODUCT_EVENTS" --messages "$count" \
        --group "$run_id-perf-$1" --timeout 30000
    }
    # nMsg.sec, the sixth column of ConsumerPerformance's result line (group join included, as ours).
    rate_of_java() { tail -n 1 "$1" | awk -F', *' '{ print $6 }'; }
    echo "== each tool twice in alternating order after a warm-up read; metrics-consumer decodes and aggregates every event, ConsumerPerformance only reads"
    $(ours warm-up) >/dev/null
    for round in 1 2; do
      # shellcheck disable=SC2046 # the words of a command line without spaces in them
      measure "metrics-consumer" wall - $(ours "$round")
      # shellcheck disable=SC2046
      measure "metrics-consumer --threads 2" wall - $(ours "$round-threads" --threads 2)
      # shellcheck disable=SC2046
      measure "ConsumerPerformance" java rate_of_java $(java "$round")
    done
    report "same topic, same broker, both reading from the beginning in a new group"
    ;;
  compression)
    # Bytes on disk as the broker reports them (its log dirs), so a remote broker works too.
    disk_bytes() {
      scripts/kafka-local.sh run-class org.apache.kafka.tools.LogDirsCommand \
        --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --describe --topic-list "$TOPIC_PRODUCT_EVENTS" 2>/dev/null |
        grep -o '"size":[0-9]*' | awk -F: '{ total += $2 } END { printf "%d", total }'
    }
    printf '%-8s %12s %14s %12s\n' codec events/s "bytes on disk" bytes/event
    for codec in none gzip snappy lz4 zstd; do
      "$bin/setup-topics" --recreate --partitions 3 >/dev/null
      start=$(date +%s.%N)
      KAFKA_COMPRESSION_TYPE=$codec "$bin/product-producer" --count "$count" --rate 0 --quiet --seed 1 >/dev/null
      end=$(date +%s.%N)
      bytes=$(disk_bytes)
      printf '%-8s %12.0f %14d %12.1f\n' "$codec" "$(echo "$count / ($end - $start)" | bc -l)" "$bytes" \
        "$(echo "$bytes / $count" | bc -l)"
    done
    ;;
  scale)
    "$bin/setup-topics" --recreate --partitions 6 >/dev/null
    echo "== writing $count product events over 6 partitions (product-producer --rate 0)"
    "$bin/product-producer" --count "$count" --rate 0 --quiet --seed 1 | tail -n 1
    idle=2
    # Runs N instances in one group until each has been idle for $idle s; the time is wall clock
    # from start to the last exit less that idle wait (group join, rebalances, restores and the
    # final commits included). CPU is user+system of all instances; RSS the largest instance's.
    run_group() { # N GROUP FLAGS...
      local n=$1 group=$2 dir
      shift 2
      dir=$(mktemp -d)
      local start end
      start=$(date +%s.%N)
      for i in $(seq "$n"); do
        /usr/bin/time -f '%U %S %M' -o "$dir/$i.time" "$bin/metrics-consumer" --topics product-events \
          --from-beginning --group "$group" --timeout "${idle}s" --every "$((count * 10))" --json "$@" \
          >"$dir/$i.out" 2>"$dir/$i.err" &
      done
      wait
      end=$(date +%s.%N)
      local seconds cpu rss
      seconds=$(echo "$end - $start - $idle" | bc -l)
      cpu=$(cat "$dir"/*.time | awk '{ total += $1 + $2 } END { printf "%.2f", total }')
      rss=$(cat "$dir"/*.time | awk '{ if ($3 > max) max = $3 } END { printf "%.0f", max / 1024 }')
      printf '%-34s %12.0f %14.2f %14s\n' "$label" "$(echo "$count / $seconds" | bc -l)" \
        "$(echo "$cpu * 1000000 / $count" | bc -l)" "$rss MB"
      rm -rf "$dir"
    }
    printf '%-34s %12s %14s %14s\n' "metrics-consumer" events/s "CPU µs/event" "peak RSS"
    label="1 instance, at least once" run_group 1 "$run_id-plain"
    for n in 1 2 3; do
      label="$n instance(s), --exactly-once" run_group "$n" "$run_id-eos-$n" --exactly-once
    done
    label="1 instance, --exactly-once, 50,000" run_group 1 "$run_id-eos-big" --exactly-once --commit-every 50000
    echo "(exactly-once commits every 5,000 messages or each second unless --commit-every says otherwise)"
    ;;
  shop)
    # About 37,000 events a simulated day (the shipped model's 4,000 sessions): the history of
    # that many days, then the run stops at its first live event.
    days=$(((count + 36999) / 37000))
    launcher=("$bin/run-multiple-producers" --seed 1 --rate 0 --product-events 0 --purchases 0 --user-events 0)
    printf '%-30s %10s %12s %14s %10s\n' shop start-up events/s "CPU µs/event" "peak RSS"
    for size in "files:" "1000000 x 100000:--users 1000000 --products 100000" \
      "10000000 x 1000000:--users 10000000 --products 1000000"; do
      # shellcheck disable=SC2206 # the flags' words
      flags=(${size#*:})
      # Start-up: from launch to the first event printed (the launcher then sees no reader and stops).
      start=$(date +%s.%N)
      { read -r _; first=$(date +%s.%N); } < <("${launcher[@]}" ${flags[@]+"${flags[@]}"} --json 2>/dev/null)
      wait $! 2>/dev/null || true
      times=$(mktemp) out=$(mktemp)
      /usr/bin/time -f '%e %U %S %M' -o "$times" "${launcher[@]}" ${flags[@]+"${flags[@]}"} \
        --backfill "${days}d" --duration 0s --time-scale 100000 --quiet >"$out" 2>&1
      read -r elapsed user system rss <"$times"
      # The events sent: the summary's total row, digits only.
      sent=$(grep -i '^ *total\|│ *total' "$out" | head -n 1 | tr -d ',' | grep -o '[0-9]\+' | head -n 1)
      printf '%-30s %8.2f s %12.0f %14.2f %7.0f MB\n' "${size%%:*}" "$(echo "$first - $start" | bc -l)" \
        "$(echo "$sent / $elapsed" | bc -l)" "$(echo "($user + $system) * 1000000 / $sent" | bc -l)" \
        "$(echo "$rss / 1024" | bc -l)"
      rm -f "$times" "$out"
    done
    echo "(events/s and CPU over the whole process: start-up, the history and the final flush)"
    ;;
  distinct)
    distinct_products=$(((count + 9) / 10))
    echo "== $count views of $distinct_products distinct products by $count distinct users"
    # Raw events, every one of a new user, products in turn; read back below by every mode.
    python3 - "$count" "$distinct_products" <<'PY' |
import sys
count, products = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for i in range(count):
    ms = i * 7 % 3600000
    stamp = "2026-01-01T00:%02d:%02d.%03dZ" % (ms // 60000, ms // 1000 % 60, ms % 1000)
    out.write('{"event_id":"00000000-0000-4000-8000-%012x","event_type":"view","timestamp":"%s",'
              '"user_id":"U%08d","session_id":"S%d","region":"North","customer_type":"Regular",'
              '"product_id":"P%07d","product_name":"Item %d","category":"Toys","price":10.00,'
              '"brand":"B"}\n' % (i, stamp, i, i, i % products, i % products))
PY
      scripts/kafka-local.sh run-class org.apache.kafka.tools.ConsoleProducer --bootstrap-server \
        "$first_server" --topic "$TOPIC_PRODUCT_EVENTS" --producer-property linger.ms=20 \
        --producer-property batch.size=262144 >/dev/null
    checkpoint=$(mktemp -d)
    reader=("$bin/metrics-consumer" --from-beginning --topics product-events --max-messages "$count" --json --every 1000000000)
    for mode in "plain:" "threads 2:--threads 2" "window 1m:--window 1m" \
      "checkpoint:--checkpoint $checkpoint/figures" "exactly-once:--exactly-once" \
      "plain, --max-keys 100000:--max-keys 100000"; do
      # shellcheck disable=SC2206 # the flags' words
      flags=(${mode#*:})
      measure "metrics-consumer ${mode%%:*}" wall - "${reader[@]}" --group "$run_id-${RANDOM}" ${flags[@]+"${flags[@]}"}
    done
    rm -rf "$checkpoint"
    report "distinct ids, exact up to METRICS_MAX_KEYS (default 1,000,000)"
    ;;
  *)
    echo "usage: scripts/bench.sh producer|consumer|compression|scale|shop|distinct [COUNT]" >&2
    exit 2
    ;;
esac
