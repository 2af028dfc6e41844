#!/usr/bin/env bash
# `make test`: every check CI runs, in order; any failure stops the run with a non-zero exit.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
PY=.venv/bin/python
export DJANGO_ENV=test PYTHONDONTWRITEBYTECODE=1
mkdir -p var
rm -f var/figures-*.txt

step() { printf '\n=== %s\n' "$*"; }

# pytest's exit code 5 means "no tests ran": that is a failure here, never a pass.
run_pytest() {
  set +e
  "$PY" -m pytest --durations=12 "$@"
  local rc=$?
  set -e
  if [ "$rc" = 5 ]; then die "pytest collected no tests for: $*"; fi
  [ "$rc" = 0 ] || die "pytest failed (exit $rc) for: $*"
}

step "ruff (lint and format)"
.venv/bin/ruff check .
.venv/bin/ruff format --check .

step "layers (import-linter: an app imports only from the layers below it)"
.venv/bin/lint-imports

step "dead code (vulture; what is reached by reflection is named in scripts/vulture_whitelist.py)"
.venv/bin/vulture

step "manage.py check"
env -u DATABASE_URL -u REDIS_URL "$PY" manage.py check

step "makemigrations --check"
env -u DATABASE_URL -u REDIS_URL "$PY" manage.py makemigrations --check --dry-run

# Strict: a broken link or anchor, a page left out of the nav or a nav entry without a page
# fails here. Material's notice about its end of life is left out of the log.
step "the manual (mkdocs build --strict into var/site/)"
NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --clean

step "tools the tests use: LibreOffice (finance opens exports), Prometheus, ffprobe (uploaded videos)"
ensure_libreoffice
ensure_prometheus
ensure_ffmpeg

step "alert rules (promtool check rules, promtool test rules)"
promtool check rules monitoring/prometheus/alerts.yml
promtool test rules monitoring/prometheus/alerts.test.yml

# Every test runs on SQLite except those that need PostgreSQL, Redis or a worker (marked), and
# the fuzzing and property tests run here once. The PostgreSQL pass runs the marked tests
# plus the authorization matrix, so both databases answer "who sees what" the same way.
step "suite on SQLite (tasks in-process)"
(unset DATABASE_URL REDIS_URL; run_pytest -q -m "not browser and not postgres and not worker" -p no:cacheprovider)

step "services: PostgreSQL and Redis"
ensure_postgres
ensure_redis

step "suite on PostgreSQL + Redis + a real Celery worker"
# TT_PG_DB and TT_REDIS_DB let two checkouts on one machine run their suites side by side.
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/${TT_PG_DB:-termstesters}"
export REDIS_URL="redis://127.0.0.1:6379/${TT_REDIS_DB:-15}"
redis-cli -n "${TT_REDIS_DB:-15}" flushdb >/dev/null
run_pytest -q -m "(postgres or worker or authz) and not browser" -p no:cacheprovider --create-db

step "browser tests in headless Chromium"
ensure_chromium
ensure_axe
(unset DATABASE_URL REDIS_URL; TT_PASS=browser DJANGO_ALLOW_ASYNC_UNSAFE=true run_pytest -q -m browser -p no:cacheprovider)

if [ -f scripts/bench.sh ]; then
  step "benchmark at a tiny scale (so it cannot rot)"
  BENCH_DB=tt_bench_tiny BENCH_REDIS_URL=redis://127.0.0.1:6379/9 bash scripts/bench.sh --scale 0.001 --runs 1 --requests 5 --load-seconds 2 \
    --out var/bench-tiny.json
fi

step "figures measured by the tests"
cat var/figures-*.txt 2>/dev/null || echo "(none)"

printf '\nAll checks passed.\n'
