"""The training check: a model team's pipeline asks, with a service-account token a manager made,
whether files may be used for training; allowed, withdrawn and unknown hashes are answered
with the consent they rest on; every call is counted on the public page; the token can do
nothing else."""

import hashlib
import os
import subprocess
import sys
from contextlib import nullcontext

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from api.models import ServiceToken
from api.services import service_token_create, service_token_revoke, token_create
from approvals import services as approvals
from provenance.models import ConsentEntry
from tests.api.test_generated_client import _generate

from .conftest import approve, png_bytes, set_terms, submit_file


def _three_outputs(programme, participant, reviewer, client, committed=nullcontext):
    """An output allowed for training, one allowed then withdrawn (signed, then signed again)."""
    set_terms(programme, training_use="per_output")
    client.force_login(participant)
    kept = submit_file(participant, programme, png_bytes(), "a.png", "image/png", title="Kept")
    withdrawn = submit_file(
        participant, programme, png_bytes((9, 9, 9)), "b.png", "image/png", title="Withdrawn"
    )
    with committed():
        for s in (kept, withdrawn):
            client.post(reverse("publicity:training", args=[s.pk]), {"allowed": "yes"})
            approve(s, reviewer)
    with committed():
        client.post(reverse("publicity:training", args=[withdrawn.pk]), {"allowed": "no"})
    client.logout()
    return kept, withdrawn


def _service_token(manager, programme, client) -> str:
    """Made by the manager on the programme's page, shown once."""
    client.force_login(manager)
    response = client.post(
        reverse("api:service_tokens", args=[programme.slug]), {"name": "training pipeline"}
    )
    assert response.status_code == 200, response.content
    plain = response.context["created"]
    assert plain.startswith("tts_") and plain in response.content.decode()
    client.logout()
    return plain


