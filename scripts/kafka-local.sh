#!/usr/bin/env bash
# A real Apache Kafka on 127.0.0.1 without Docker: one node (KRaft, broker+controller), or a replicated
# cluster of three such nodes.
#
#   scripts/kafka-local.sh start | stop | status | logs [-f] | kill | reset | classpath | run-class CLASS [ARGS...]
#   scripts/kafka-local.sh --nodes 3 start | stop | status | logs [-f] [NODE] | reset
#   scripts/kafka-local.sh kill NODE | start-node NODE | stop-node NODE        (a node of the cluster)
#
# Cluster (`--nodes 3` before or after the command, or KAFKA_LOCAL_NODES=3): nodes 1 to 3, each broker and
# controller (a three-voter KRaft quorum), node N's clients on KAFKA_LOCAL_PORT+N-1 and its controller on
# KAFKA_LOCAL_CONTROLLER_PORT+N-1, all printed at start; Kafka's internal topics are replicated three times.
# NODE is the node.id clients see in metadata. `kill NODE` is SIGKILL (a crash), `start-node NODE` brings
# it back, `stop-node NODE` stops it cleanly. `start` and `reset` need `--nodes 3`; the other commands find
# the cluster started on KAFKA_LOCAL_PORT by themselves. The cluster has PLAINTEXT listeners only.
#
# `status` also shows the disk the broker's state uses; `reset` deletes the state of a stopped broker
# (every topic and event: the next start is a fresh broker). The broker keeps at most about 256 MB
# per partition and 24 hours of events (laptop-sized retention; a topic can ask for more).
#
# The jars of one pinned Kafka release are resolved from Maven Central by Maven (scripts/kafka/pom.xml)
# and cached in .cache/ (git-ignored). Each broker keeps its state in .kafka/broker-<port>/, a cluster in
# .kafka/cluster-<port>/node-<N>/.
#
# Settings (environment):
#   KAFKA_LOCAL_PORT             PLAINTEXT listener port            (default 9092; a cluster's first node)
#   KAFKA_LOCAL_CONTROLLER_PORT  KRaft controller port              (default PORT+1000; a cluster's first node)
#   KAFKA_LOCAL_NODES            1, or 3 for a replicated cluster   (default 1; also --nodes N)
#   KAFKA_LOCAL_SASL_PORT        also open a SASL_PLAINTEXT (PLAIN) listener on this port (default: none)
#   KAFKA_LOCAL_SASL_USERS       user=password pairs for PLAIN, on SASL_PLAINTEXT and SASL_SSL
#                                (default "shopstream=shopstream-secret")
#   KAFKA_LOCAL_SSL_PORT         also open an SSL listener: the client verifies the broker with ca.pem, no
#                                client certificate (default: none)
#   KAFKA_LOCAL_MTLS_PORT        also open an SSL listener that requires a client certificate signed by
#                                ca.pem (mutual TLS); CN=NAME is the principal User:NAME (default: none)
#   KAFKA_LOCAL_SASL_SSL_PORT    also open a SASL_SSL listener: SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN (default: none)
#   KAFKA_LOCAL_SCRAM_USERS      user=password pairs, SCRAM-SHA-256 and -512 credentials written when the
#                                storage is formatted (first start) (default "shopstream=shopstream-secret")
#   KAFKA_LOCAL_ADMIN            user=password of one more SCRAM user, a super user with ACLs (default "admin=admin-secret")
#   KAFKA_LOCAL_ACLS             1: Kafka's StandardAuthorizer; only ACLs allow, except for super users
#                                User:ANONYMOUS (PLAINTEXT, controller, SSL without certificate) and the admin
#                                (default: 0, no authorization)
#   KAFKA_LOCAL_CLIENT_KEY_PASSWORD  password of tls/client-encrypted.key (default "client-key-secret")
#   KAFKA_LOCAL_DIR              state directory                    (default .kafka/broker-PORT, .kafka/cluster-PORT)
#   KAFKA_LOCAL_HEAP             JVM heap of each node              (default 1g, 512m in a cluster)
#   KAFKA_LOCAL_START_TIMEOUT    seconds to wait for the broker     (default 90)
#
# With an SSL, MTLS or SASL_SSL port the first start writes throw-away certificates into DIR/tls/ (openssl
# and Java's keytool): ca.pem (the CA), client.pem + client.key (+ client-encrypted.key), CN=client, signed
# by it; other-ca.pem and other-client.pem + other-client.key (CN=client, signed by the unrelated other CA,
# for failure tests); the broker's certificate (SAN DNS:localhost, IP:127.0.0.1) in broker.p12.
# `start` prints the client settings of each secured listener as .env lines (passwords are never shown).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$root/scripts/kafka/pom.xml")
cache_dir="$root/.cache"
classpath_file="$cache_dir/kafka/classpath-$kafka_version.txt"

