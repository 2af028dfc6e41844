"""Security events are in the audit chain with the person as subject, and that person reads
them on /audit/mine/: log-in, a burst of failed log-ins, two-factor set up and removed,
API tokens created and revoked, staff roles granted and revoked."""

import re

from allauth.mfa.totp.internal.auth import (
    SECRET_SESSION_KEY,
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail

from api.models import ApiToken
from audit.models import AuditEvent
from audit.selectors import verify_log
from programs.models import ProgrammeRole


def _mine(client) -> str:
    return client.get("/audit/mine/").content.decode()


def test_a_log_in_is_an_event_the_person_sees(client, participant):
    client.post("/accounts/login/", {"login": participant.email, "password": "demo-pass-2024"})
    event = AuditEvent.objects.get(action="accounts.login")
    assert event.subject == participant and event.actor == participant
    assert "accounts.login" in _mine(client)


def test_a_burst_of_failed_log_ins_is_recorded_once_for_the_account(client, participant):
    for i in range(9):
        client.defaults["REMOTE_ADDR"] = f"198.51.100.{i}"
        client.post("/accounts/login/", {"login": participant.email, "password": f"nope-{i}"})
    events = AuditEvent.objects.filter(action="accounts.login.locked")
    assert events.count() == 1 and events.get().subject == participant
    assert events.get().data_json.count("198.51.100.") == 1
    client.defaults["REMOTE_ADDR"] = "127.0.0.1"
    client.force_login(participant)
    assert "accounts.login.locked" in _mine(client)


def test_setting_up_and_removing_two_factor_are_events(
    client, participant, django_capture_on_commit_callbacks
):
    client.post("/accounts/login/", {"login": participant.email, "password": "demo-pass-2024"})
    with django_capture_on_commit_callbacks(execute=True):
        client.get("/accounts/2fa/totp/activate/")
    code = re.search(r"Your code is (\d{6})", mail.outbox[-1].body).group(1)
    right = client.post("/accounts/2fa/totp/activate/", {"email_code": code}, follow=True)
    client.post(right.redirect_chain[-1][0], {"password": "demo-pass-2024"}, follow=True)
    secret = client.session[SECRET_SESSION_KEY]
    totp = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        client.post("/accounts/2fa/totp/activate/", {"code": totp})
    assert AuditEvent.objects.filter(
        action="accounts.two_factor.added", subject=participant
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/2fa/totp/deactivate/", {})
    assert AuditEvent.objects.filter(
        action="accounts.two_factor.removed", subject=participant
    ).exists()
    page = _mine(client)
    assert "accounts.two_factor.added" in page and "accounts.two_factor.removed" in page


def test_creating_and_revoking_a_token_are_events(client, participant):
    client.force_login(participant)
    client.post("/portal/tokens/", {"name": "laptop", "scope": "read"})
    token = ApiToken.objects.get(user=participant)
    client.post("/portal/tokens/", {"revoke": token.pk})
    client.post("/portal/tokens/", {"revoke": token.pk})  # twice: one event
    actions = list(
        AuditEvent.objects.filter(subject=participant, action__startswith="api.token.")
        .order_by("seq")
        .values_list("action", flat=True)
    )
    assert actions == ["api.token.created", "api.token.revoked"]
    page = _mine(client)
    assert "api.token.created" in page and "api.token.revoked" in page


def test_granting_and_revoking_a_role_are_events_the_person_sees(
    client, manager, participant2, programme, settings
):
    settings.REQUIRE_STAFF_MFA = False
    client.force_login(manager)
    client.post(
        f"/staff/programmes/{programme.slug}/roles/",
        {"email": participant2.email, "role": "reviewer"},
    )
    role = ProgrammeRole.objects.get(user=participant2)
    client.post(f"/staff/programmes/{programme.slug}/roles/{role.pk}/revoke/")
    client.force_login(participant2)
    page = _mine(client)
    assert "programs.role.granted" in page and "programs.role.revoked" in page
    assert verify_log(records=False).ok
