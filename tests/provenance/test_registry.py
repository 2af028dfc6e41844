"""The consent registry: a JSON document that validates against its versioned schema, signed as
a C2SP signed note with the audit signing key, served with ETags and `since`; TDMRep headers and
/.well-known/tdmrep.json say the same; the training-data summary is generated from it."""

import base64
import hashlib
import json
from pathlib import Path

import jsonschema
import pytest
import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.urls import reverse

from audit import keys, signednote
from provenance import registry

from .conftest import approve, png_bytes, submit_file

SCHEMA = json.loads(
    (
        Path(__file__).resolve().parents[2] / "provenance/schemas/consent-registry-v1.schema.json"
    ).read_text()
)


def _validate(doc: dict) -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def _verify_by_hand(doc: dict) -> bool:
    """What a model team does, with nothing of ours: the verifier key from the published audit
    key, RFC 8785 of the document without `signature`, the note's signature line."""
    name, kid_hex, encoded = doc["signature"]["verifier_key"].split("+", 2)
    raw = base64.b64decode(encoded)
    assert raw[0] == 1  # Ed25519
    public = Ed25519PublicKey.from_public_bytes(raw[1:])
    assert hashlib.sha256(name.encode() + b"\n\x01" + raw[1:]).digest()[:4].hex() == kid_hex
    text = rfc8785.dumps({k: v for k, v in doc.items() if k != "signature"}) + b"\n"
    (line,) = doc["signature"]["lines"]
    dash, key_name, signature = line.split(" ")
    assert dash == "\u2014" and key_name == name
    signature = base64.b64decode(signature)
    assert signature[:4].hex() == kid_hex
    try:
        public.verify(signature[4:], text)
    except Exception:  # noqa: BLE001 - any failure is "does not verify"
        return False
    return True