say() { printf 'kafka-local: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# `--nodes N` may come before or after the command; the rest are the command and its arguments.
nodes=${KAFKA_LOCAL_NODES:-}
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --nodes) [ $# -ge 2 ] || die "--nodes needs a number (1 or 3)"; nodes=$2; shift 2 ;;
    --nodes=*) nodes=${1#--nodes=}; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}

port=${KAFKA_LOCAL_PORT:-9092}
controller_port=${KAFKA_LOCAL_CONTROLLER_PORT:-$((port + 1000))}
# A cluster's node N listens on these plus N-1.
base_port=$port
base_controller_port=$controller_port
cluster_dir=${KAFKA_LOCAL_DIR:-$root/.kafka/cluster-$port}
node_id=1
sasl_port=${KAFKA_LOCAL_SASL_PORT:-}
sasl_users=${KAFKA_LOCAL_SASL_USERS:-shopstream=shopstream-secret}
ssl_port=${KAFKA_LOCAL_SSL_PORT:-}
mtls_port=${KAFKA_LOCAL_MTLS_PORT:-}
sasl_ssl_port=${KAFKA_LOCAL_SASL_SSL_PORT:-}
scram_users=${KAFKA_LOCAL_SCRAM_USERS:-shopstream=shopstream-secret}
admin=${KAFKA_LOCAL_ADMIN:-admin=admin-secret}
acls=${KAFKA_LOCAL_ACLS:-0}
state_dir=${KAFKA_LOCAL_DIR:-$root/.kafka/broker-$port}
heap=${KAFKA_LOCAL_HEAP:-}
start_timeout=${KAFKA_LOCAL_START_TIMEOUT:-90}
pid_file="$state_dir/kafka.pid"
log_file="$state_dir/server.log"
tls_dir="$state_dir/tls"
# The SCRAM users the storage was formatted with (a digest: they cannot be added later by this script).
scram_digest_file="$state_dir/scram-users.sha256"

in_cluster() { [ "$nodes" -gt 1 ]; }

# Checks KAFKA_LOCAL_NODES / --nodes. Without either, `find` takes the cluster started on this port (its
# own record) unless a single broker runs there: start and reset never guess.
resolve_nodes() {
  if [ -z "$nodes" ] && [ "${1:-}" = find ] && [ -f "$cluster_dir/nodes" ] && ! our_pid >/dev/null; then
    nodes=$(cat "$cluster_dir/nodes")
  fi
  nodes=${nodes:-1}
  case "$nodes" in
    1) ;;
    3) heap=${heap:-512m} ;;
    *) die "KAFKA_LOCAL_NODES (or --nodes) is 1 (one node) or 3 (a replicated cluster), not '$nodes'" ;;
  esac
  heap=${heap:-1g}
}

# Points the per-node globals (ports, state, pid and log files) at node N of the cluster.
select_node() {
  [[ "$1" =~ ^[0-9]+$ ]] && (($1 >= 1 && $1 <= nodes)) ||
    die "NODE is a node.id of the cluster, 1 to $nodes, not '$1'"
  node_id=$1
  port=$((base_port + node_id - 1))
  controller_port=$((base_controller_port + node_id - 1))
  state_dir=$cluster_dir/node-$node_id
  pid_file="$state_dir/kafka.pid"
  log_file="$state_dir/server.log"
}

# The three-voter quorum every node is configured with: id@host:controller-port.
quorum_voters() {
  local n voters=""
  for ((n = 1; n <= nodes; n++)); do voters="${voters:+$voters,}$n@127.0.0.1:$((base_controller_port + n - 1))"; done
  echo "$voters"
}

node_name() { if in_cluster; then echo "node $node_id"; else echo "the broker"; fi; }

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

