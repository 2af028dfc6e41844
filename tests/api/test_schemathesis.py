"""Schemathesis fuzzes every operation of /api/schema/ as each persona.

Figures: operations × personas tried; server errors and schema violations must be 0.
"""

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
        _, plain = token_create(user=person, name="fuzz", scope="write")
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
