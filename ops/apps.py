from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = "Operations: metrics, health, incidents"

    def ready(self):
        from allauth.mfa import signals as mfa_signals
        from django.contrib.auth import signals as auth_signals

        from . import metrics

        def logged_in(**kwargs):
            metrics.LOGINS.labels(outcome="success").inc()

        def login_failed(**kwargs):
            metrics.LOGINS.labels(outcome="failure").inc()

        def two_factor_failed(**kwargs):
            metrics.TWO_FACTOR_FAILURES.inc()

        auth_signals.user_logged_in.connect(logged_in, weak=False, dispatch_uid="ops-logins")
        auth_signals.user_login_failed.connect(
            login_failed, weak=False, dispatch_uid="ops-login-failures"
        )
        mfa_signals.authentication_failed.connect(
            two_factor_failed, weak=False, dispatch_uid="ops-two-factor-failures"
        )
        checks.register(metrics_closed, checks.Tags.security, deploy=True)


def metrics_closed(app_configs=None, **kwargs):
    """`check --deploy`: with neither a token nor networks, nobody can scrape the metrics."""
    if settings.METRICS_TOKEN or settings.METRICS_ALLOWED_NETWORKS:
        return []
    return [
        checks.Warning(
            "Nobody can read /metrics, /healthz/ready or the workers' metrics.",
            hint="Set METRICS_TOKEN (sent as a Bearer token) or METRICS_ALLOWED_NETWORKS.",
            id="ops.W001",
        )
    ]