@pytest.fixture
def two_outputs(programme, participant, reviewer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        file_output = approve(
            submit_file(participant, programme, png_bytes(), "still.png", "image/png"), reviewer
        )
        from approvals import services as approvals

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
    return file_output, link


def test_the_registry_validates_against_its_schema_and_its_signature_verifies(
    client, programme, two_outputs
):
    file_output, link = two_outputs
    response = client.get(reverse("provenance:registry", args=[programme.slug]))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    doc = response.json()
    _validate(doc)
    assert doc["complete"] and doc["entries_total"] == 2
    by_hash = {e["sha256"]: e for e in doc["entries"]}
    entry = by_hash[file_output.content_hash]
    assert entry["kind"] == "file" and entry["credential"]["status"] == "signed"
    assert entry["credential"]["manifest"].startswith("urn:c2pa:")
    assert entry["permissions"]["cawg.ai_training"]["use"] == "notAllowed"
    assert entry["consent"]["terms_version"] == 1 and entry["consent"]["basis"] == "terms"
    assert by_hash[link.content_hash]["kind"] == "url"
    assert by_hash[link.content_hash]["credential"] is None
    # The published key: the audit signing key's, under the signed-note key name.
    published = keys.signing_key()[1].public_key()
    assert doc["signature"]["verifier_key"] == signednote.verifier_key(
        signednote.key_name(), published
    )
    assert registry.verify(doc) and _verify_by_hand(doc)
    # Change anything, and it no longer verifies.
    doc["entries"][0]["training_allowed"] = not doc["entries"][0]["training_allowed"]
    assert not registry.verify(doc) and not _verify_by_hand(doc)


def test_a_withdrawal_is_a_revocation_from_its_date_and_since_reads_only_what_changed(
    client, programme, per_output, participant, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(participant)
    first = submit_file(participant, programme, png_bytes(), "a.png", "image/png", title="A")
    second = submit_file(
        participant, programme, png_bytes((0, 90, 0)), "b.png", "image/png", title="B"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for s in (first, second):
            client.post(reverse("publicity:training", args=[s.pk]), {"allowed": "yes"})
            approve(s, reviewer)
    url = reverse("provenance:registry", args=[programme.slug])
    before = client.get(url)
    doc = before.json()
    assert {e["training_allowed"] for e in doc["entries"]} == {True}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity:training", args=[first.pk]), {"allowed": "no"})

    # Unchanged copy: 304 with the ETag; changed: the new document.
    assert client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code in (200,)
    now = client.get(url)
    assert now["ETag"] != before["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=now["ETag"]).status_code == 304

    delta = client.get(url, {"since": doc["as_of"]}).json()
    _validate(delta)
    assert registry.verify(delta) and not delta["complete"]
    assert [e["sha256"] for e in delta["entries"]] == [first.content_hash]
    (revocation,) = delta["entries"][0]["revocations"]
    assert revocation["purposes"] == list(delta["purposes"])
    assert revocation["at"] > doc["as_of"] and revocation["consent"]["basis"] == "choice"
    assert delta["entries"][0]["superseded_credentials"][0]["training_allowed"] is True


def test_a_since_that_is_not_a_time_is_a_400_that_says_so(client, programme):
    response = client.get(reverse("provenance:registry", args=[programme.slug]), {"since": "x"})
    assert response.status_code == 400 and "ISO 8601" in response.json()["detail"]
    api = client.get(reverse("api:consent-registry", args=[programme.slug]), {"since": "x"})
    assert api.status_code == 400 and "since" in api.json()["field_errors"]
    # The API's schema says date-time: an empty `since` is refused there (schemathesis found
    # it accepted), while the page's form treats an empty box as "from the start".
    empty = client.get(reverse("api:consent-registry", args=[programme.slug]), {"since": ""})
    assert empty.status_code == 400 and "Leave `since` out" in str(empty.json()["field_errors"])


def test_the_api_serves_the_same_signed_registry_with_etags(client, programme, two_outputs):
    page = client.get(reverse("provenance:registry", args=[programme.slug]))
    api = client.get(reverse("api:consent-registry", args=[programme.slug]))
    assert api.status_code == 200 and api.json() == page.json()
    assert api["ETag"] == page["ETag"]
    again = client.get(
        reverse("api:consent-registry", args=[programme.slug]), HTTP_IF_NONE_MATCH=api["ETag"]
    )
    assert again.status_code == 304


def test_a_draft_programmes_registry_is_not_public(client, programme):
    programme.status = "draft"
    programme.save()
    assert client.get(reverse("provenance:registry", args=[programme.slug])).status_code == 404


def test_tdmrep_headers_are_on_public_pages_and_files_and_the_well_known_file_says_the_same(
    client, programme, two_outputs
):
    file_output, _ = two_outputs
    policy = client.get(reverse("provenance:tdmrep")).json()
    assert policy == [
        {"location": "/*", "tdm-reservation": 1, "tdm-policy": policy[0]["tdm-policy"]}
    ]
    assert policy[0]["tdm-policy"].endswith(reverse("provenance:tdm_policy"))
    for url in (
        programme.get_absolute_url(),
        reverse("approvals:verify", args=[file_output.verify_token]),
        reverse("provenance:registry", args=[programme.slug]),
        reverse("transparency:figures_csv", args=[programme.slug]),
    ):
        response = client.get(url)
        assert response["tdm-reservation"] == "1", url
        assert response["tdm-policy"] == policy[0]["tdm-policy"], url
    client.force_login(file_output.participant)
    download = client.get(reverse("provenance:signed_file", args=[file_output.consent_entry.pk]))
    assert download["tdm-reservation"] == "1"
    odrl = client.get(reverse("provenance:tdm_policy")).json()
    assert odrl["profile"] == "http://www.w3.org/ns/tdmrep"
    assert odrl["permission"][0]["action"] == "tdm:mine"


def test_the_training_data_summary_follows_the_ai_office_template_and_is_generated_from_the_registry(
    client, programme, per_output, participant, reviewer, django_capture_on_commit_callbacks
):
    client.force_login(participant)
    allowed = submit_file(participant, programme, png_bytes(), "a.png", "image/png", title="A")
    refused = submit_file(participant, programme, png_bytes((1, 2, 3)), "b.png", "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("publicity:training", args=[allowed.pk]), {"allowed": "yes"})
        approve(allowed, reviewer)
        approve(refused, reviewer)
    client.logout()
    summary = client.get(reverse("provenance:summary_json", args=[programme.slug])).json()
    general = summary["1_general_information"]
    assert general["1_3_modalities"]["image"]["count"] == 1
    assert general["1_3_modalities"]["image"]["size_range"]["smallest_bytes"] > 0
    sources = summary["2_data_sources"]["2_2_private_datasets_from_third_parties"]
    assert sources["outputs_in_registry"] == 2 and sources["outputs_allowed_for_training"] == 1
    assert "TDMRep" in summary["3_data_processing"]["3_1_respect_of_reservations_of_rights"]["how"]
    page = client.get(reverse("provenance:summary", args=[programme.slug]))
    assert (
        page.status_code == 200 and "3.1 Respect of reservations of rights" in page.content.decode()
    )


def test_the_schema_is_served(client):
    response = client.get(reverse("provenance:schema"))
    assert response.json()["$id"] == SCHEMA["$id"]
