#!/usr/bin/env bash
# test.sh - run every test of dtm4j: unit tests, then integration tests against real stores.
#
# Usage: scripts/test.sh [extra maven arguments]      e.g. scripts/test.sh -Dtest=SagaScenarioTest
#
# Starts what the tests need when it is absent, on 127.0.0.1 ports of its own (Redis 6390, PostgreSQL
# 5440, MariaDB 3310; override with REDIS_PORT, PG_PORT, MYSQL_PORT), installing the server packages
# with apt-get when run as root and they are missing, and stops afterwards only what it started.
# Services that already answer (from an earlier run or started by hand) are used as they are.
#   DTM_TEST_SERVICES=none   run without starting any store (integration tests that need one then fail)
#   DTM_IT_REQUIRED=false    let integration tests skip, instead of fail, when a store is missing
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

export DTM_SVC_DIR=${DTM_SVC_DIR:-/tmp/dtm-services}
REDIS_PORT=${REDIS_PORT:-6390}; PG_PORT=${PG_PORT:-5440}; MYSQL_PORT=${MYSQL_PORT:-3310}
export REDIS_PORT PG_PORT MYSQL_PORT

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

started=()
if [ "${DTM_TEST_SERVICES:-all}" != none ]; then
  for svc in redis:$REDIS_PORT postgres:$PG_PORT mariadb:$MYSQL_PORT; do
    answers "${svc#*:}" || started+=("${svc%%:*}")
  done
  cleanup() {
    if [ ${#started[@]} -gt 0 ]; then
      log "stopping what this run started: ${started[*]}"
      scripts/services-down.sh "${started[@]}" || true
    fi
  }
  trap cleanup EXIT
  scripts/services-up.sh redis postgres mariadb
  # shellcheck disable=SC1091
  source "$DTM_SVC_DIR/env.sh"
fi

# Maven: the installed one, else the wrapper (which fetches Maven from Maven Central)
if command -v mvn >/dev/null 2>&1; then MVN=(mvn); else MVN=(./mvnw); fi
if ! command -v java >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    log "installing a JDK (openjdk-17-jdk-headless)"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openjdk-17-jdk-headless >/dev/null
  else
    log "java is missing: install a JDK 17 (apt-get install openjdk-17-jdk-headless)"; exit 1
  fi
fi
# The admin UI's browser tests (AdminUiIT) drive Debian's headless Chromium through its chromedriver
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing chromium and chromium-driver for the admin UI tests"
    apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null
  else
    log "chromium or chromedriver is missing: install them (apt-get install chromium chromium-driver), or AdminUiIT fails"
  fi
fi

log "running the test suite"
"${MVN[@]}" -B -ntp verify -Ddtm.it.required="${DTM_IT_REQUIRED:-true}" "$@"
