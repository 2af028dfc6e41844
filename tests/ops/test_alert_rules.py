"""The alert rules in monitoring/ load in Prometheus and fire as their tests say."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT

RULES = ROOT / "monitoring" / "prometheus"


def _promtool(*args) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("needs Debian's prometheus package (scripts/services.sh ensure_prometheus)")
    return subprocess.run(
        ["promtool", *args], cwd=RULES, capture_output=True, text=True, timeout=120
    )


def test_the_alert_rules_are_valid_and_every_alert_has_a_test_that_fires_it():
    checked = _promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = _promtool("test", "rules", "alerts.test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    alerts = {
        line.split(":", 1)[1].strip()
        for line in (RULES / "alerts.yml").read_text().splitlines()
        if line.strip().startswith("- alert:")
    }
    fired = (RULES / "alerts.test.yml").read_text()
    assert alerts and all(f"alertname: {a}" in fired for a in alerts), alerts
