#!/usr/bin/env bash
# Makes sure what ShopStream needs is installed: a Rust toolchain (rustup), a C toolchain and OpenSSL's
# headers (to build librdkafka with TLS), Java 17+ and Maven (to run a local Apache Kafka; a JDK with javac for the Flink SQL example). On Debian/Ubuntu as root it
# installs what is missing with apt-get; elsewhere it says what to install and exits non-zero.
#   scripts/prerequisites.sh [--compose] [--browser]
#     --compose  also a docker compose, to check docker-compose.yml
#     --browser  also Chromium and Node.js, for the dashboard's browser test
#     --bench    also GNU time, bc and jq, for the benchmarks' and soak's figures and the book's
#                examples (the tests run those)
set -euo pipefail

missing=()
command -v cc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 || missing+=(build-essential)
command -v perl >/dev/null 2>&1 || missing+=(perl)
# librdkafka links the system OpenSSL (TLS, SCRAM) and finds it with pkg-config; the secured local
# broker's throw-away certificates are made with the openssl command.
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists openssl 2>/dev/null || missing+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
# A JDK (javac) compiles the Flink SQL example's runner (examples/flink-sql/run.sh --fetch).
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
for option in "$@"; do
  case "$option" in
    --compose)
      if ! docker compose version >/dev/null 2>&1 && ! command -v docker-compose >/dev/null 2>&1; then
        missing+=(docker-compose)
      fi
      ;;
    --bench)
      [ -x /usr/bin/time ] || missing+=(time)
      command -v bc >/dev/null 2>&1 || missing+=(bc)
      command -v jq >/dev/null 2>&1 || missing+=(jq)
      ;;
    --browser)
      [ -x /usr/bin/chromium ] || missing+=(chromium)
      command -v node >/dev/null 2>&1 || missing+=(nodejs)
      command -v npm >/dev/null 2>&1 || missing+=(npm)
      ;;
  esac
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "prerequisites: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "prerequisites: please install: ${missing[*]} (Debian/Ubuntu package names)" >&2
    exit 1
  fi
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "prerequisites: Rust is not installed; install it with rustup (https://rustup.rs), then rerun" >&2
  exit 1
fi
