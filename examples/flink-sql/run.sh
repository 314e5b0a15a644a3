#!/usr/bin/env bash
# ShopStream's windows computed by Apache Flink SQL (shop-windows.sql) on a local MiniCluster, over
# the shop's three topics, written as JSON lines to an output topic; then, with --truth FILE,
# compared with the ground truth by check-truth.
#
#   examples/flink-sql/run.sh [--truth FILE] [--output-topic TOPIC] [--window DURATION] [--lateness DURATION]
#   examples/flink-sql/run.sh --fetch      resolve Flink's jars and compile the runner, then stop
#
# The job reads every topic from its beginning to its end as it is when the job starts (bounded
# sources), so it ends by itself; it needs Java 17+ with javac (a JDK) and Maven.
#
#   --truth FILE          then run `check-truth --truth FILE --topic OUTPUT` (exit 1 on any difference)
#   --output-topic TOPIC  where the windows go, created if missing (FLINK_OUTPUT_TOPIC, default shop-windows)
#   --window DURATION     the windows' width: 500ms, 30s, 1m, 1h (METRICS_WINDOW, default 1m)
#   --lateness DURATION   the watermark's allowed lateness (FLINK_ALLOWED_LATENESS, default 30s,
#                         metrics-consumer's --allowed-lateness default)
#   --no-fetch            fail, saying so, instead of fetching jars that are missing (the tests)
#
# Settings (environment), as the other tools read them: KAFKA_BOOTSTRAP_SERVERS (default
# localhost:9092; PLAINTEXT only), TOPIC_PRODUCT_EVENTS, TOPIC_PURCHASES, TOPIC_USER_EVENTS (default
# product-events, purchases, user-events). FLINK_HEAP is the JVM's heap (default 768m).
# check-truth is taken from PATH, else built and run with cargo.
#
# Flink's jars (examples/flink-sql/pom.xml) are resolved from Maven Central once and cached in
# .cache/ (git-ignored), as scripts/kafka-local.sh does with Kafka's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
flink_version=$(sed -n 's:.*<flink.version>\(.*\)</flink.version>.*:\1:p' "$here/pom.xml")
cache_dir="$root/.cache"
flink_dir="$cache_dir/flink"
classpath_file="$flink_dir/classpath-$flink_version.txt"
classes_dir="$flink_dir/classes"
source_file="$here/src/ShopWindows.java"

say() { printf 'flink-sql: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p;}' "$0"; }

fetch=0 no_fetch=0 truth=""
output_topic=${FLINK_OUTPUT_TOPIC:-shop-windows}
window=${METRICS_WINDOW:-1m}
lateness=${FLINK_ALLOWED_LATENESS:-30s}
while [ $# -gt 0 ]; do
  case "$1" in
    --fetch) fetch=1; shift ;;
    --no-fetch) no_fetch=1; shift ;;
    --truth | --output-topic | --window | --lateness)
      [ $# -ge 2 ] || die "$1 needs a value"
      case "$1" in
        --truth) truth=$2 ;;
        --output-topic) output_topic=$2 ;;
        --window) window=$2 ;;
        --lateness) lateness=$2 ;;
      esac
      shift 2
      ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
  esac
done

# A duration (500ms, 30s, 1m, 1h, 1d) as a Flink SQL DAY TO SECOND interval literal's text: a
# plain SECOND interval holds two digits only.
interval() {
  local text=$1 number unit ms
  [[ "$text" =~ ^([0-9]+)(ms|s|m|h|d)$ ]] || die "'$text' is not a duration like 500ms, 30s, 1m, 1h or 1d"
  number=${BASH_REMATCH[1]} unit=${BASH_REMATCH[2]}
  case "$unit" in
    ms) ms=$number ;;
    s) ms=$((number * 1000)) ;;
    m) ms=$((number * 60000)) ;;
    h) ms=$((number * 3600000)) ;;
    d) ms=$((number * 86400000)) ;;
  esac
  printf '%d %02d:%02d:%02d.%03d' $((ms / 86400000)) $((ms / 3600000 % 24)) $((ms / 60000 % 60)) \
    $((ms / 1000 % 60)) $((ms % 1000))
}

jars_present() {
  [ -s "$classpath_file" ] || return 1
  local jar
  IFS=':' read -r -a jars <"$classpath_file"
  for jar in "${jars[@]}"; do [ -f "$jar" ] || return 1; done
}

compiled() { [ -f "$classes_dir/ShopWindows.class" ] && [ "$classes_dir/ShopWindows.class" -nt "$source_file" ]; }

