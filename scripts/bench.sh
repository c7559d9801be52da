#!/usr/bin/env bash
# bench.sh - run dtm4j's benchmark matrix and write BENCHMARKS.md at the repository root.
#
# Usage: scripts/bench.sh [--quick|--full] [extra BenchMain arguments]
#   --full   (default) the short matrix of spec performance.md 4.6: every store, every mode, store-work counts,
#            open-loop latency, the server heap bisection and crash recovery (10,000 in flight); about 17 minutes
#            on 2 cores. Run it on a quiet machine.
#   --quick  the same cells with windows of a second or two and 500 in flight: a 1-2 minute smoke of the harness.
#   extra    e.g. --stores sqlite,redis  --recovery-n 2000  --concurrency 32  --out /tmp/b.md
#
# Builds what it needs (the modules, dtm.jar and the bench module), starts the throwaway Redis, PostgreSQL and
# MariaDB of scripts/services-up.sh when they do not answer (as scripts/test.sh does) and stops afterwards only
# what it started.  BENCH_SKIP_BUILD=1 reuses the last build; DTM_TEST_SERVICES=none starts no store (the stores
# that do not answer are left out of the report).
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[bench.sh %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

profile=--full
args=()
for a in "$@"; do
  case "$a" in
    --quick|--full) profile=$a ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) args+=("$a") ;;
  esac
done

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
  scripts/services-up.sh redis postgres mariadb >&2
  # shellcheck disable=SC1091
  source "$DTM_SVC_DIR/env.sh"
fi

if command -v mvn >/dev/null 2>&1; then MVN=(mvn); else MVN=(./mvnw); fi
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  log "building the modules, dtm.jar and the bench module"
  "${MVN[@]}" -B -q -ntp install -pl dtm-core,dtm-store-jdbc,dtm-store-redis,dtm-client,dtm-server-embedded \
    -DskipTests
  "${MVN[@]}" -B -q -ntp package -pl bench -DskipTests
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no -- . ':!BENCHMARKS.md' 2>/dev/null)" ]; then commit="$commit+local changes"; fi

log "running the matrix ($profile); the report goes to BENCHMARKS.md"
java -Xms1g -Xmx1g -XX:+UseG1GC -Duser.timezone=UTC -Dsun.net.httpserver.nodelay=true \
  -cp "bench/target/classes:$(cat bench/target/classpath.txt)" io.dtm4j.bench.BenchMain \
  "$profile" --dtm-jar dtm-server-embedded/target/dtm.jar --out BENCHMARKS.md --commit "$commit" \
  --command "scripts/bench.sh $profile${args[*]:+ ${args[*]}}" "${args[@]}"
