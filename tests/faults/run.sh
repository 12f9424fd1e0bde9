#!/usr/bin/env bash
# The fault-injection suite (opt-in, like the benchmarks): its own PostgreSQL cluster (pg_ctl, Debian's
# /usr/lib/postgresql/15/bin unless PGBIN is set) and its own redis-server, on their own ports, in var/faults/.
# The experiments (tests/faults/test_*.py) break them on purpose and write var/faults/results.json.
#   bash tests/faults/run.sh            # all experiments
#   bash tests/faults/run.sh -k restart # pytest's -k
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
DIR="$ROOT/var/faults"
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
PGPORT=${FAULTS_PG_PORT:-55432}
REDIS_PORT=${FAULTS_REDIS_PORT:-56379}
rm -rf "$DIR/pg"
mkdir -p "$DIR/pg"
as_postgres() {  # PostgreSQL refuses to run as root
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$DIR/pg"; runuser -u postgres -- "$@"; else "$@"; fi
}
as_postgres "$PGBIN/initdb" -D "$DIR/pg/data" -U postgres -A trust >/dev/null
as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/data" -l "$DIR/pg/log" -w \
  -o "-p $PGPORT -k $DIR/pg -c listen_addresses=127.0.0.1" start >/dev/null
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
  --pidfile "$DIR/redis.pid" --dir "$DIR" --logfile "$DIR/redis.log"
cleanup() {
  as_postgres "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m immediate stop >/dev/null 2>&1 || true
  redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
}
trap cleanup EXIT
export DATABASE_URL="postgres://postgres@127.0.0.1:$PGPORT/postgres"
export CELERY_BROKER_URL="redis://127.0.0.1:$REDIS_PORT/0" CACHE_URL="redis://127.0.0.1:$REDIS_PORT/1"
export FAULTS_PGBIN="$PGBIN" FAULTS_PGDATA="$DIR/pg/data" FAULTS_PG_PORT="$PGPORT" FAULTS_PG_SOCKETS="$DIR/pg"
export FAULTS_REDIS_PORT="$REDIS_PORT" FAULTS_DIR="$DIR"
python3 dev.py test tests/faults -o norecursedirs= -m faults -s "$@"
