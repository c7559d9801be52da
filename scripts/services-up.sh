#!/usr/bin/env bash
# services-up.sh - start throwaway Redis, PostgreSQL and MariaDB on 127.0.0.1
# for tests, as root or as a normal user, on Debian 12.
#
# Usage: services-up.sh [--fresh] [redis] [postgres] [mariadb]
#   no service names = all three.  --fresh wipes the data dir of the named
#   services first.  Idempotent: a service that already answers is left alone,
#   a stopped one is restarted on its existing data (so a test can stop a store
#   with services-down.sh and bring it back with its data intact).
#
# Environment (all optional):
#   DTM_SVC_DIR   base dir for data, sockets, logs, pids (default /tmp/dtm-services)
#   REDIS_PORT    default 6390        PG_PORT default 5440     MYSQL_PORT default 3310
#   DTM_DB_USER   default dtm         DTM_DB_PASS default dtm  DTM_DB_NAME default dtm
#   SVC_NO_INSTALL=1  never call apt-get (fail if a server binary is missing)
#
# Prints connection URLs and writes them to $DTM_SVC_DIR/env.sh (source it).
# Exit 3: a port is held by a process this script did not start (pick another
# port through the variables above). Fault injection: services-down.sh --kill
# postgres, then services-up.sh postgres, brings the same data back.
set -euo pipefail

BASE=${DTM_SVC_DIR:-/tmp/dtm-services}
REDIS_PORT=${REDIS_PORT:-6390}
PG_PORT=${PG_PORT:-5440}
MYSQL_PORT=${MYSQL_PORT:-3310}
DB_USER=${DTM_DB_USER:-dtm}
DB_PASS=${DTM_DB_PASS:-dtm}
DB_NAME=${DTM_DB_NAME:-dtm}
WAIT_SECS=${SVC_WAIT_SECS:-60}

FRESH=0
WANT=()
for a in "$@"; do
  case "$a" in
    --fresh) FRESH=1 ;;
    redis|postgres|mariadb) WANT+=("$a") ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown argument: $a" >&2; exit 2 ;;
  esac
done
[ ${#WANT[@]} -eq 0 ] && WANT=(redis postgres mariadb)

log() { printf '[services-up %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
now_ms() { date +%s%3N; }

# ---------------------------------------------------------------- install ---
need_pkgs=()
for s in "${WANT[@]}"; do
  case $s in
    redis)    command -v redis-server >/dev/null || need_pkgs+=(redis-server) ;;
    postgres) ls -d /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || need_pkgs+=(postgresql) ;;
    mariadb)  command -v mariadbd >/dev/null || need_pkgs+=(mariadb-server) ;;
  esac
done
if [ ${#need_pkgs[@]} -gt 0 ]; then
  [ "${SVC_NO_INSTALL:-0}" = 1 ] && { echo "missing packages: ${need_pkgs[*]}" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "missing packages (run as root to install): ${need_pkgs[*]}" >&2; exit 1; }
  log "installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d may or may not exist: make sure the packaged services don't auto-start
  if ! apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null; then
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need_pkgs[@]}" >/dev/null
  fi
fi

mkdir -p "$BASE"
chmod 755 "$BASE"

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
# alive <pid>: exists and is not a zombie (pid 1 on these machines reaps
# killed daemons only every few seconds, and kill -0 succeeds on a zombie)
alive() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; [[ $st != Z* ]]; }
pidfile_pid() { [ -s "$1" ] && head -n1 "$1" | tr -dc '0-9' || true; }
pid_alive() { # pid_alive <pidfile> <comm-regex>
  local pid; pid=$(pidfile_pid "$1")
  [ -n "$pid" ] && alive "$pid" && ps -o comm= -p "$pid" | grep -Eq "$2"
}
refuse_busy() { # refuse_busy <name> <port> <env-var>
  if port_busy "$2"; then
    log "$1: port $2 is taken by a process this script did not start; set $3 to another port"
    exit 3
  fi
}

wait_until() { # wait_until <name> <command...>
  local name=$1; shift
  local deadline=$(( $(date +%s) + WAIT_SECS ))
  until "$@" >/dev/null 2>&1; do
    if [ -n "${WAIT_PID:-}" ] && ! alive "$WAIT_PID"; then
      log "$name exited during start-up"; return 1
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      log "$name did not answer within ${WAIT_SECS}s"; return 1
    fi
    sleep 0.1
  done
}

