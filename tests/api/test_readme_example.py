"""The example client of the API page (docs/reference/api.md: curl and Python) runs against a
live server. It lived in the README before the manual moved to docs/."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.services import token_create
from tests.factories import make_participant

API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "reference" / "api.md"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _block(language):
    section = API_PAGE.read_text().split("### Example client", 1)[1]
    return re.search(rf"```{language}\n(.*?)```", section, re.S).group(1)


def test_the_readme_examples_run_against_a_live_server(live_server, programme):
    person = make_participant(programme, email="readme@example.com")
    _, token = token_create(actor=person, name="readme", scope="read")
    env = {**os.environ, "TT_URL": live_server.url, "TT_TOKEN": token}
    curl = subprocess.run(
        ["bash", "-c", _block("sh")], env=env, capture_output=True, text=True, timeout=30
    )
    assert curl.returncode == 0, curl.stderr
    assert '"active":true' in curl.stdout.replace(" ", "")
    python = subprocess.run(
        [sys.executable, "-c", _block("python")],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert python.returncode == 0, python.stderr
    assert python.stdout.splitlines()[0] == "Alpha"
    assert "- Paid €25.00 per hour worked." in python.stdout
