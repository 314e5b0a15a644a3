#!/usr/bin/env bash
# A real single-node Apache Kafka (KRaft, broker+controller) on 127.0.0.1, without Docker.
#
#   scripts/kafka-local.sh start | stop | status | logs [-f] | kill | reset | classpath | run-class CLASS [ARGS...]
#
# `status` also shows the disk the broker's state uses; `reset` deletes the state of a stopped broker
# (every topic and event: the next start is a fresh broker). The broker keeps at most about 256 MB
# per partition and 24 hours of events (laptop-sized retention; a topic can ask for more).
#
# The jars of one pinned Kafka release are resolved from Maven Central by Maven (scripts/kafka/pom.xml)
# and cached in .cache/ (git-ignored). Each broker keeps its state in .kafka/broker-<port>/.
#
# Settings (environment):
#   KAFKA_LOCAL_PORT             PLAINTEXT listener port            (default 9092)
#   KAFKA_LOCAL_CONTROLLER_PORT  KRaft controller port              (default PORT+1000)
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
#   KAFKA_LOCAL_DIR              state directory                    (default .kafka/broker-PORT)
#   KAFKA_LOCAL_HEAP             JVM heap                           (default 1g)
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

port=${KAFKA_LOCAL_PORT:-9092}
controller_port=${KAFKA_LOCAL_CONTROLLER_PORT:-$((port + 1000))}
sasl_port=${KAFKA_LOCAL_SASL_PORT:-}
sasl_users=${KAFKA_LOCAL_SASL_USERS:-shopstream=shopstream-secret}
ssl_port=${KAFKA_LOCAL_SSL_PORT:-}
mtls_port=${KAFKA_LOCAL_MTLS_PORT:-}
sasl_ssl_port=${KAFKA_LOCAL_SASL_SSL_PORT:-}
scram_users=${KAFKA_LOCAL_SCRAM_USERS:-shopstream=shopstream-secret}
admin=${KAFKA_LOCAL_ADMIN:-admin=admin-secret}
acls=${KAFKA_LOCAL_ACLS:-0}
state_dir=${KAFKA_LOCAL_DIR:-$root/.kafka/broker-$port}
heap=${KAFKA_LOCAL_HEAP:-1g}
start_timeout=${KAFKA_LOCAL_START_TIMEOUT:-90}
pid_file="$state_dir/kafka.pid"
log_file="$state_dir/server.log"
tls_dir="$state_dir/tls"
# The SCRAM users the storage was formatted with (a digest: they cannot be added later by this script).
scram_digest_file="$state_dir/scram-users.sha256"

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
  local cluster_id
  cluster_id=$(java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool random-uuid)
  java -cp "$(classpath)" -Dlog4j2.configurationFile="$(tools_log_config)" kafka.tools.StorageTool \
    format --standalone -t "$cluster_id" -c "$state_dir/server.properties" ${scram[@]+"${scram[@]}"} >"$state_dir/format.log" 2>&1 ||
    die "formatting KRaft storage failed: $(tail -n 3 "$state_dir/format.log")"
  if [ -n "$digest" ]; then echo "$digest" >"$scram_digest_file"; fi
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

start() {
  local pid
  check_settings
  if pid=$(our_pid); then
    say "already running on 127.0.0.1:$port (pid $pid)"
    print_client_settings
    return
  fi
  require_java
  local entry var p
  for entry in "KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)=$port" \
    "KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)=$controller_port" \
    "KAFKA_LOCAL_PORT (and KAFKA_LOCAL_CONTROLLER_PORT)=$sasl_port" "KAFKA_LOCAL_SSL_PORT=$ssl_port" \
    "KAFKA_LOCAL_MTLS_PORT=$mtls_port" "KAFKA_LOCAL_SASL_SSL_PORT=$sasl_ssl_port"; do
    var=${entry%=*} p=${entry##*=}
    if [ -n "$p" ] && port_open "$p"; then
      die "port $p on 127.0.0.1 is taken by another process; free it or choose another with $var"
    fi
  done
  resolve_classpath
  mkdir -p "$state_dir/data"
  if tls_wanted; then ensure_tls; fi
  write_config
  format_storage
  local extras=""
  if [ -n "$sasl_port" ]; then extras="SASL_PLAINTEXT on $sasl_port"; fi
  if [ -n "$ssl_port" ]; then extras="${extras:+$extras, }SSL on $ssl_port"; fi
  if [ -n "$mtls_port" ]; then extras="${extras:+$extras, }mutual TLS on $mtls_port"; fi
  if [ -n "$sasl_ssl_port" ]; then extras="${extras:+$extras, }SASL_SSL on $sasl_ssl_port"; fi
  if acls_on; then extras="${extras:+$extras, }ACLs enforced"; fi
  say "starting Apache Kafka $kafka_version on 127.0.0.1:$port${extras:+ ($extras)}, state in ${state_dir#"$root"/}"
  # setsid: the broker outlives this script and is not hit by the caller's Ctrl-C.
  setsid java -Xms256m -Xmx"$heap" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$state_dir/log4j2.properties" \
    -cp "$(classpath)" kafka.Kafka "$state_dir/server.properties" >>"$log_file" 2>&1 </dev/null &
  echo $! >"$pid_file"
  wait_until_ready "$!"
  say "ready: bootstrap servers 127.0.0.1:$port"
  print_client_settings
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

disk_used() { if [ -d "$state_dir" ]; then du -sh "$state_dir" 2>/dev/null | cut -f1; else echo "nothing"; fi; }

status() {
  local pid
  if pid=$(our_pid); then
    echo "running: Apache Kafka $kafka_version on 127.0.0.1:$port (pid $pid), state in $state_dir ($(disk_used) on disk)"
  elif port_open "$port"; then
    echo "not ours: something else listens on 127.0.0.1:$port"
    return 1
  else
    echo "stopped: nothing listens on 127.0.0.1:$port; state in $state_dir: $(disk_used) on disk"
    return 3
  fi
}

# Deletes a stopped broker's state (its topics, events, certificates): the next start is fresh.
reset() {
  if our_pid >/dev/null; then die "the broker on 127.0.0.1:$port is running: stop it first ($0 stop)"; fi
  if [ ! -d "$state_dir" ]; then
    echo "nothing to delete: no state in $state_dir"
    return 0
  fi
  local used
  used=$(disk_used)
  rm -rf "$state_dir"
  echo "deleted $state_dir ($used)"
}

logs() {
  [ -f "$log_file" ] || die "no log yet at $log_file"
  if [ "${1:-}" = "-f" ]; then tail -n 50 -f "$log_file"; else tail -n 100 "$log_file"; fi
}

# The header comment above.
usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p;}' "$0"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  logs) shift; logs "$@" ;;
  kill) crash ;;
  reset) reset ;;
  classpath) require_java; resolve_classpath; classpath ;;
  run-class) shift; [ $# -ge 1 ] || die "usage: $0 run-class CLASS [ARGS...]"; run_class "$@" ;;
  -h | --help | help) usage ;;
  *) usage >&2; exit 2 ;;
esac