# ------------------------------------------------------------------ redis ---
redis_up() {
  local d=$BASE/redis t0; t0=$(now_ms)
  [ $FRESH = 1 ] && { "$(dirname "$0")/services-down.sh" redis >/dev/null 2>&1 || true; rm -rf "$d"; }
  if pid_alive "$d/redis.pid" redis-server && redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; then
    log "redis already up on $REDIS_PORT"; return 0
  fi
  refuse_busy redis "$REDIS_PORT" REDIS_PORT
  mkdir -p "$d"
  # AOF on (fsync everysec) so data survives a stop/start used in outage tests
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes \
    --dir "$d" --pidfile "$d/redis.pid" --logfile "$d/redis.log" \
    --appendonly yes --appendfsync everysec --save '' \
    --protected-mode no
  wait_until redis sh -c "redis-cli -h 127.0.0.1 -p $REDIS_PORT ping | grep -q PONG"
  log "redis up on $REDIS_PORT in $(( $(now_ms) - t0 )) ms"
}

# --------------------------------------------------------------- postgres ---
as_pg() { # run a command as the postgres user when we are root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
postgres_up() {
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  local d=$BASE/postgres data sock t0; t0=$(now_ms)
  data=$d/data; sock=$d/sock
  [ $FRESH = 1 ] && { "$(dirname "$0")/services-down.sh" postgres >/dev/null 2>&1 || true; rm -rf "$d"; }
  if ! { pid_alive "$data/postmaster.pid" postgres && "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; }; then
    refuse_busy postgres "$PG_PORT" PG_PORT
    mkdir -p "$d" "$sock"
    if [ "$(id -u)" = 0 ]; then
      id postgres >/dev/null 2>&1 || useradd --system --home-dir "$d" --shell /bin/bash postgres
      chown postgres: "$d" "$sock"
    fi
    if [ ! -s "$data/PG_VERSION" ]; then
      rm -rf "$data"
      # --no-sync: no fsync during initdb (throwaway dir); trust on the unix
      # socket for the admin, password (scram) over TCP for the app user
      as_pg "$bin/initdb" -D "$data" -U postgres -E UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$d/initdb.log" 2>&1 \
        || { cat "$d/initdb.log" >&2; return 1; }
    fi
    # after a kill -9 the old postmaster may linger as a zombie, which
    # postgres's own lock-file check takes for a live server: drop the stale
    # lock file once no process of the old server is alive
    local old lf
    for lf in "$data/postmaster.pid" "$sock/.s.PGSQL.$PG_PORT.lock"; do
      old=$(pidfile_pid "$lf")
      if [ -n "$old" ] && ! alive "$old"; then rm -f "$lf"; fi
    done
    # fsync=off is safe for kill -9 of postgres (only an OS crash loses data)
    as_pg "$bin/pg_ctl" -D "$data" -l "$d/postgres.log" -w -t "$WAIT_SECS" start \
      -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $sock -c fsync=off -c full_page_writes=off -c max_connections=200 -c max_prepared_transactions=100" >/dev/null \
      || { log "postgres failed to start:"; tail -n 20 "$d/postgres.log" >&2; return 1; }
    wait_until postgres "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"
  else
    log "postgres already up on $PG_PORT"
  fi
  local psql=("$bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$sock" -p "$PG_PORT" -U postgres -d postgres)
  "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname='$DB_USER'" | grep -q 1 \
    || "${psql[@]}" -c "CREATE ROLE \"$DB_USER\" LOGIN CREATEDB PASSWORD '$DB_PASS'"
  "${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname='$DB_NAME'" | grep -q 1 \
    || "${psql[@]}" -c "CREATE DATABASE \"$DB_NAME\" OWNER \"$DB_USER\""
  log "postgres up on $PG_PORT in $(( $(now_ms) - t0 )) ms"
}

# ---------------------------------------------------------------- mariadb ---
mariadb_up() {
  local d=$BASE/mariadb t0; t0=$(now_ms)
  local sock=$d/mariadb.sock
  [ $FRESH = 1 ] && { "$(dirname "$0")/services-down.sh" mariadb >/dev/null 2>&1 || true; rm -rf "$d"; }
  local admin=(mariadb-admin --no-defaults --protocol=socket -S "$sock" -uroot)
  if ! { pid_alive "$d/mariadb.pid" 'mariadbd|mysqld' && "${admin[@]}" ping >/dev/null 2>&1; }; then
    refuse_busy mariadb "$MYSQL_PORT" MYSQL_PORT
    mkdir -p "$d"
    local user_opt=(); [ "$(id -u)" = 0 ] && user_opt=(--user=root)
    if [ ! -d "$d/data/mysql" ]; then
      rm -rf "$d/data"
      # root@localhost with no password (not unix_socket), no test db
      mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$d/data" \
        --auth-root-authentication-method=normal --skip-test-db \
        --skip-name-resolve >"$d/install.log" 2>&1 \
        || { cat "$d/install.log" >&2; return 1; }
    fi
    # --no-defaults: ignore /etc/mysql; flush at commit=2 is safe for kill -9
    # of mariadbd (only an OS crash loses the last second)
    nohup mariadbd --no-defaults "${user_opt[@]}" --datadir="$d/data" \
      --socket="$sock" --port="$MYSQL_PORT" --bind-address=127.0.0.1 \
      --pid-file="$d/mariadb.pid" --log-error="$d/mariadb.err" \
      --skip-name-resolve --innodb-buffer-pool-size=128M \
      --innodb-flush-log-at-trx-commit=2 --max-connections=200 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
      >/dev/null 2>&1 </dev/null &
    WAIT_PID=$! wait_until mariadb "${admin[@]}" ping \
      || { log "mariadb failed to start:"; tail -n 20 "$d/mariadb.err" >&2; return 1; }
  else
    log "mariadb already up on $MYSQL_PORT"
  fi
  mariadb --no-defaults --protocol=socket -S "$sock" -uroot <<SQL
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`;
CREATE DATABASE IF NOT EXISTS \`${DB_NAME}_barrier\`;
CREATE USER IF NOT EXISTS '$DB_USER'@'%' IDENTIFIED BY '$DB_PASS';
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'%';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'localhost';
FLUSH PRIVILEGES;
SQL
  log "mariadb up on $MYSQL_PORT in $(( $(now_ms) - t0 )) ms"
}

T0=$(now_ms)
for s in "${WANT[@]}"; do "${s}_up"; done

ENV=$BASE/env.sh
{
  echo "# generated by services-up.sh $(date -Is)"
  echo "export DTM_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
  echo "export DTM_TEST_REDIS_HOST=127.0.0.1 DTM_TEST_REDIS_PORT=$REDIS_PORT"
  echo "export DTM_TEST_PG_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/$DB_NAME"
  echo "export DTM_TEST_PG_HOST=127.0.0.1 DTM_TEST_PG_PORT=$PG_PORT"
  # mariadb-java-client 4.x tries TLS by default; this throwaway server has none
  echo "export DTM_TEST_MYSQL_URL=jdbc:mariadb://127.0.0.1:$MYSQL_PORT/$DB_NAME?sslMode=disable"
  echo "export DTM_TEST_MYSQL_URL_MYSQLJ=jdbc:mysql://127.0.0.1:$MYSQL_PORT/$DB_NAME"
  echo "export DTM_TEST_MYSQL_HOST=127.0.0.1 DTM_TEST_MYSQL_PORT=$MYSQL_PORT"
  echo "export DTM_TEST_DB_USER=$DB_USER DTM_TEST_DB_PASSWORD=$DB_PASS"
  echo "export DTM_SVC_DIR=$BASE"
} > "$ENV"

for s in "${WANT[@]}"; do
  case $s in
    redis)    echo "redis    redis://127.0.0.1:$REDIS_PORT/0" ;;
    postgres) echo "postgres jdbc:postgresql://127.0.0.1:$PG_PORT/$DB_NAME  user=$DB_USER password=$DB_PASS" ;;
    mariadb)  echo "mariadb  jdbc:mariadb://127.0.0.1:$MYSQL_PORT/$DB_NAME?sslMode=disable  (or jdbc:mysql://...)  user=$DB_USER password=$DB_PASS" ;;
  esac
done
echo "env file: $ENV   (total $(( $(now_ms) - T0 )) ms)"
