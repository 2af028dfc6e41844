"""Settings come from the environment; production refuses insecure values."""

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def _c2pa_chain(organisation: str) -> dict:
    """A C2PA key and chain of an operator (not the embedded run's test chain), in var/."""
    from provenance.testchain import make

    folder = ROOT / "var" / "test-settings-c2pa" / organisation.split()[0].lower()
    folder.mkdir(parents=True, exist_ok=True)
    key, chain, _ = make(organisation=organisation)
    (folder / "key.pem").write_bytes(key)
    (folder / "chain.pem").write_bytes(chain)
    return {
        "C2PA_SIGNING_KEY_FILE": str(folder / "key.pem"),
        "C2PA_CERT_CHAIN_FILE": str(folder / "chain.pem"),
    }


PROD_OK = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x" * 20 + "a-real-random-secret-value-for-this-test-only-0123456789",
    "ALLOWED_HOSTS": "testers.example.org",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/termstesters_prodcheck",
    "REDIS_URL": "redis://127.0.0.1:6379/14",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
    "AUDIT_HMAC_KEYS": "k1:a-real-random-audit-chain-key-for-this-test-0123456789",
    "AUDIT_SIGNING_KEY": "k1:cmVhbC1zaWduaW5nLWtleS1mb3ItdGhpcy10ZXN0ISE=",
    "PAYOUT_DETAILS_KEYS": "cmVhbC1wYXlvdXQta2V5LWZvci10aGlzLXRlc3QhISE=",
    "METRICS_TOKEN": "a-real-random-metrics-token-for-this-test-0123456789",
    **_c2pa_chain("Operator of this test"),
}


def _manage(*args, **env):
    full = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_ENV")
    }
    full.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_refuses_to_start_with_the_development_secret():
    result = _manage("check", **{**PROD_OK, "SECRET_KEY": ""})
    assert result.returncode != 0
    assert "Refusing to start with DJANGO_ENV=production" in result.stderr
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_the_development_audit_keys():
    env = {k: v for k, v in PROD_OK.items() if not k.startswith("AUDIT_")}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEYS" in result.stderr and "AUDIT_SIGNING_KEY" in result.stderr


def test_production_refuses_the_development_key_for_payout_details():
    result = _manage("check", **{k: v for k, v in PROD_OK.items() if k != "PAYOUT_DETAILS_KEYS"})
    assert result.returncode != 0
    assert "PAYOUT_DETAILS_KEYS must not list the development key" in result.stderr


def test_production_refuses_to_start_without_a_c2pa_signing_chain_or_with_the_test_chain():
    env = {k: v for k, v in PROD_OK.items() if not k.startswith("C2PA_")}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "C2PA_SIGNING_KEY_FILE and C2PA_CERT_CHAIN_FILE must name" in result.stderr
    from provenance.testchain import ORGANISATION

    result = _manage("check", **{**PROD_OK, **_c2pa_chain(ORGANISATION)})
    assert result.returncode != 0
    assert "C2PA_CERT_CHAIN_FILE is the test chain of the embedded run" in result.stderr
    result = _manage("check", **{**PROD_OK, "C2PA_CERT_CHAIN_FILE": "/nonexistent/chain.pem"})
    assert "is not a readable file" in result.stderr


def test_production_refuses_sqlite_and_missing_redis():
    env = {k: v for k, v in PROD_OK.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert "PostgreSQL" in result.stderr and "REDIS_URL" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PROD_OK)
    assert result.returncode == 0, result.stderr + result.stdout


def test_sqlite_runs_with_wal_a_busy_timeout_and_immediate_transactions(db):
    if connection.vendor != "sqlite":
        return
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE" and options["timeout"] >= 5
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"


def test_without_redis_tasks_run_in_process():
    from config.celery import app

    if not settings.REDIS_URL:
        assert app.conf.task_always_eager


def test_with_redis_publishing_is_bounded():
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["socket_connect_timeout"] <= 2 and options["max_retries"] <= 2
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 5