# Resolves the jars once and compiles the runner when its source changed. Two runs at once take
# turns: one fetches, the other then finds it done.
prepare() {
  if jars_present && compiled; then return; fi
  if [ "$no_fetch" = 1 ]; then
    die "Flink's jars or the compiled runner are missing: run examples/flink-sql/run.sh --fetch (once; scripts/test.sh does)"
  fi
  command -v java >/dev/null 2>&1 || die "Java 17+ is needed, and 'java' is not on PATH (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"
  command -v javac >/dev/null 2>&1 || die "javac (a JDK) is needed to compile the runner (Debian/Ubuntu: apt-get install openjdk-17-jdk-headless)"
  mkdir -p "$flink_dir"
  local lock
  exec {lock}>"$flink_dir/prepare.lock"
  flock "$lock"
  if ! jars_present; then
    command -v mvn >/dev/null 2>&1 || die "Maven is needed once to fetch Flink's jars (Debian/Ubuntu: apt-get install maven)"
    say "resolving Apache Flink $flink_version from Maven Central (cached in .cache/, once)..."
    mvn -q -B -f "$here/pom.xml" -Dmaven.repo.local="$cache_dir/m2" \
      dependency:build-classpath -Dmdep.outputFile="$classpath_file.tmp" >&2 ||
      die "Maven could not resolve Flink's jars (see the output above)"
    mv "$classpath_file.tmp" "$classpath_file"
  fi
  if ! compiled; then
    rm -rf "$classes_dir.tmp"
    mkdir -p "$classes_dir.tmp"
    javac -d "$classes_dir.tmp" -cp "$(cat "$classpath_file")" "$source_file" || die "javac failed on $source_file"
    rm -rf "$classes_dir"
    mv "$classes_dir.tmp" "$classes_dir"
  fi
  exec {lock}>&-
}

# Flink logs warnings only, to stderr.
log_config() {
  local file="$flink_dir/log4j2.properties"
  cat >"$file.tmp" <<'EOF'
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = org.apache.kafka
logger.kafka.level = ERROR
# Notes of a local run that need no action: no web UI log file, no delegation tokens, bounded
# sources without partition discovery.
logger.runtime.name = org.apache.flink.runtime
logger.runtime.level = ERROR
logger.source.name = org.apache.flink.connector.kafka.source.KafkaSourceBuilder
logger.source.level = ERROR
EOF
  mv "$file.tmp" "$file"
  echo "$file"
}

run_job() {
  local started=$SECONDS
  say "windows of $window, allowed lateness $lateness: ${TOPIC_PRODUCT_EVENTS:-product-events}, ${TOPIC_PURCHASES:-purchases}, ${TOPIC_USER_EVENTS:-user-events} -> $output_topic"
  BOOTSTRAP=${KAFKA_BOOTSTRAP_SERVERS:-localhost:9092} \
    PRODUCT_TOPIC=${TOPIC_PRODUCT_EVENTS:-product-events} \
    PURCHASES_TOPIC=${TOPIC_PURCHASES:-purchases} \
    USER_TOPIC=${TOPIC_USER_EVENTS:-user-events} \
    OUTPUT_TOPIC=$output_topic \
    GROUP_ID="shopstream-flink-sql" \
    WINDOW=$(interval "$window") \
    LATENESS=$(interval "$lateness") \
    java -Xmx"${FLINK_HEAP:-768m}" -Dlog4j2.configurationFile="$(log_config)" \
    -cp "$classes_dir:$(cat "$classpath_file")" ShopWindows "$here/shop-windows.sql" ||
    die "the Flink job failed (see above)"
  say "done in $((SECONDS - started)) s: the windows are in topic $output_topic"
}

check_truth() {
  if command -v check-truth >/dev/null 2>&1; then
    check-truth --truth "$truth" --topic "$output_topic"
  else
    cargo run --quiet --manifest-path "$root/Cargo.toml" --bin check-truth -- --truth "$truth" --topic "$output_topic"
  fi
}

# Checked before the JVM starts: a wrong one would fail after the job.
interval "$window" >/dev/null
interval "$lateness" >/dev/null
if [ -n "$truth" ] && [ ! -r "$truth" ]; then die "cannot read the truth file $truth"; fi
prepare
if [ "$fetch" = 1 ]; then
  say "Flink $flink_version is ready (jars in .cache/m2, runner in ${classes_dir#"$root"/})"
  exit 0
fi
run_job
if [ -n "$truth" ]; then check_truth; fi
