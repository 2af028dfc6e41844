#!/usr/bin/env bash
# `make production`: the Procfile (gunicorn, a Celery worker, beat) run by honcho with
# DJANGO_ENV=production against PostgreSQL and Redis on this machine: what an operator runs,
# on one machine. Every variable can be given; the defaults suit this machine only.
# PROCFILE_CONCURRENCY=web=2,worker=2 runs more of a kind (honcho gives web.2 PORT+1).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/services.sh
PY=.venv/bin/python
export PATH="$PWD/.venv/bin:$PATH" PYTHONUNBUFFERED=1
export PORT="${PORT:-8000}"
export DJANGO_ENV=production
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/tt_production}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
mkdir -p var
if [ -z "${SECRET_KEY:-}" ]; then
  [ -s var/production-secret-key ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(60))" > var/production-secret-key
  SECRET_KEY="$(cat var/production-secret-key)"
  export SECRET_KEY
fi
# The audit chain key and the checkpoint signing key: generated once and kept in var/ on this
# machine (an operator keeps them in a secret store, never in the database's backups).
if [ -z "${AUDIT_HMAC_KEYS:-}" ]; then
  [ -s var/production-audit-hmac-key ] || "$PY" -c "import secrets; print('k1:' + secrets.token_urlsafe(48))" > var/production-audit-hmac-key
  AUDIT_HMAC_KEYS="$(cat var/production-audit-hmac-key)"
  export AUDIT_HMAC_KEYS
fi
if [ -z "${AUDIT_SIGNING_KEY:-}" ]; then
  [ -s var/production-audit-signing-key ] || "$PY" -c "
import base64
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
print('s1:' + base64.b64encode(raw).decode())" > var/production-audit-signing-key
  AUDIT_SIGNING_KEY="$(cat var/production-audit-signing-key)"
  export AUDIT_SIGNING_KEY
fi
if [ -z "${PAYOUT_DETAILS_KEYS:-}" ]; then
  mkdir -p var
  [ -s var/production-payout-key ] || "$PY" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" > var/production-payout-key
  PAYOUT_DETAILS_KEYS="$(cat var/production-payout-key)"
  export PAYOUT_DETAILS_KEYS
fi
# The token Prometheus sends (Authorization: Bearer …) to read /metrics, /healthz/ready and
# the worker's and beat's metrics ports.
if [ -z "${METRICS_TOKEN:-}" ]; then
  [ -s var/production-metrics-token ] || "$PY" -c "import secrets; print(secrets.token_urlsafe(32))" > var/production-metrics-token
  METRICS_TOKEN="$(cat var/production-metrics-token)"
  export METRICS_TOKEN
fi
# The C2PA signing key and chain: an operator's come from a CA on the C2PA trust list. On this
# machine a self-made chain (not the embedded run's test chain, which production refuses) is
# made once in var/; files signed with it validate but no public verifier trusts them.
if [ -z "${C2PA_SIGNING_KEY_FILE:-}" ]; then
  [ -s var/production-c2pa-key.pem ] || "$PY" -c "
from pathlib import Path
from provenance.testchain import make
key, chain, root = make(organisation='Terms & Testers on this machine (self-made)')
Path('var/production-c2pa-chain.pem').write_bytes(chain)
Path('var/production-c2pa-root.pem').write_bytes(root)
Path('var/production-c2pa-key.pem').write_bytes(key)"
  export C2PA_SIGNING_KEY_FILE="$PWD/var/production-c2pa-key.pem"
  export C2PA_CERT_CHAIN_FILE="$PWD/var/production-c2pa-chain.pem"
  export C2PA_TRUST_ANCHORS_FILE="${C2PA_TRUST_ANCHORS_FILE:-$PWD/var/production-c2pa-root.pem}"
fi
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export SITE_URL="${SITE_URL:-http://127.0.0.1:$PORT}"
export EMAIL_BACKEND="${EMAIL_BACKEND:-django.core.mail.backends.smtp.EmailBackend}"
export EMAIL_HOST="${EMAIL_HOST:-127.0.0.1}" EMAIL_PORT="${EMAIL_PORT:-1025}"
# Without a TLS proxy in front on this machine, plain HTTP is served; behind one, leave it on.
export SECURE_SSL_REDIRECT="${SECURE_SSL_REDIRECT:-false}"
case "$DATABASE_URL" in
  postgres://*@127.0.0.1:5432/*|postgres://*@localhost:5432/*)
    ensure_postgres
    db="${DATABASE_URL##*/}"
    psql -h 127.0.0.1 -U postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
      || psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE \"$db\"" ;;
esac
case "$REDIS_URL" in redis://127.0.0.1:6379/*|redis://localhost:6379/*) ensure_redis ;; esac
ensure_ffmpeg  # uploaded videos are checked by ffprobe before they are stored
"$PY" manage.py migrate --noinput -v0
"$PY" manage.py createcachetable
"$PY" manage.py collectstatic --noinput -v0
echo "Serving on $SITE_URL/ (gunicorn), with Celery worker and beat (Ctrl-C to stop)"
echo "Metrics: $SITE_URL/metrics, worker :$((PORT + 100))/metrics, beat :$((PORT + 200))/metrics (Bearer token in var/production-metrics-token unless METRICS_TOKEN is set)"
exec .venv/bin/honcho --no-colour -f Procfile -d . start --port "$PORT" \
  ${PROCFILE_CONCURRENCY:+--concurrency "$PROCFILE_CONCURRENCY"}
