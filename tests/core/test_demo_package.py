"""`python -m demo` (what `make run` calls) seeds once, prints the logins, and is refused in
production; no installed app imports the demo package."""

import pathlib

import pytest

from demo.__main__ import main
from feedback.models import Ticket
from labour.models import TimeEntry


def test_python_m_demo_seeds_once_and_prints_the_logins(db, capsys):
    assert main() == 0
    out = capsys.readouterr().out
    assert "Demo data is ready. Log in with (password demo-pass-2024):" in out
    counts = Ticket.objects.count(), TimeEntry.objects.count()
    assert all(counts)
    assert main() == 0
    assert (Ticket.objects.count(), TimeEntry.objects.count()) == counts


def test_the_demo_is_refused_in_production(db, settings, capsys):
    settings.PRODUCTION = True
    assert main() == 1
    assert "refuses to run with DJANGO_ENV=production" in capsys.readouterr().err
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("pattern", ["import demo", "from demo"])
def test_no_installed_app_imports_the_demo_package(settings, pattern):
    root = pathlib.Path(settings.BASE_DIR)
    for app in ("core", "audit", "programs", "participants", "feedback", "labour"):
        for path in (root / app).rglob("*.py"):
            assert pattern not in path.read_text(), path
