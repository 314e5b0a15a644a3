#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1, without Docker.
#
#   scripts/kafka-local.sh start | stop | status | logs [-f] | kill | classpath | run-class CLASS [ARGS...]
#
# The jars of one pinned Kafka release are resolved from Maven Central by Maven (scripts/kafka/pom.xml)
# and cached in .cache/ (git-ignored). Each broker keeps its state in .kafka/broker-<port>/.
#
# Settings (environment):
#   KAFKA_LOCAL_PORT             PLAINTEXT listener port            (default 9092)
#   KAFKA_LOCAL_CONTROLLER_PORT  KRaft controller port              (default PORT+1000)
#   KAFKA_LOCAL_SASL_PORT        also open a SASL_PLAINTEXT (PLAIN) listener on this port (default: none)
#   KAFKA_LOCAL_SASL_USERS       user=password pairs for that listener (default "shopstream=shopstream-secret")
#   KAFKA_LOCAL_DIR              state directory                    (default .kafka/broker-PORT)
#   KAFKA_LOCAL_HEAP             JVM heap                           (default 1g)
#   KAFKA_LOCAL_START_TIMEOUT    seconds to wait for the broker     (default 90)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/scripts/kafka/pom.xml")
cache_dir="$root/.cache"
classpath_file="$cache_dir/kafka/classpath-$kafka_version.txt"

port=${KAFKA_LOCAL_PORT:-9092}
controller_port=${KAFKA_LOCAL_CONTROLLER_PORT:-$((port + 1000))}
sasl_port=${KAFKA_LOCAL_SASL_PORT:-}
sasl_users=${KAFKA_LOCAL_SASL_USERS:-shopstream=shopstream-secret}
state_dir=${KAFKA_LOCAL_DIR:-$root/.kafka/broker-$port}
heap=${KAFKA_LOCAL_HEAP:-1g}
start_timeout=${KAFKA_LOCAL_START_TIMEOUT:-90}
pid_file="$state_dir/kafka.pid"
log_file="$state_dir/server.log"

say() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

