"""Personal API tokens, scopes, rate limits and JSON errors."""

import re

from api.models import ApiToken


def test_a_token_is_created_in_the_portal_shown_once_and_stored_hashed(participant, as_user):
    client = as_user(participant)
    page = client.post("/portal/tokens/", {"name": "my script", "scope": "read"}).content.decode()
    plain = re.search(r'id="new-token">(tt_[^<]+)<', page).group(1)
    token = ApiToken.objects.get(user=participant)
    assert plain not in (token.key_hash, token.prefix) and len(token.key_hash) == 64
    assert plain not in client.get("/portal/tokens/").content.decode()


def test_a_token_authenticates_and_a_revoked_one_does_not(participant, as_user, client):
    from rest_framework.test import APIClient

    page = (
        as_user(participant)
        .post("/portal/tokens/", {"name": "s", "scope": "read"})
        .content.decode()
    )
    plain = re.search(r'id="new-token">(tt_[^<]+)<', page).group(1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert api.get("/api/v1/programmes/alpha/access/").json()["active"] is True
    token = ApiToken.objects.get(user=participant)
    as_user(participant).post("/portal/tokens/", {"revoke": token.pk})
    response = api.get("/api/v1/programmes/alpha/access/")
    assert (
        response.status_code == 401 and response.json()["detail"] == "This API token was revoked."
    )


def test_a_wrong_token_is_refused_with_json(db, api):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer tt_nothing_here")
    response = client.get("/api/v1/programmes/")
    assert response.status_code == 401
    assert response.json() == {
        "detail": "This API token is not valid.",
        "code": "authentication_failed",
        "field_errors": {},
    }


def test_a_read_only_token_cannot_write(participant, programme, api):
    response = api(participant, scope="read").post(
        "/api/v1/programmes/alpha/consent/",
        {"terms_version": 1, "terms_hash": "0" * 64},
        format="json",
    )
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_errors_are_json_with_field_errors(participant, programme, api):
    client = api(participant)
    missing = client.get("/api/v1/programmes/nope/")
    assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    bad = client.post("/api/v1/programmes/alpha/consent/", {"terms_version": "x"}, format="json")
    body = bad.json()
    assert bad.status_code == 400 and set(body["field_errors"]) == {"terms_version", "terms_hash"}
    wrong_hash = client.post(
        "/api/v1/programmes/alpha/consent/",
        {"terms_version": 1, "terms_hash": "0" * 64},
        format="json",
    )
    # The rules refuse it in the current state (other terms are in force): 409, not 400.
    assert wrong_hash.status_code == 409 and "not these terms" in wrong_hash.json()["detail"]


def test_rate_limits_apply_per_token(participant, programme, api, settings, monkeypatch):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    from core import ratelimit

    monkeypatch.setattr(ratelimit, "_now", lambda: 1_800_000_001.0)  # one window

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "token": "5/min"}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    try:
        first, second = api(participant), api(participant)
        codes = [first.get("/api/v1/programmes/").status_code for _ in range(7)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
        assert second.get("/api/v1/programmes/").status_code == 200  # another token, its own budget
    finally:
        SimpleRateThrottle.THROTTLE_RATES = original


def test_the_schema_and_the_docs_are_served_from_installed_packages(client, db):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/programmes/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert not re.search(r'(src|href)="https?://', docs)