# Resolves the pinned Kafka release once; later calls reuse the cached classpath. Two starts at
# once (a broker and a cluster, say) take turns: one resolves, the other then finds it done.
resolve_classpath() {
  if [ -s "$classpath_file" ] && all_jars_present; then
    return
  fi
  mkdir -p "$cache_dir/kafka"
  local lock
  exec {lock}>"$cache_dir/kafka/resolve.lock"
  flock "$lock"
  if [ -s "$classpath_file" ] && all_jars_present; then
    exec {lock}>&-
    return
  fi
  require_maven
  say "resolving Apache Kafka $kafka_version from Maven Central (cached in .cache/, once)..."
  mvn -q -B -f "$root/scripts/kafka/pom.xml" -Dmaven.repo.local="$cache_dir/m2" \
    dependency:build-classpath -Dmdep.outputFile="$classpath_file.tmp" >&2 ||
    die "Maven could not resolve org.apache.kafka:kafka_2.13:$kafka_version (see the output above)"
  mv "$classpath_file.tmp" "$classpath_file"
  exec {lock}>&-
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

tls_wanted() { [ -n "$ssl_port$mtls_port$sasl_ssl_port" ]; }
acls_on() { [ "$acls" = 1 ]; }

# The checks that need no Java: KAFKA_LOCAL_ACLS, the ports (numbers, one per listener), the SCRAM users.
check_settings() {
  case "$acls" in 0 | 1 | "") ;; *) die "KAFKA_LOCAL_ACLS must be 1 (authorization on) or 0, not '$acls'" ;; esac
  local entry var p other seen=" "
  for entry in KAFKA_LOCAL_PORT="$port" KAFKA_LOCAL_CONTROLLER_PORT="$controller_port" \
    KAFKA_LOCAL_SASL_PORT="$sasl_port" KAFKA_LOCAL_SSL_PORT="$ssl_port" \
    KAFKA_LOCAL_MTLS_PORT="$mtls_port" KAFKA_LOCAL_SASL_SSL_PORT="$sasl_ssl_port"; do
    var=${entry%%=*} p=${entry#*=}
    [ -n "$p" ] || continue
    if ! [[ "$p" =~ ^[0-9]+$ ]] || ((p < 1 || p > 65535)); then die "$var must be a TCP port number, not '$p'"; fi
    if [[ "$seen" == *" $p:"* ]]; then
      other=${seen#*" $p:"} other=${other%% *}
      die "$other and $var are both $p: each listener needs a port of its own"
    fi
    seen="$seen$p:$var "
  done
  if [ -n "$sasl_ssl_port" ]; then
    scram_pairs >/dev/null
  fi
  if in_cluster; then
    [ -z "$sasl_port$ssl_port$mtls_port$sasl_ssl_port" ] && ! acls_on ||
      die "a cluster (--nodes $nodes) has PLAINTEXT listeners only: unset KAFKA_LOCAL_SASL_PORT, KAFKA_LOCAL_SSL_PORT, KAFKA_LOCAL_MTLS_PORT, KAFKA_LOCAL_SASL_SSL_PORT and KAFKA_LOCAL_ACLS"
    ((base_port + nodes - 1 <= 65535 && base_controller_port + nodes - 1 <= 65535)) ||
      die "a cluster needs $nodes client ports from KAFKA_LOCAL_PORT ($base_port) and $nodes controller ports from KAFKA_LOCAL_CONTROLLER_PORT ($base_controller_port), all below 65536"
    local gap=$((base_port - base_controller_port))
    ((gap >= nodes || -gap >= nodes)) ||
      die "the client ports $base_port-$((base_port + nodes - 1)) (KAFKA_LOCAL_PORT) and controller ports $base_controller_port-$((base_controller_port + nodes - 1)) (KAFKA_LOCAL_CONTROLLER_PORT) overlap"
  fi
}

# The SCRAM user=password pairs (KAFKA_LOCAL_SCRAM_USERS, then the admin), one a line; dies on a bad one.
scram_pairs() {
  local pair name seen=" " pairs
  read -r -a pairs <<<"$scram_users $admin"
  for pair in "${pairs[@]}"; do
    name=${pair%%=*}
    [[ "$pair" == *=* && -n "$name" && -n "${pair#*=}" ]] ||
      die "KAFKA_LOCAL_SCRAM_USERS and KAFKA_LOCAL_ADMIN take user=password pairs (separated by spaces), and '${name:-=...}' is not one"
    [[ "$pair" != *[],[\"]* ]] ||
      die "SCRAM user $name: a user name or password cannot hold , [ ] or \" (KAFKA_LOCAL_SCRAM_USERS or KAFKA_LOCAL_ADMIN)"
    [[ "$seen" != *" $name "* ]] ||
      die "SCRAM user $name is listed twice (KAFKA_LOCAL_SCRAM_USERS and KAFKA_LOCAL_ADMIN)"
    seen="$seen$name "
    echo "$pair"
  done
}

first_user() { local pairs; read -r -a pairs <<<"$1"; echo "${pairs[0]%%=*}"; }
admin_name() { echo "${admin%%=*}"; }

# On the first start with a TLS listener: a throw-away CA, the broker's keystore and truststore (keytool),
# client certificates (PEM, for librdkafka), and an unrelated second CA and client for failure tests.
ensure_tls() {
  if [ ! -f "$tls_dir/broker.p12" ]; then
    command -v openssl >/dev/null 2>&1 ||
      die "openssl is needed to make the TLS certificates, and it is not on PATH (Debian/Ubuntu: apt-get install openssl)"
    command -v keytool >/dev/null 2>&1 ||
      die "Java's keytool is needed to make the broker's keystore, and it is not on PATH (it comes with the JDK/JRE)"
    local tmp="$state_dir/tls.tmp" rc
    rm -rf "$tmp"
    mkdir -p "$tmp"
    set +e
    (set -e; umask 077; cd "$tmp"; generate_tls) >"$state_dir/tls.log" 2>&1
    rc=$?
    set -e
    [ "$rc" = 0 ] || die "making the TLS certificates failed: $(tail -n 3 "$state_dir/tls.log" | tr '\n' ' ')(see $state_dir/tls.log)"
    mv "$tmp" "$tls_dir"
  fi
  # Rewritten on each start, so that it always opens with KAFKA_LOCAL_CLIENT_KEY_PASSWORD.
  KLS_KEY_PASSWORD=${KAFKA_LOCAL_CLIENT_KEY_PASSWORD:-client-key-secret} \
    openssl pkey -in "$tls_dir/client.key" -aes256 -passout env:KLS_KEY_PASSWORD \
    -out "$tls_dir/client-encrypted.key" 2>>"$state_dir/tls.log" ||
    die "encrypting tls/client-encrypted.key failed (see $state_dir/tls.log)"
}

# Runs in the new tls folder (set -e, umask 077).
generate_tls() {
  local days=3650
  openssl rand -hex 16 >store.password
  export KLS_STORE_PASSWORD
  KLS_STORE_PASSWORD=$(cat store.password)
  cat >openssl.cnf <<'EOF'
[req]
distinguished_name = dn
prompt = no
[dn]
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[broker]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth, clientAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[client]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  new_key() { openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1"; }
  # sign CSR CA SECTION OUT
  sign() {
    openssl x509 -req -in "$1" -CA "$2.pem" -CAkey "$2.key" -set_serial "0x$(openssl rand -hex 15)" \
      -days "$days" -sha256 -extfile openssl.cnf -extensions "$3" -out "$4"
  }
  # new_ca NAME SUBJECT
  new_ca() {
    new_key "$1.key"
    openssl req -config openssl.cnf -x509 -new -key "$1.key" -subj "$2" -days "$days" -sha256 \
      -extensions ca -out "$1.pem"
  }
  # new_client NAME SUBJECT CA
  new_client() {
    new_key "$1.key"
    openssl req -config openssl.cnf -new -key "$1.key" -subj "$2" -out "$1.csr"
    sign "$1.csr" "$3" client "$1.pem"
  }
  new_ca ca "/O=ShopStream/CN=ShopStream local test CA"
  new_ca other-ca "/O=Elsewhere/CN=Unrelated test CA"
  new_client client "/O=ShopStream/CN=client" ca
  new_client other-client "/O=Elsewhere/CN=client" other-ca

  local store=(-storetype PKCS12 -storepass:env KLS_STORE_PASSWORD)
  keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -validity "$days" \
    -dname "CN=localhost, O=ShopStream" -keystore broker.p12 "${store[@]}"
  keytool -certreq -alias broker -keystore broker.p12 "${store[@]}" -file broker.csr
  sign broker.csr ca broker broker.pem
  keytool -importcert -noprompt -alias ca -file ca.pem -keystore broker.p12 "${store[@]}"
  keytool -importcert -alias broker -file broker.pem -keystore broker.p12 "${store[@]}"
  # What the mutual-TLS listener accepts client certificates from.
  keytool -importcert -noprompt -alias ca -file ca.pem -keystore truststore.p12 "${store[@]}"
  rm -f ./*.csr openssl.cnf
  chmod 644 ./*.pem
}

write_config() {
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  local advertised="PLAINTEXT://127.0.0.1:$port"
  local protocol_map="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  # add_listener NAME PROTOCOL PORT: one more listener on 127.0.0.1 when PORT is set.
  add_listener() {
    [ -n "$3" ] || return 0
    listeners="$listeners,$1://127.0.0.1:$3"
    advertised="$advertised,$1://127.0.0.1:$3"
    protocol_map="$protocol_map,$1:$2"
  }
  add_listener SASL_PLAINTEXT SASL_PLAINTEXT "$sasl_port"
  add_listener SSL SSL "$ssl_port"
  add_listener MTLS SSL "$mtls_port"
  add_listener SASL_SSL SASL_SSL "$sasl_ssl_port"
  # One node: a standalone quorum. A cluster: every node a voter, internal topics on three replicas.
  local quorum="controller.quorum.bootstrap.servers=127.0.0.1:$controller_port" replicas=1 min_isr=1
  if in_cluster; then
    quorum="controller.quorum.voters=$(quorum_voters)" replicas=3 min_isr=2
  fi
  cat >"$state_dir/server.properties" <<EOF
# Written by scripts/kafka-local.sh: KRaft, broker and controller in one JVM ($(node_name) of $nodes).
process.roles=broker,controller
node.id=$node_id
$quorum
listeners=$listeners
advertised.listeners=$advertised
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocol_map
log.dirs=$state_dir/data
num.partitions=3
offsets.topic.replication.factor=$replicas
share.coordinator.state.topic.replication.factor=$replicas
share.coordinator.state.topic.min.isr=$min_isr
transaction.state.log.replication.factor=$replicas
transaction.state.log.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
# Laptop-sized retention: a day of events, at most 256 MB per partition, in 64 MB segments so the
# limits bite early. Demos and tests never need more; a topic's own settings can ask for it.
log.retention.hours=24
log.retention.bytes=268435456
log.segment.bytes=67108864
log.retention.check.interval.ms=60000
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
  if tls_wanted; then
    local store_password
    store_password=$(cat "$tls_dir/store.password")
    cat >>"$state_dir/server.properties" <<EOF
# TLS, with the throw-away certificates in $tls_dir (clients trust ca.pem).
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls_dir/broker.p12
ssl.keystore.password=$store_password
ssl.key.password=$store_password
ssl.truststore.type=PKCS12
ssl.truststore.location=$tls_dir/truststore.p12
ssl.truststore.password=$store_password
ssl.client.auth=none
listener.name.mtls.ssl.client.auth=required
# A client certificate with the subject CN=NAME,... is the principal User:NAME.
ssl.principal.mapping.rules=RULE:^CN=([^,]+).*\$/\$1/,DEFAULT
EOF
  fi
  if [ -n "$sasl_ssl_port" ]; then
    local plain="org.apache.kafka.common.security.plain.PlainLoginModule required" pair pairs
    read -r -a pairs <<<"$sasl_users"
    for pair in "${pairs[@]}"; do plain="$plain user_${pair%%=*}=\"${pair#*=}\""; done
    cat >>"$state_dir/server.properties" <<EOF
# SCRAM credentials live in the cluster metadata, written when the storage was formatted.
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512,SCRAM-SHA-256,PLAIN
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.plain.sasl.jaas.config=$plain;
EOF
  fi
  if acls_on; then
    cat >>"$state_dir/server.properties" <<EOF
# Authorization: only ACLs allow. User:ANONYMOUS (PLAINTEXT, the controller, SSL without a client
# certificate) is a super user so that the broker itself and the plaintext tools keep working.
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:ANONYMOUS;User:$(admin_name)
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
  local scram=() digest="" pair mechanism
  if [ -n "$sasl_ssl_port" ]; then
    while read -r pair; do
      for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
        scram+=(--add-scram "$mechanism=[name=${pair%%=*},password=${pair#*=}]")
      done
    done < <(scram_pairs)
    digest=$(scram_pairs | sha256sum | cut -d' ' -f1)
  fi
  if [ -f "$state_dir/data/meta.properties" ]; then
    if [ -n "$digest" ] && [ "$(cat "$scram_digest_file" 2>/dev/null)" != "$digest" ]; then
      die "the storage in $state_dir was formatted without these SCRAM users (KAFKA_LOCAL_SCRAM_USERS, KAFKA_LOCAL_ADMIN): delete that folder to start afresh, or use another KAFKA_LOCAL_DIR"
    fi
    return
  fi
  local cluster_id quorum=(--standalone)
  # A cluster's nodes share one cluster id; their quorum is the static controller.quorum.voters.
  if in_cluster; then
    quorum=()
    if [ ! -s "$cluster_dir/cluster.id" ]; then
      java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool random-uuid >"$cluster_dir/cluster.id"
    fi
    cluster_id=$(cat "$cluster_dir/cluster.id")
  else
    cluster_id=$(java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool random-uuid)
  fi
  java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool \
    format ${quorum[@]+"${quorum[@]}"} -t "$cluster_id" -c "$state_dir/server.properties" ${scram[@]+"${scram[@]}"} >"$state_dir/format.log" 2>&1 ||
    die "formatting KRaft storage failed: $(tail -n 3 "$state_dir/format.log")"
  if [ -n "$digest" ]; then echo "$digest" >"$scram_digest_file"; fi
}

log_size() { stat -c %s "$log_file" 2>/dev/null || echo 0; }

# Ready means: the node logged that it started (since this start) and answers a metadata request on its
# port (listing topics), not merely that the port is open.
wait_until_ready() {
  local pid=$1 log_from=$2 deadline=$((SECONDS + start_timeout))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || die "$(node_name) exited during start-up; last lines of $log_file:
$(tail -n 15 "$log_file")"
    if port_open "$port" && tail -c "+$((log_from + 1))" "$log_file" 2>/dev/null | grep -q "Kafka Server started" &&
      java -Xmx256m -Dlog4j2.configurationFile="$(tools_log_config)" -cp "$(classpath)" \
        org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$port" --list >/dev/null 2>&1; then
      return
    fi
    sleep 0.5
  done
  die "$(node_name) did not answer on 127.0.0.1:$port within ${start_timeout}s; see $log_file"
}

# The .env lines a client uses for each secured listener, to stderr. Passwords are never shown.
print_client_settings() {
  tls_wanted || return 0
  local ca="$tls_dir/ca.pem"
  say "client settings (.env lines) for the secured listeners:"
  {
    if [ -n "$sasl_port" ]; then
      printf '%s\n' "# SASL_PLAINTEXT (PLAIN), no encryption" \
        "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$sasl_port" "KAFKA_SECURITY_PROTOCOL=SASL_PLAINTEXT" \
        "KAFKA_SASL_MECHANISM=PLAIN" "KAFKA_SASL_USERNAME=$(first_user "$sasl_users")" \
        "KAFKA_SASL_PASSWORD=<its password in KAFKA_LOCAL_SASL_USERS>" ""
    fi
    if [ -n "$ssl_port" ]; then
      printf '%s\n' "# SSL: the broker is verified with the local CA, no client certificate (principal User:ANONYMOUS)" \
        "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$ssl_port" "KAFKA_SECURITY_PROTOCOL=SSL" "KAFKA_SSL_CA_LOCATION=$ca" ""
    fi
    if [ -n "$mtls_port" ]; then
      printf '%s\n' "# mutual TLS: the broker requires a client certificate signed by the local CA (principal User:client)" \
        "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$mtls_port" "KAFKA_SECURITY_PROTOCOL=SSL" "KAFKA_SSL_CA_LOCATION=$ca" \
        "KAFKA_SSL_CERTIFICATE_LOCATION=$tls_dir/client.pem" "KAFKA_SSL_KEY_LOCATION=$tls_dir/client.key" \
        "# or the same key encrypted: KAFKA_SSL_KEY_LOCATION=$tls_dir/client-encrypted.key" \
        "#   with KAFKA_SSL_KEY_PASSWORD=<KAFKA_LOCAL_CLIENT_KEY_PASSWORD>" ""
    fi
    if [ -n "$sasl_ssl_port" ]; then
      printf '%s\n' "# SASL_SSL with SCRAM-SHA-512 (SCRAM-SHA-256 and PLAIN work too), the broker verified with the local CA" \
        "KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$sasl_ssl_port" "KAFKA_SECURITY_PROTOCOL=SASL_SSL" "KAFKA_SSL_CA_LOCATION=$ca" \
        "KAFKA_SASL_MECHANISM=SCRAM-SHA-512" "KAFKA_SASL_USERNAME=$(first_user "$scram_users")" \
        "KAFKA_SASL_PASSWORD=<its password in KAFKA_LOCAL_SCRAM_USERS>" ""
    fi
  } >&2
  if acls_on; then
    say "ACLs enforced: super users User:ANONYMOUS and User:$(admin_name) (SCRAM, password in KAFKA_LOCAL_ADMIN); others need ACLs"
  fi
}

# Dies when a port the current node needs is taken.
check_ports_free() {
  local entry var p
  for entry in "KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)=$port" \
    "KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)=$controller_port" \
    "KAFKA_LOCAL_SASL_PORT=$sasl_port" "KAFKA_LOCAL_SSL_PORT=$ssl_port" \
    "KAFKA_LOCAL_MTLS_PORT=$mtls_port" "KAFKA_LOCAL_SASL_SSL_PORT=$sasl_ssl_port"; do
    var=${entry%=*} p=${entry##*=}
    if [ -n "$p" ] && port_open "$p"; then
      die "port $p on 127.0.0.1 is taken by another process; free it or choose another with $var"
    fi
  done
}

# Writes the current node's configuration, formats its storage on its first start and starts its JVM;
# sets launched_pid and log_from (where this start's lines begin in its log).
launch() {
  mkdir -p "$state_dir/data"
  if tls_wanted; then ensure_tls; fi
  write_config
  format_storage
  log_from=$(log_size)
  # setsid: the broker outlives this script and is not hit by the caller's Ctrl-C.
  setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state_dir/log4j2.properties" \
    -cp "$(classpath)" kafka.Kafka "$state_dir/server.properties" >>"$log_file" 2>&1 </dev/null &
  launched_pid=$!
  echo "$launched_pid" >"$pid_file"
}

start() {
  local pid
  check_settings
  if in_cluster; then
    start_cluster
    return
  fi
  if pid=$(our_pid); then
    say "already running on 127.0.0.1:$port (pid $pid)"
    print_client_settings
    return
  fi
  require_java
  check_ports_free
  resolve_classpath
  local extras=""
  if [ -n "$sasl_port" ]; then extras="SASL_PLAINTEXT on $sasl_port"; fi
  if [ -n "$ssl_port" ]; then extras="${extras:+$extras, }SSL on $ssl_port"; fi
  if [ -n "$mtls_port" ]; then extras="${extras:+$extras, }mutual TLS on $mtls_port"; fi
  if [ -n "$sasl_ssl_port" ]; then extras="${extras:+$extras, }SASL_SSL on $sasl_ssl_port"; fi
  if acls_on; then extras="${extras:+$extras, }ACLs enforced"; fi
  say "starting Apache Kafka $kafka_version on 127.0.0.1:$port${extras:+ ($extras)}, state in ${state_dir#"$root"/}"
  launch
  wait_until_ready "$launched_pid" "$log_from"
  say "ready: bootstrap servers 127.0.0.1:$port"
  print_client_settings
}

cluster_bootstrap() {
  local n servers=""
  for ((n = 1; n <= nodes; n++)); do servers="${servers:+$servers,}127.0.0.1:$((base_port + n - 1))"; done
  echo "$servers"
}

# All nodes start together: none finishes starting before a majority of the quorum is up.
start_cluster() {
  local n pid pids=() froms=()
  require_java
  resolve_classpath
  mkdir -p "$cluster_dir"
  echo "$nodes" >"$cluster_dir/nodes"
  say "starting a $nodes-node Apache Kafka $kafka_version cluster (KRaft, $nodes voters), state in ${cluster_dir#"$root"/}"
  for ((n = 1; n <= nodes; n++)); do
    select_node "$n"
    if pid=$(our_pid); then
      say "node $n: already running on 127.0.0.1:$port (pid $pid)"
      continue
    fi
    check_ports_free
    launch
    pids[n]=$launched_pid froms[n]=$log_from
    say "node $n: clients on 127.0.0.1:$port, controller on 127.0.0.1:$controller_port"
  done
  for ((n = 1; n <= nodes; n++)); do
    select_node "$n"
    if [ -n "${pids[n]:-}" ]; then wait_until_ready "${pids[n]}" "${froms[n]}"; fi
  done
  say "ready: bootstrap servers $(cluster_bootstrap)"
}

# One node of the cluster, back after `kill NODE` or `stop-node NODE`.
start_node() {
  local pid
  check_settings
  if pid=$(our_pid); then
    say "node $node_id: already running on 127.0.0.1:$port (pid $pid)"
    return
  fi
  require_java
  check_ports_free
  resolve_classpath
  say "starting node $node_id on 127.0.0.1:$port (controller 127.0.0.1:$controller_port)"
  launch
  wait_until_ready "$launched_pid" "$log_from"
  say "node $node_id ready on 127.0.0.1:$port"
}

# Asks the current node to stop (SIGTERM) and waits for it; SIGKILL after 30 s.
stop_one() {
  local pid
  if ! pid=$(our_pid); then
    say "$(node_name) is not running (port $port)"
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
  if in_cluster; then say "node $node_id stopped (port $port)"; else say "stopped (port $port)"; fi
}

stop() {
  if ! in_cluster; then
    stop_one
    return
  fi
  # Together: a node that stops alone waits for a controller quorum the others no longer make.
  local n
  for ((n = 1; n <= nodes; n++)); do
    select_node "$n"
    stop_one &
  done
  wait
}

# A crash, for tests: SIGKILL, no clean shutdown. The state stays, so `start` resumes it.
crash() {
  local pid
  pid=$(our_pid) || die "$(node_name) is not running (port $port)"
  kill -KILL "$pid"
  while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  rm -f "$pid_file"
  if in_cluster; then say "killed node $node_id, pid $pid (port $port)"; else say "killed pid $pid (port $port)"; fi
}

disk_used() { if [ -d "$1" ]; then du -sh "$1" 2>/dev/null | cut -f1; else echo "nothing"; fi; }

status() {
  local pid
  if ! in_cluster; then
    if pid=$(our_pid); then
      echo "running: Apache Kafka $kafka_version on 127.0.0.1:$port (pid $pid), state in $state_dir ($(disk_used "$state_dir") on disk)"
    elif port_open "$port"; then
      echo "not ours: something else listens on 127.0.0.1:$port"
      return 1
    else
      echo "stopped: nothing listens on 127.0.0.1:$port; state in $state_dir: $(disk_used "$state_dir") on disk"
      return 3
    fi
    return
  fi
  local n up=0
  echo "cluster of $nodes nodes (Apache Kafka $kafka_version), state in $cluster_dir ($(disk_used "$cluster_dir") on disk)"
  for ((n = 1; n <= nodes; n++)); do
    select_node "$n"
    if pid=$(our_pid); then
      echo "node $n: running on 127.0.0.1:$port (pid $pid), controller 127.0.0.1:$controller_port"
      up=$((up + 1))
    elif port_open "$port"; then
      echo "node $n: not ours: something else listens on 127.0.0.1:$port"
    else
      echo "node $n: stopped (port $port)"
    fi
  done
  if ((up == nodes)); then return 0; elif ((up == 0)); then return 3; else return 4; fi
}

# Deletes a stopped broker's (or cluster's) state, its topics, events, certificates: the next start is fresh.
reset() {
  local dir=$state_dir n
  if in_cluster; then
    dir=$cluster_dir
    for ((n = 1; n <= nodes; n++)); do
      select_node "$n"
      if our_pid >/dev/null; then die "node $n on 127.0.0.1:$port is running: stop the cluster first ($0 --nodes $nodes stop)"; fi
    done
  elif our_pid >/dev/null; then
    die "the broker on 127.0.0.1:$port is running: stop it first ($0 stop)"
  fi
  if [ ! -d "$dir" ]; then
    echo "nothing to delete: no state in $dir"
    return 0
  fi
  local used
  used=$(disk_used "$dir")
  rm -rf "$dir"
  echo "deleted $dir ($used)"
}

# logs [-f] [NODE]: a cluster without NODE shows every node's log, each under its file name.
logs() {
  local follow="" files=() n
  if [ "${1:-}" = "-f" ]; then follow=1; shift; fi
  if in_cluster && [ -z "${1:-}" ]; then
    for ((n = 1; n <= nodes; n++)); do
      select_node "$n"
      if [ -f "$log_file" ]; then files+=("$log_file"); fi
    done
  else
    if [ -n "${1:-}" ]; then in_cluster || die "logs NODE is for a cluster (--nodes 3)"; select_node "$1"; fi
    if [ -f "$log_file" ]; then files=("$log_file"); fi
  fi
  [ ${#files[@]} -gt 0 ] || die "no log yet at $log_file"
  if [ -n "$follow" ]; then tail -n 50 -f "${files[@]}"; else tail -n 100 "${files[@]}"; fi
}

# The header comment above.
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p;}' "$0"; }

# NODE_COMMAND NODE: the cluster's node NODE (kill, start-node, stop-node).
on_node() {
  in_cluster || die "$1 NODE is for a cluster, and there is none on port $base_port: start one with $0 --nodes 3 start"
  [ -n "${2:-}" ] || die "usage: $0 $1 NODE (a node.id, 1 to $nodes)"
  select_node "$2"
}

command=${1:-}
case "$command" in
  status | stop | logs | kill | start-node | stop-node) resolve_nodes find ;;
  *) resolve_nodes ;;
esac
case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  kill) if in_cluster || [ $# -ge 2 ]; then on_node kill "${2:-}"; fi; crash ;;
  start-node) on_node start-node "${2:-}"; start_node ;;
  stop-node) on_node stop-node "${2:-}"; stop_one ;;
  reset) reset ;;
  classpath) require_java; resolve_classpath; classpath ;;
  run-class) shift; [ $# -ge 1 ] || die "usage: $0 run-class CLASS [ARGS...]"; run_class "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
