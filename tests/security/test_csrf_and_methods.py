"""Every state-changing page refuses a POST without a CSRF token, and GET changes nothing."""

from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from core.models import OutboxMessage
from tests.conftest import summarise

from .test_authorization_matrix import RULES, _kwargs, _named_routes

# POSTs that no session makes, so no CSRF token can protect: the credential is in the body.
# A witness hands back a cosignature, kept only when it verifies with a known witness key.
NO_SESSION = {"audit:cosignatures"}


def _post_routes():
    return [(n, p) for n, p in _named_routes() if n in RULES and RULES[n][0] == "POST"]


def test_every_route_refuses_a_post_without_a_csrf_token(world, settings):
    """Forms and POST-only actions alike: 403 (or 405 where POST means nothing), nothing changed."""
    settings.REQUIRE_STAFF_MFA = False
    tried = 0
    for name, pattern in [(n, p) for n, p in _named_routes() if n in RULES and n not in NO_SESSION]:
        allowed = (RULES[name][1] - {"anonymous"}) or {"participant"}
        persona = "manager" if "manager" in allowed else sorted(allowed)[0]
        client = Client(enforce_csrf_checks=True)
        client.force_login(world["people"][persona])
        events = AuditEvent.objects.count()
        response = client.post(reverse(name, kwargs=_kwargs(name, pattern, world)), {"reason": "x"})
        tried += 1
        assert response.status_code in (403, 405), f"{name} accepted a POST without a CSRF token"
        assert AuditEvent.objects.count() == events
    summarise(inputs=tried)
    print(f"\nFIGURE csrf: {tried} routes refuse a POST without a token (403/405)")
    assert tried >= 40


def test_get_on_a_state_changing_route_changes_nothing(world, settings, client):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(world["people"]["manager"])
    events, mails = AuditEvent.objects.count(), OutboxMessage.objects.count()
    for name, pattern in _post_routes():
        response = client.get(reverse(name, kwargs=_kwargs(name, pattern, world)))
        assert response.status_code in (302, 403, 404, 405), name
    assert (AuditEvent.objects.count(), OutboxMessage.objects.count()) == (events, mails)


def test_forms_with_a_token_still_work(participant, programme, client):
    """The same pages accept the POST a browser sends (token from the page)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(participant)
    page = client.get(f"/portal/programmes/{programme.slug}/")
    token = page.cookies["csrftoken"].value
    response = client.post(
        f"/portal/programmes/{programme.slug}/withdraw/",
        {"reason": "bye", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
