"""Schemathesis fuzzes every operation of /api/schema/ as each persona.

In-process (six personas, the server-error and schema checks) and, since issue 29, from
outside: the `st` CLI against a live server with every check and every phase.

Figures: operations × personas tried; failures of any kind must be 0.
"""

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from api.services import token_create

PERSONAS = ["anonymous", "participant", "outsider", "reviewer", "finance", "manager"]


def _load_schema():
    """The OpenAPI schema that /api/schema/ serves, generated in-process (no request, no DB)."""
    import json

    from django.core.serializers.json import DjangoJSONEncoder
    from drf_spectacular.generators import SchemaGenerator

    from config.wsgi import application

    raw = json.loads(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder)
    )
    loaded = schemathesis.openapi.from_dict(raw)
    loaded.app = application
    return loaded


schema = _load_schema()


@pytest.fixture(autouse=True)
def _keep_the_test_connection_open(db):
    """Like Django's test client: the WSGI handler must not close the test's connection."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


TALLY = {
    "calls": 0,
    "operations": set(),
    "covered": set(),  # operations whose coverage phase (every case the schema defines) ran
    "coverage_cases": 0,
    "server_errors": 0,
    "schema_violations": 0,
}


@pytest.fixture(scope="module", autouse=True)
def _report_figures():
    yield
    print(
        f"\nFIGURE schemathesis: {len(TALLY['operations'])} operations x {len(PERSONAS)} personas, "
        f"{TALLY['calls']} requests, {TALLY['server_errors']} server errors, "
        f"{TALLY['schema_violations']} schema violations; coverage phase ran to the end on "
        f"{len(TALLY['covered'])} operations ({TALLY['coverage_cases']} cases)"
    )


@pytest.fixture
def persona_headers(programme, participant, outsider, reviewer, finance, manager):
    people = {
        "participant": participant,
        "outsider": outsider,
        "reviewer": reviewer,
        "finance": finance,
        "manager": manager,
    }
    headers = {"anonymous": {}}
    for name, person in people.items():
        _, plain = token_create(actor=person, name="fuzz", scope="write")
        headers[name] = {"Authorization": f"Bearer {plain}"}
    return headers


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_errors_or_breaks_its_schema(case, persona_headers):
    TALLY["operations"].add(case.operation.label)
    if case.meta is not None and case.meta.phase.name == "coverage":
        TALLY["covered"].add(case.operation.label)
        TALLY["coverage_cases"] += 1
    for name in PERSONAS:
        response = case.call(headers=persona_headers[name])
        TALLY["calls"] += 1
        if response.status_code >= 500:
            TALLY["server_errors"] += 1
        try:
            case.validate_response(
                response, checks=[not_a_server_error, response_schema_conformance]
            )
        except Exception:
            if response.status_code < 500:
                TALLY["schema_violations"] += 1
            raise


def test_the_coverage_phase_is_on_for_every_operation_and_ran_on_each():
    """Schemathesis's coverage phase (every case the schema defines: boundaries, missing and
    wrong types) is part of the run above for every operation, not only random fuzzing."""
    operations = [op.ok() for op in schema.get_all_operations()]
    assert all(schema.config.phases_for(operation=op).coverage.enabled for op in operations)
    if TALLY["operations"]:  # the fuzzing test ran in this session (it does in make test)
        assert TALLY["covered"] == TALLY["operations"]


# --- From outside: the schemathesis CLI against a live server, every check, every phase -----

ST = Path(sys.executable).parent / "st"
CONFIG = Path(__file__).with_name("schemathesis.toml")
OUTSIDE = {"runs": 0, "cases": 0, "seconds": 0.0}


def _st_start(live_server, token: str, persona: str, report: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            str(ST), "--config-file", str(CONFIG), "--no-color",
            "run", f"{live_server.url}/api/schema/",
            "--checks", "all",
            "--phases", "examples,coverage,fuzzing,stateful",
            "--max-examples", "5",
            "--workers", "1",
            "--seed", "29",
            "--generation-database", "none",
            "--request-timeout", "30",
            "-H", f"Authorization: Bearer {token}",
            "--report", "ndjson", "--report-dir", str(report / persona),
        ],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_schemathesis_from_outside_finds_no_failure_of_any_kind(
    live_server, programme, participant, reviewer, manager, monkeypatch, tmp_path, settings
):
    """Issue 29: 1,318 cases from outside found 113 failures (56 HTML answers, 35 valid
    requests refused, 12 undocumented statuses, 10 schema violations). Every check of the
    CLI, every phase, as a participant, a reviewer and a manager: 0 failures, 0 errors."""
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    from approvals import services as approvals
    from feedback import services as feedback

    settings.REQUIRE_STAFF_MFA = False
    settings.MEDIA_ROOT = tmp_path / "media"
    # The fuzzer sends a few thousand requests a minute; the limit itself is tested elsewhere.
    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "100000/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    feedback.ticket_file(
        actor=participant, programme=programme, kind="bug", title="Crash",
        description="It crashes", severity="high",
    )  # fmt: skip
    approvals.submission_create(
        actor=participant, programme=programme, title="Clip", intended_use="social",
        url="https://example.org/clip.mp4",
    )  # fmt: skip
    # The three personas at once: each run waits on the server, not on the others.
    started = time.perf_counter()
    runs = {}
    for persona, person in (
        ("participant", participant),
        ("reviewer", reviewer),
        ("manager", manager),
    ):
        _, token = token_create(actor=person, name="outside", scope="write")
        runs[persona] = _st_start(live_server, token, persona, tmp_path)
    failed = []
    for persona, run in runs.items():
        stdout, stderr = run.communicate(timeout=900)
        OUTSIDE["runs"] += 1
        counted = re.search(r"(\d+) generated", stdout)
        OUTSIDE["cases"] += int(counted.group(1)) if counted else 0
        if run.returncode != 0:
            failed.append(f"{persona}:\n{stdout[-6000:]}\n{stderr[-2000:]}")
    OUTSIDE["seconds"] = time.perf_counter() - started
    print(
        f"\nFIGURE schemathesis from outside: {OUTSIDE['runs']} personas (participant, "
        f"reviewer, manager), every check and phase, {OUTSIDE['cases']} cases, "
        f"{len(failed)} runs with a failure, {OUTSIDE['seconds']:.0f} s"
    )
    assert not failed, "\n\n".join(failed)
