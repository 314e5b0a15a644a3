#!/usr/bin/env bash
# Benchmarks against the local Apache Kafka, side by side with Kafka's own perf tools, in one run:
#   scripts/bench.sh producer [COUNT]   product-producer --count COUNT --rate 0 vs ProducerPerformance
#                                       (same record size, acks=all, idempotence on), default 1,000,000
#   scripts/bench.sh consumer [COUNT]   metrics-consumer over COUNT product events vs
#                                       ConsumerPerformance on the same topic, default 1,000,000
#   scripts/bench.sh compression [COUNT] product-producer --count COUNT --rate 0 with each
#                                       KAFKA_COMPRESSION_TYPE (none, gzip, snappy, lz4, zstd):
#                                       events/s and bytes on the broker's disk, default 500,000
#   scripts/bench.sh scale [COUNT]      metrics-consumer over COUNT product events (6 partitions):
#                                       one instance at least once, then 1, 2 and 3 instances of an
#                                       --exactly-once group; events/s, CPU per event and peak RSS,
#                                       default 1,000,000
# It starts a local broker if none answers at $KAFKA_BOOTSTRAP_SERVERS (default 127.0.0.1:9092) and
# leaves it running; each run uses fresh topics (bench-*) and deletes them at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

what=${1:-producer}
default_count=1000000
[ "$what" = compression ] && default_count=500000
count=${2:-$default_count}
export KAFKA_BOOTSTRAP_SERVERS=${KAFKA_BOOTSTRAP_SERVERS:-127.0.0.1:9092}
port=${KAFKA_BOOTSTRAP_SERVERS##*:}

scripts/prerequisites.sh --bench
cargo build --release --bins --quiet
bin=target/release
if ! "$bin/setup-topics" --list --connect-timeout 3s >/dev/null 2>&1; then
  KAFKA_LOCAL_PORT=$port scripts/kafka-local.sh start
fi

run_id=bench-$(date +%s)
export TOPIC_PRODUCT_EVENTS=$run_id-product-events TOPIC_PURCHASES=$run_id-purchases TOPIC_USER_EVENTS=$run_id-user-events
export METRICS_STATE_TOPIC=$run_id-metrics-state
cleanup() { "$bin/setup-topics" --delete >/dev/null 2>&1 || true; }
trap cleanup EXIT
"$bin/setup-topics" --partitions 3 >/dev/null

cpu() { lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1; }
echo "machine: $(nproc) cores, $(cpu); Kafka $(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' scripts/kafka/pom.xml) at $KAFKA_BOOTSTRAP_SERVERS"

case "$what" in
  producer)
    # The record size Kafka's tool uses: the mean size of our product events.
    size=$("$bin/product-producer" --count 20000 --rate 0 --seed 1 --json --bootstrap-servers "$KAFKA_BOOTSTRAP_SERVERS" 2>/dev/null |
      awk '{ bytes += length($0) } END { printf "%d", bytes / NR }')
    "$bin/setup-topics" --recreate --partitions 3 >/dev/null
    echo "== product-producer --count $count --rate 0 (records of ~$size bytes, acks=all, idempotent)"
    start=$(date +%s.%N)
    "$bin/product-producer" --count "$count" --rate 0 --quiet
    end=$(date +%s.%N)
    ours=$(echo "$count / ($end - $start)" | bc -l)
    printf 'product-producer: %.0f events/s (wall clock, including start-up and final flush)\n' "$ours"

    perf_topic=$run_id-perf
    scripts/kafka-local.sh run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" \
      --create --topic "$perf_topic" --partitions 3 --replication-factor 1 >/dev/null
    echo "== Kafka ProducerPerformance --num-records $count --record-size $size --throughput -1 acks=all"
    scripts/kafka-local.sh run-class org.apache.kafka.tools.ProducerPerformance --topic "$perf_topic" \
      --num-records "$count" --record-size "$size" --throughput -1 \
      --producer-props bootstrap.servers="$KAFKA_BOOTSTRAP_SERVERS" acks=all enable.idempotence=true linger.ms=5 | tail -n 1
    scripts/kafka-local.sh run-class org.apache.kafka.tools.TopicCommand --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" \
      --delete --topic "$perf_topic" >/dev/null 2>&1 || true
    ;;
  consumer)
    echo "== writing $count product events (product-producer --rate 0)"
    "$bin/product-producer" --count "$count" --rate 0 --quiet --seed 1 | tail -n 2
    echo "== metrics-consumer --topics product-events --from-beginning --max-messages $count (decodes and aggregates each event)"
    start=$(date +%s.%N)
    "$bin/metrics-consumer" --topics product-events --from-beginning --group "$run_id-metrics" \
      --max-messages "$count" --every "$((count * 10))" --json | tail -n 1 | cut -c 1-100
    end=$(date +%s.%N)
    printf 'metrics-consumer: %.0f events/s (wall clock, including start-up and group join)\n' \
      "$(echo "$count / ($end - $start)" | bc -l)"
    echo "== Kafka ConsumerPerformance --topic $TOPIC_PRODUCT_EVENTS --messages $count (reads only)"
    scripts/kafka-local.sh run-class org.apache.kafka.tools.ConsumerPerformance \
      --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --topic "$TOPIC_PRODUCT_EVENTS" --messages "$count" \
      --group "$run_id-perf" --timeout 30000
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
  *)
    echo "usage: scripts/bench.sh producer|consumer|compression|scale [COUNT]" >&2
    exit 2
    ;;
esac