require_java() {
  command -v java >/dev/null 2>&1 ||
    die "Java 17+ is needed to run Kafka, and 'java' is not on PATH (Debian/Ubuntu: apt-get install openjdk-17-jre-headless)"
  local major
  major=$(java -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = \([0-9]*\).*/\1/p')
  [ -n "$major" ] && [ "$major" -ge 17 ] ||
    die "Kafka $kafka_version needs Java 17+, found Java ${major:-unknown} ($(command -v java))"
}

require_maven() {
  command -v mvn >/dev/null 2>&1 ||
    die "Maven is needed once to fetch the Kafka jars, and 'mvn' is not on PATH (Debian/Ubuntu: apt-get install maven)"
}

# Resolves the pinned Kafka release once; later calls reuse the cached classpath.
resolve_classpath() {
  if [ -s "$classpath_file" ] && all_jars_present; then
    return
  fi
  require_maven
  say "resolving Apache Kafka $kafka_version from Maven Central (cached in .cache/, once)..."
  mkdir -p "$cache_dir/kafka"
  mvn -q -B -f "$root/scripts/kafka/pom.xml" -Dmaven.repo.local="$cache_dir/m2" \
    dependency:build-classpath -Dmdep.outputFile="$classpath_file.tmp" >&2 ||
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$kafka_version (see the output above)"
  mv "$classpath_file.tmp" "$classpath_file"
}

all_jars_present() {
  local jar
  IFS=':' read -r -a jars <"$classpath_file"
  for jar in "${jars[@]}"; do [ -f "$jar" ] || return 1; done
}

classpath() { cat "$classpath_file"; }

run_class() {
  require_java
  resolve_classpath
  exec java -Xmx512m -Dlog4j2.configurationFile="$(tools_log_config)" -cp "$(classpath)" "$@"
}

# Kafka's tools log warnings only, to stderr, so their output stays readable.
tools_log_config() {
  local file="$cache_dir/kafka/tools-log4j2.properties"
  if [ ! -f "$file" ]; then
    mkdir -p "$cache_dir/kafka"
    cat >"$file" <<'EOF'
rootLogger.level = WARN
rootLogger.appenderRef.stderr.ref = STDERR
appender.stderr.type = Console
appender.stderr.name = STDERR
appender.stderr.target = SYSTEM_ERR
appender.stderr.layout.type = PatternLayout
appender.stderr.layout.pattern = [%d] %p %m (%c)%n
EOF
  fi
  echo "$file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

our_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid=$(cat "$pid_file")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

write_config() {
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  local advertised="PLAINTEXT://127.0.0.1:$port"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if [ -n "$sasl_port" ]; then
    listeners="$listeners,SASL_PLAINTEXT://127.0.0.1:$sasl_port"
    advertised="$advertised,SASL_PLAINTEXT://127.0.0.1:$sasl_port"
    protocol_map="$protocol_map,SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  cat >"$state_dir/server.properties" <<EOF
# Written by scripts/kafka-local.sh: single-node KRaft, broker and controller in one JVM.
process.roles=broker,controller
node.id=1
controller.quorum.bootstrap.servers=127.0.0.1:$controller_port
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocol_map
log.dirs=$state_dir/data
num.partitions=3
offsets.topic.replication.factor=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
# Topics are created by setup-topics; a typo in a topic name should fail, not create a topic.
auto.create.topics.enable=false
EOF
  if [ -n "$sasl_port" ]; then
    local jaas="org.apache.kafka.common.security.plain.PlainLoginModule required" pair
    for pair in $sasl_users; do jaas="$jaas user_${pair%%=*}=\"${pair#*=}\""; done
    cat >>"$state_dir/server.properties" <<EOF
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=$jaas;
EOF
  fi
  cat >"$state_dir/log4j2.properties" <<'EOF'
rootLogger.level = INFO
rootLogger.appenderRef.stdout.ref = STDOUT
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
EOF
}

format_storage() {
  [ -f "$state_dir/data/meta.properties" ] && return
  local cluster_id
  cluster_id=$(java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool random-uuid)
  java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool \
    format --standalone -t "$cluster_id" -c "$state_dir/server.properties" >"$state_dir/format.log" 2>&1 ||
    die "formatting KRaft storage failed: $(tail -n 3 "$state_dir/format.log")"
}

# Ready means: it answers a metadata request (listing topics), not merely that the port is open.
wait_until_ready() {
  local deadline=$((SECONDS + start_timeout)) pid=$1
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || die "the broker exited during start-up; last lines of $log_file:
$(tail -n 15 "$log_file")"
    if port_open "$port" && grep -q "Kafka Server started" "$log_file" 2>/dev/null &&
      java -Xmx256m -Dlog4j2.configurationFile="$(tools_log_config)" -cp "$(classpath)" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1; then
      return
    fi
    sleep 0.5
  done
  die "the broker did not answer on 127.0.0.1:$port within ${start_timeout}s; see $log_file"
}

start() {
  local pid
  if pid=$(our_pid); then
    say "already running on 127.0.0.1:$port (pid $pid)"
    return
  fi
  require_java
  for p in "$port" "$controller_port" ${sasl_port:+"$sasl_port"}; do
    port_open "$p" && die "port $p on 127.0.0.1 is taken by another process; free it or choose another with KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)"
  done
  resolve_classpath
  mkdir -p "$state_dir/data"
  write_config
  format_storage
  say "starting Apache Kafka $kafka_version on 127.0.0.1:$port${sasl_port:+ (SASL_PLAINTEXT on $sasl_port)}, state in ${state_dir#"$root"/}"
  # setsid: the broker outlives this script and is not hit by the caller's Ctrl-C.
  setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state_dir/log4j2.properties" \
    -cp "$(classpath)" kafka.Kafka "$state_dir/server.properties" >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_until_ready "$!"
  say "ready: bootstrap servers 127.0.0.1:$port"
}

stop() {
  local pid
  if ! pid=$(our_pid); then
    say "not running (port $port)"
    rm -f "$pid_file"
    return
  fi
  kill -TERM "$pid"
  local deadline=$((SECONDS + 30))
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    say "no clean shutdown within 30s; killing pid $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pid_file"
  say "stopped (port $port)"
}

# A crash, for tests: SIGKILL, no clean shutdown. The state stays, so `start` resumes it.
crash() {
  local pid
  pid=$(our_pid) || die "not running (port $port)"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$pid_file"
  say "killed pid $pid (port $port)"
}

status() {
  local pid
  if pid=$(our_pid); then
    echo "running: Apache Kafka $kafka_version on 127.0.0.1:$port (pid $pid), state in $state_dir"
  elif port_open "$port"; then
    echo "not ours: something else listens on 127.0.0.1:$port"
    return 1
  else
    echo "stopped: nothing listens on 127.0.0.1:$port"
    return 3
  fi
}

logs() {
  [ -f "$log_file" ] || die "no log yet at $log_file"
  if [ "${1:-}" = "-f" ]; then tail -n 50 -f "$log_file"; else tail -n 100 "$log_file"; fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  kill) crash ;;
  classpath) require_java; resolve_classpath; classpath ;;
  run-class) shift; [ $# -ge 1 ] || die "usage: $0 run-class CLASS [ARGS...]"; run_class "$@" ;;
  -h | --help | help) sed -n '2,17s/^# \{0,1\}//p' "$0" ;;
  *) sed -n '2,17s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac
