#!/usr/bin/env bash
# `make bench [ARGS="--scale 0.1"]`: a fresh PostgreSQL database, the data, the table of figures.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
PY=.venv/bin/python
DB="${BENCH_DB:-tt_bench}"
ensure_postgres
ensure_redis
export BENCH_REDIS_URL="${BENCH_REDIS_URL:-redis://127.0.0.1:6379/10}"
redis-cli -u "$BENCH_REDIS_URL" flushdb >/dev/null
if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing wrk (Debian package) for the HTTP load figures."
  [ "$(id -u)" = 0 ] || die "wrk is missing and installing it needs root (apt-get install wrk)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null) || die "Could not install wrk"
fi
# The bench database's audit checkpoints, beside no other database's (a fresh database starts
# with none: checkpoints of an older one would rightly read as a log cut back).
export AUDIT_CHECKPOINT_DIR="var/bench-checkpoints/$DB"
case " $* " in
  *" --reuse "*) ;;  # measure the data of an earlier run again (after a fix)
  *) psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
     rm -rf "$AUDIT_CHECKPOINT_DIR" ;;
esac
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" DJANGO_ENV=development DEBUG=false
unset REDIS_URL
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py createcachetable
"$PY" -m tools.bench "$@"