def test_the_check_answers_allowed_withdrawn_and_unknown_with_the_consent_and_counts_calls(
    client, programme, participant, reviewer, manager, settings, django_capture_on_commit_callbacks
):
    settings.REQUIRE_STAFF_MFA = False

    def committed():
        return django_capture_on_commit_callbacks(execute=True)

    kept, withdrawn = _three_outputs(programme, participant, reviewer, client, committed)
    plain = _service_token(manager, programme, client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    unknown = hashlib.sha256(b"not ours").hexdigest()
    url = reverse("api:training-check", args=[programme.slug])
    body = {
        "purpose": "cawg.ai_training",
        "hashes": [kept.content_hash, withdrawn.content_hash, unknown],
    }
    answer = api.post(url, body, format="json")
    assert answer.status_code == 200, answer.content
    data = answer.json()
    assert (data["checked"], data["allowed"], data["not_allowed"], data["unknown"]) == (3, 1, 1, 1)
    by_hash = {r["sha256"]: r for r in data["results"]}
    assert by_hash[kept.content_hash]["answer"] == "allowed"
    assert by_hash[kept.content_hash]["use"] == "constrained"
    assert by_hash[kept.content_hash]["consent"]["basis"] == "choice"
    assert by_hash[kept.content_hash]["consent"]["terms_version"] == 1
    assert by_hash[withdrawn.content_hash]["answer"] == "not_allowed"
    assert by_hash[withdrawn.content_hash]["use"] == "notAllowed"
    assert by_hash[unknown] == {
        "sha256": unknown,
        "answer": "unknown",
        "use": None,
        "consent": None,
    }
    # The signed copy the team may hold answers the same as the file as delivered.
    old_copy = withdrawn.consent_entry.credentials.order_by("pk").first().signed_sha256
    copy = api.post(url, {"purpose": "cawg.data_mining", "hashes": [old_copy]}, format="json")
    assert copy.json()["results"][0]["answer"] == "not_allowed"
    page = client.get(programme.get_absolute_url()).content.decode()
    assert "The model team checked 4 files; 2 were not allowed and 1 unknown." in page


def test_the_check_refuses_bad_input_with_a_clear_message(client, programme, manager, settings):
    settings.REQUIRE_STAFF_MFA = False
    plain = _service_token(manager, programme, client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    url = reverse("api:training-check", args=[programme.slug])
    cases = [
        ({"purpose": "cawg.ai_training", "hashes": []}, "hashes"),
        ({"purpose": "cawg.ai_training", "hashes": ["a" * 64] * 10_001}, "hashes"),
        ({"purpose": "cawg.ai_training", "hashes": ["NOT-A-HASH"]}, "hashes"),
        ({"purpose": "eat", "hashes": ["a" * 64]}, "purpose"),
        # Found by schemathesis from outside: an object as the purpose was a 500.
        ({"purpose": {}, "hashes": ["a" * 64]}, "purpose"),
        ({"purpose": ["cawg.ai_training"], "hashes": ["a" * 64]}, "purpose"),
    ]
    for body, field in cases:
        response = api.post(url, body, format="json")
        assert response.status_code == 400 and field in response.json()["field_errors"], body
    assert (
        api.post(
            url, {"purpose": "cawg.ai_training", "hashes": ["a" * 64] * 10_000}, format="json"
        ).status_code
        == 200
    )


def test_a_service_token_can_do_nothing_else(
    client, programme, other_programme, participant, manager, settings
):
    settings.REQUIRE_STAFF_MFA = False  # the manager makes it (their two-factor is not the point)
    token, plain = service_token_create(actor=manager, programme=programme, name="pipeline")
    settings.REQUIRE_STAFF_MFA = True  # the token needs none: it can do nothing else
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    ok = api.post(
        reverse("api:training-check", args=[programme.slug]),
        {"purpose": "cawg.ai_training", "hashes": ["a" * 64]},
        format="json",
    )
    assert ok.status_code == 200
    assert api.get(reverse("api:consent-registry", args=[programme.slug])).status_code == 200
    # Another programme: refused.
    other = api.post(
        reverse("api:training-check", args=[other_programme.slug]),
        {"purpose": "cawg.ai_training", "hashes": ["a" * 64]},
        format="json",
    )
    assert other.status_code == 403 and "another programme" in other.json()["detail"]
    assert api.get(reverse("api:consent-registry", args=[other_programme.slug])).status_code == 403
    # Every other endpoint: 401 with the reason, even the public ones.
    for url in ("/api/v1/programmes/", "/api/v1/tickets/", "/api/v1/submissions/"):
        refused = api.get(url)
        assert refused.status_code == 401, url
        assert "only for the training check" in refused.json()["detail"], url
    assert api.post("/api/v1/tickets/", {"title": "x"}, format="json").status_code == 401
    # HTML pages never read it: it is nobody.
    mine = client.get(reverse("approvals:mine"), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert mine.status_code == 302
    # Revoked: refused.
    settings.REQUIRE_STAFF_MFA = False
    service_token_revoke(actor=manager, token=token)
    gone = api.get(reverse("api:consent-registry", args=[programme.slug]))
    assert gone.status_code == 401 and "revoked" in gone.json()["detail"]


def test_only_a_programmes_managers_make_service_tokens(
    client, programme, reviewer, finance, participant, manager, settings
):
    settings.REQUIRE_STAFF_MFA = False
    url = reverse("api:service_tokens", args=[programme.slug])
    for person in (reviewer, finance, participant):
        client.force_login(person)
        assert client.post(url, {"name": "mine"}).status_code in (403, 404)
    assert not ServiceToken.objects.exists()
    settings.REQUIRE_STAFF_MFA = True
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code in (302, 403) or "two-factor" in response.content.decode()
    assert not ServiceToken.objects.exists()


def test_staff_of_the_programme_may_check_with_their_own_token_others_may_not(
    programme, participant, reviewer, outsider, settings
):
    settings.REQUIRE_STAFF_MFA = False
    body = {"purpose": "cawg.ai_training", "hashes": ["a" * 64]}
    url = reverse("api:training-check", args=[programme.slug])
    for person, status in ((reviewer, 200), (participant, 403), (outsider, 403)):
        api = APIClient()
        api.credentials(
            HTTP_AUTHORIZATION=f"Bearer {token_create(actor=person, name='t', scope='read')[1]}"
        )
        assert api.post(url, body, format="json").status_code == status, person
    assert APIClient().post(url, body, format="json").status_code in (401, 403)


@pytest.mark.django_db(transaction=True)
def test_a_generated_client_checks_files_with_a_service_token(
    live_server, programme, participant, reviewer, manager, tmp_path, settings
):
    """The model team's pipeline, as it would be written: a client generated from the schema,
    a service-account token, allowed, withdrawn and unknown hashes."""
    settings.REQUIRE_STAFF_MFA = False
    from django.test import Client

    kept, withdrawn = _three_outputs(programme, participant, reviewer, Client())
    assert ConsentEntry.objects.count() == 2
    plain = service_token_create(actor=manager, programme=programme, name="pipeline")[1]
    _generate(live_server, tmp_path)
    unknown = hashlib.sha256(b"someone else's").hexdigest()
    script = f"""
from tt_client import AuthenticatedClient
from tt_client.api.v1 import v1_programmes_training_check_create as check
from tt_client.api.v1 import v1_programmes_consent_registry_retrieve as registry
from tt_client.api.v1 import v1_programmes_list as programmes
from tt_client.models import PurposeEnum, TrainingCheckInputRequest

client = AuthenticatedClient(base_url="{live_server.url}", token="{plain}")
body = TrainingCheckInputRequest(
    purpose=PurposeEnum("cawg.ai_generative_training"),
    hashes=["{kept.content_hash}", "{withdrawn.content_hash}", "{unknown}"],
)
result = check.sync(slug="alpha", client=client, body=body)
for row in result.results:
    print(row.sha256[:8], row.answer.value, row.consent.terms_version if row.consent else None)
print("registry", registry.sync_detailed(slug="alpha", client=client).status_code)
print("programmes", programmes.sync_detailed(client=client).status_code)
"""
    run = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[:3] == [
        f"{kept.content_hash[:8]} allowed 1",
        f"{withdrawn.content_hash[:8]} not_allowed 1",
        f"{unknown[:8]} unknown None",
    ]
    assert "registry 200" in lines
    assert "programmes 401" in lines  # it can do nothing else


def test_a_link_output_is_known_by_the_hash_of_its_address(programme, participant, reviewer):
    link = approve(
        approvals.submission_create(
            actor=participant,
            programme=programme,
            title="Link",
            intended_use="social",
            url="https://example.org/film.mp4",
        ),
        reviewer,
    )
    from provenance import selectors

    (row,) = selectors.check(programme, [link.content_hash], "cawg.ai_training")
    assert row["answer"] == "not_allowed"  # the fair terms: no training use


@pytest.mark.postgres
def test_the_fast_lookup_on_postgresql_equals_the_plain_one(
    programme, participant, reviewer, client, django_capture_on_commit_callbacks
):
    import json

    from provenance import selectors

    def committed():
        return django_capture_on_commit_callbacks(execute=True)

    kept, withdrawn = _three_outputs(programme, participant, reviewer, client, committed)
    hashes = [kept.content_hash, withdrawn.content_hash, "b" * 64]
    hashes += list(ConsentEntry.objects.values_list("credentials__signed_sha256", flat=True))
    fast = {
        (h, a, json.dumps(json.loads(c), sort_keys=True), s, u)
        for h, a, c, s, u in selectors._lookup(programme.pk, hashes)
    }
    plain = {
        (h, a, json.dumps(c, sort_keys=True), s.isoformat(), str(u))
        for h, a, c, s, u in selectors.lookup_plain(programme.pk, hashes)
    }
    assert fast == plain and len(fast) == 5


@pytest.mark.postgres
@pytest.mark.parametrize(
    "since",
    [
        "2026-12-07T23:53:13.840950+00:00",  # a trailing zero (`to_json` wrote .84095)
        "2026-12-07T23:53:13.000001+00:00",
        "2026-12-07T23:53:13+00:00",  # no microseconds: isoformat writes none
        "2026-12-08T01:53:13.500000+02:00",  # another zone: the answer is in UTC
    ],
)
def test_the_fast_lookup_writes_times_as_python_does(since, db):
    import datetime

    from django.db import connection

    from provenance import selectors

    value = datetime.datetime.fromisoformat(since)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {selectors._ISO_SINCE} FROM (SELECT %s::timestamptz AS since) AS t", [since]
        )
        (text,) = cursor.fetchone()
    assert text == value.astimezone(datetime.UTC).isoformat()
