#!/usr/bin/env bash
# `make run`: the product on its embedded default. SQLite, demo data, and the three processes
# of production (web, a Celery worker, beat) started by honcho from Procfile.embedded, on
# kombu's filesystem broker: periodic work (deemed approval, reminders, escalations, stipends,
# public figures, outbox retries) runs as it does in production. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
PY=.venv/bin/python
# Uploaded videos are checked by ffprobe before they are stored (core.uploads).
ensure_ffmpeg
export PORT="${PORT:-8000}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
export CELERY_BROKER_URL="${CELERY_BROKER_URL:-filesystem://}"
# The product's own error pages, never Django's debug page (it lists every route and setting);
# static files are then served by WhiteNoise from STATIC_ROOT, so they are collected first.
export DEBUG="${DEBUG:-false}"
export PATH="$PWD/.venv/bin:$PATH" PYTHONUNBUFFERED=1
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py createcachetable
"$PY" manage.py collectstatic --noinput -v0
"$PY" -m demo
echo "Serving on $SITE_URL/ with a Celery worker and beat (Ctrl-C to stop)"
echo "Health: $SITE_URL/healthz/ready; metrics: $SITE_URL/metrics, worker :$((PORT + 100))/metrics, beat :$((PORT + 200))/metrics"
# honcho gives each process type its own PORT (base + 100 × index); web comes first.
exec .venv/bin/honcho --no-colour -f Procfile.embedded -d . start --port "$PORT"
