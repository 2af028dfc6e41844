"""Every page and endpoint × every persona, generated from the URLconf.

Each named route must have a rule below saying who may use it; a route without
one fails the test, so a new endpoint cannot be missed. A *leak* is a persona
getting a success where the rule says no. Objects in URLs belong to
`participant` in programme `alpha`, so the other personas probe other people's
records.

The API is covered twice: its routes are in the URLconf (one rule each, above), and every
operation of the OpenAPI schema (`/api/schema/`, path × method) must have a rule too; the
write operations (POSTs that create records) are probed with a valid body as every persona,
so a success by someone not in the rule is a leak.

Two more personas found the holes the policy redesign closed, and probe every route,
every API write and every download again:
- staff without two-factor (REQUIRE_STAFF_MFA on): the reviewer, finance and manager
  reach only what an anonymous visitor reaches, by session and by token;
- a participant holding every staff role in the same programme: the objects in the URLs
  are their own, so every staff action on them must fail.

Figure: pairs tried, leaks (must be 0).
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from participants.models import Participation
from participants.services import invitations_create
from tests.conftest import summarise

pytestmark = pytest.mark.authz

PERSONAS = [
    "anonymous",
    "participant",
    "participant2",
    "outsider",
    "reviewer",
    "other_reviewer",
    "finance",
    "manager",
]
EVERYONE = set(PERSONAS)
SIGNED_IN = EVERYONE - {"anonymous"}
OWNER = {"participant"}
MEMBERS = {"participant", "participant2"}
MANAGERS = {"manager"}
REVIEWERS = {"reviewer", "other_reviewer", "manager"}  # page-level: a reviewer role anywhere
FINANCE = {"finance", "manager"}
MANAGER_ANYWHERE = {"manager"}
STAFF_ANYWHERE = {"reviewer", "other_reviewer", "finance", "manager"}
NOBODY = set()

# Routes that are not ours to classify (third-party screens with their own tests).
SKIP_PREFIXES = ("admin:", "account_", "mfa_", "socialaccount", "usersessions", "headless")

# name: (method, allowed personas). Object ids and slugs come from `_kwargs`.
RULES = {
    "home": ("GET", EVERYONE),
    "healthz": ("GET", EVERYONE),
    "healthz_ready": ("GET", NOBODY),  # the metrics' token or networks, never a person
    "metrics": ("GET", NOBODY),
    "session_check": ("GET", SIGNED_IN),
    "my_notifications": ("GET", SIGNED_IN),
    "set_language": ("POST", EVERYONE),  # the language menu: a cookie, and one's own setting
    "audit:mine": ("GET", SIGNED_IN),
    "audit:checkpoints": ("GET", EVERYONE),
    "audit:proof": ("GET", OWNER),  # the person it is about
    "audit:receipt": ("GET", OWNER),
    "audit:consistency": ("GET", NOBODY),  # JSON; without from and to a 400 for everyone
    "audit:cosignatures": ("POST", NOBODY),  # an empty cosignature is a 400 for everyone
    "programs:list": ("GET", EVERYONE),
    "transparency:detail": ("GET", EVERYONE),
    "programs:terms": ("GET", EVERYONE),
    "programs:diff": ("GET", EVERYONE),
    "transparency:compare": ("GET", EVERYONE),
    "transparency:figures_json": ("GET", EVERYONE),
    "transparency:figures_csv": ("GET", EVERYONE),
    "portal:home": ("GET", SIGNED_IN),
    "participants:invitation": ("GET", EVERYONE),  # whoever holds the link may read it
    "participants:programme": ("GET", MEMBERS),
    "participants:consent": ("GET", MEMBERS),
    "participants:apply": ("GET", SIGNED_IN),
    "participants:withdraw": ("POST", MEMBERS),
    "api:tokens": ("GET", SIGNED_IN),
    "portal:my_data": ("GET", SIGNED_IN),
    "staff:home": ("GET", STAFF_ANYWHERE),
    "programs:staff_programme_new": ("GET", MANAGER_ANYWHERE),
    "programs:staff_programme": ("GET", MANAGERS),
    "programs:staff_settings": ("POST", MANAGERS),
    "programs:staff_threshold_confirm": ("POST", NOBODY),  # no such change: 404 for everyone
    "programs:staff_status": ("POST", MANAGERS),
    "programs:staff_terms": ("GET", MANAGERS),
    "programs:staff_terms_new": ("POST", MANAGERS),
    "programs:staff_terms_edit": ("GET", MANAGERS),
    "programs:staff_terms_editorial": ("GET", MANAGERS),
    "programs:staff_terms_translate": ("GET", MANAGERS),
    "participants:staff_participants": ("GET", MANAGERS),
    "participants:staff_participant_action": ("POST", MANAGERS),
    "participants:staff_invitations": ("GET", MANAGERS),
    "participants:staff_invitations_csv": ("POST", NOBODY),  # an empty upload is a 400
    "participants:staff_invitation_resend": ("POST", MANAGERS),
    "participants:staff_invitation_extend": ("POST", MANAGERS),
    "participants:staff_invitation_revoke": ("POST", MANAGERS),
    "participants:staff_applications": ("GET", MANAGERS),
    "participants:staff_application_decide": ("POST", MANAGERS),
    "participants:pauses": ("GET", MANAGERS),
    "participants:pause_end": ("POST", MANAGERS),
    "programs:staff_roles": ("GET", MANAGERS),
    "programs:staff_role_revoke": ("POST", MANAGERS),
    "integrations:webhooks": ("GET", MANAGERS),
    "approvals:queue": ("GET", REVIEWERS),
    "staff:decided": ("GET", REVIEWERS),
    "staff:programme_audit": ("GET", MANAGERS),
    "staff:programme_audit_csv": ("GET", MANAGERS),
    "approvals:detail": ("GET", {"reviewer", "manager"}),
    "approvals:claim": ("POST", {"reviewer", "manager"}),
    "approvals:release": ("POST", {"reviewer", "manager"}),
    "approvals:decide": ("POST", NOBODY),  # an empty decision is a 400 for everyone
    "approvals:bulk_approve": ("POST", REVIEWERS),
    "approvals:reasons": ("GET", MANAGER_ANYWHERE),
    "approvals:reason_toggle": ("POST", MANAGERS),
    "approvals:mine": ("GET", SIGNED_IN),
    "approvals:submit": ("GET", SIGNED_IN),
    "approvals:output": ("GET", OWNER),
    "approvals:resubmit": ("GET", OWNER),
    "approvals:withdraw": ("POST", OWNER),
    "approvals:appeal": ("POST", OWNER),
    "approvals:file": ("GET", {"participant", "reviewer", "manager"}),
    "approvals:thumbnail": ("GET", {"participant", "reviewer", "manager"}),
    "approvals:preview": ("GET", {"reviewer", "manager"}),  # never its own participant
    "approvals:verify": ("GET", NOBODY),  # an unknown token is 404 for everyone
    "compensation:home": ("GET", FINANCE),
    "compensation:entries": ("GET", FINANCE),
    "compensation:entries_csv": ("GET", FINANCE),
    "compensation:entry": ("GET", FINANCE),
    "compensation:entries_approve": ("POST", FINANCE),
    "compensation:entry_approve": ("POST", FINANCE),
    "compensation:accrue_now": ("POST", FINANCE),
    "compensation:award_new": ("GET", MANAGERS),
    "compensation:batch_new": ("GET", {"finance"}),
    "compensation:batch": ("GET", FINANCE),
    "compensation:batch_download": ("GET", FINANCE),
    "compensation:batch_retry": ("POST", {"finance"}),
    "compensation:batch_paid": ("POST", NOBODY),  # an empty POST is a 400 for everyone
    "compensation:batch_reconcile": ("POST", NOBODY),
    "compensation:batch_statement": ("POST", NOBODY),  # an empty POST is a 400 for everyone
    "compensation:import_match": ("POST", NOBODY),  # no such import: 404 for everyone
    "compensation:tax_statuses": ("GET", {"finance"}),
    "compensation:rates": ("GET", {"finance"}),
    "compensation:tax_status": ("GET", {"finance"}),
    "compensation:tax_document": ("GET", {"finance"}),
    "compensation:payout_details": ("GET", SIGNED_IN),
    "compensation:tax_form": ("GET", MEMBERS),
    "compensation:statement": ("GET", SIGNED_IN),
    "compensation:statement_csv": ("GET", SIGNED_IN),
    "feedback:mine": ("GET", SIGNED_IN),
    "feedback:new": ("GET", SIGNED_IN),
    "feedback:similar": ("GET", NOBODY),  # JSON; without a programme of yours a 400 for everyone
    "labour:mine": ("GET", SIGNED_IN),
    "feedback:detail": ("GET", {"participant", "reviewer", "manager"}),
    "feedback:attachment": ("GET", {"participant", "reviewer", "manager"}),
    "labour:edit": ("GET", OWNER),
    "feedback:comment": ("POST", {"participant", "reviewer", "manager"}),
    "feedback:status": ("POST", {"reviewer", "manager"}),
    "feedback:assign": ("POST", {"reviewer", "manager"}),
    "feedback:triage_bulk": ("POST", REVIEWERS),
    "labour:review": ("POST", REVIEWERS),
    "feedback:triage": ("GET", REVIEWERS),
    "labour:queue": ("GET", REVIEWERS),
    "recourse:mine": ("GET", SIGNED_IN),
    "recourse:open": ("GET", STAFF_ANYWHERE),
    "recourse:new_ticket": ("GET", OWNER),
    "recourse:new_hours": ("GET", OWNER),
    "recourse:new_pay": ("GET", OWNER),
    "recourse:new_result": ("GET", OWNER),
    "recourse:new_fee": ("GET", OWNER),
    "recourse:new_line": ("GET", OWNER),
    "recourse:new_award": ("GET", OWNER),
    "recourse:reasons": ("GET", MANAGER_ANYWHERE),
    "recourse:reason_toggle": ("POST", MANAGERS),
    "recourse:detail": ("GET", {"participant", "reviewer", "finance", "manager"}),
    "api:schema": ("GET", EVERYONE),
    "api:docs": ("GET", EVERYONE),
    "api:programmes": ("GET", EVERYONE),
    "api:programme": ("GET", EVERYONE),
    "api:terms": ("GET", EVERYONE),
    "api:terms-diff": ("GET", EVERYONE),
    "api:terms-version": ("GET", EVERYONE),
    "api:consent": ("POST", NOBODY),  # an empty body is a 400 for everyone signed in
    "api:access": (
        "GET",
        MEMBERS | {"outsider", "reviewer", "other_reviewer", "finance", "manager"},
    ),
    "api:figures": ("GET", EVERYONE),
    "api:tickets": ("GET", SIGNED_IN),
    "api:contests": ("GET", SIGNED_IN),
    "api:contest": ("GET", {"participant", "reviewer", "finance", "manager"}),
    "api:contest-answer": ("POST", NOBODY),  # an empty answer is a 400 for everyone
    "api:ticket": ("GET", {"participant", "reviewer", "manager"}),
    "api:ticket-comments": ("GET", {"participant", "reviewer", "manager"}),
    "api:time-entries": ("GET", SIGNED_IN),
    "api:submissions": ("GET", SIGNED_IN),
    "api:submission": ("GET", {"participant", "reviewer", "manager"}),
    "api:submission-claim": ("POST", {"reviewer", "manager"}),
    "api:submission-decide": ("POST", NOBODY),  # an empty decision is a 400 for everyone
    "api:ledger-entries": ("GET", SIGNED_IN),
    "api:batches": ("GET", SIGNED_IN),
    "api:batch": ("GET", FINANCE),
    "api:batch-download": ("GET", FINANCE),
    "api:batch-imports": ("GET", FINANCE),
    "api:ledger-entries-approve": ("POST", NOBODY),  # an empty POST is a 400 for everyone
    "api:threshold-changes": ("GET", MANAGERS),
    "api:threshold-change-confirm": ("POST", NOBODY),  # no such change: 404 for everyone
    "api:batch-mark-paid": ("POST", NOBODY),  # an empty POST is a 400 for everyone
    "api:bank-import-match": ("POST", NOBODY),  # an empty POST is a 400 for everyone
    "api:promotional-uses": ("GET", SIGNED_IN),
    "api:promotional-use-answer": ("POST", NOBODY),  # an empty answer is a 400 for everyone
    "api:training": ("GET", SIGNED_IN),  # the outputs each person may see, nobody else's
    "api:competitions": ("GET", EVERYONE),
    "api:competition-entries": ("POST", NOBODY),  # an empty entry is a 400 for everyone
    "api:competition-results": ("POST", NOBODY),  # an empty result is a 400 for everyone
    "publicity:uses": ("GET", SIGNED_IN),
    "publicity:use_answer": ("POST", NOBODY),  # an empty answer is a 400 for everyone
    "publicity:use_request": ("GET", MANAGERS),
    "publicity:training": ("POST", NOBODY),  # an empty choice is a 400 for everyone
    "publicity:training_default": ("GET", MEMBERS),
    "publicity:credit_name": ("GET", MEMBERS),
    "publicity:competitions": ("GET", EVERYONE),
    "publicity:competition_new": ("GET", MANAGERS),
    "publicity:competition": ("GET", EVERYONE),
    "publicity:competition_enter": ("POST", NOBODY),  # an empty entry is a 400 for everyone
    "publicity:competition_withdraw": ("POST", NOBODY),  # an empty form is a 400 for everyone
    "publicity:competition_results": ("POST", {"reviewer", "manager"}),
    "provenance:registry": ("GET", EVERYONE),
    "provenance:summary": ("GET", EVERYONE),
    "provenance:summary_json": ("GET", EVERYONE),
    "provenance:schema": ("GET", EVERYONE),
    "provenance:tdmrep": ("GET", EVERYONE),
    "provenance:tdm_policy": ("GET", EVERYONE),
    "provenance:signed_file": ("GET", {"participant", "reviewer", "manager"}),
    "api:service_tokens": ("GET", MANAGERS),
    "api:training-check": ("POST", NOBODY),  # an empty check is a 400 for everyone
    "api:consent-registry": ("GET", EVERYONE),
}

TINY_PNG_HEX = (  # a real 1×1 PNG: images are re-encoded on upload
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


def _named_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{entry.namespace}:" if entry.namespace else ""
            yield from _named_routes(entry, prefix + namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            yield prefix + entry.name, entry


@pytest.fixture
def world(
    settings,
    tmp_path,
    programme,
    other_programme,
    participant,
    participant2,
    outsider,
    reviewer,
    other_reviewer,
    finance,
    manager,
):
    """Records of `participant` in `alpha` that object URLs point at."""
    settings.MEDIA_ROOT = tmp_path / "media"
    from programs import services as programme_services

    participation = Participation.objects.get(user=participant, programme=programme)
    invitation = invitations_create(
        actor=manager, programme=programme, emails=["someone@example.com"]
    )[0]
    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    from participants.services import application_submit, pause_start
    from programs.models import Programme
    from tests.factories import UserFactory

    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.OPEN)
    programme.refresh_from_db()
    applicant = UserFactory(email="applicant@example.com")
    application = application_submit(actor=applicant, programme=programme, motivation="Let me in")
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.RUNNING)
    programme.refresh_from_db()
    from programs.models import ProgrammeRole
    from tests.factories import make_staff

    beta_manager = make_staff(
        other_programme, ProgrammeRole.Role.MANAGER, email="beta-manager@example.com"
    )
    pause = pause_start(actor=beta_manager, programme=other_programme, reason="Test pause")
    role = manager.programme_roles.get(programme=programme)
    from approvals import services as approval_services

    submission = approval_services.submission_create(
        actor=participant,
        programme=programme,
        title="Matrix output",
        intended_use="social",
        url="https://example.org/matrix.mp4",
    )
    reasons = approval_services.reason_codes_add_defaults(actor=manager, programme=programme)
    from django.core.files.uploadedfile import SimpleUploadedFile

    file_output = approval_services.submission_create(
        actor=participant,
        programme=programme,
        title="Matrix file",
        intended_use="social",
        upload=SimpleUploadedFile(
            "still.png",
            bytes.fromhex(TINY_PNG_HEX),
            content_type="image/png",
        ),
    )
    from django.utils import timezone

    from feedback import services as feedback_services
    from labour import services as labour_services

    png = bytes.fromhex(TINY_PNG_HEX)
    ticket = feedback_services.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Matrix bug",
        description="It breaks",
        severity="high",
        attachments=[SimpleUploadedFile("shot.png", png, content_type="image/png")],
    )
    time_entry = labour_services.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=60,
        activity="testing",
    )
    from recourse import services as recourse

    contested = feedback_services.ticket_file(
        actor=participant, programme=programme, kind="feedback", title="Closed", description="x"
    )
    feedback_services.ticket_set_status(actor=reviewer, ticket=contested, status="wont_fix")
    contest = recourse.contest_open(
        actor=participant, ticket=contested, reason="other", text="It matters."
    )
    from decimal import Decimal

    from compensation import services as pay

    ledger_entry = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount=Decimal("5.00"),
        currency="EUR",
        reason="Matrix prize",
    )
    pay.entries_approve(actor=finance, entry_ids=[ledger_entry.pk])
    # Publicity: terms that allow promotion with consent and training per output, an approved
    # output of the participant, a use asked of them and a competition.
    from programs.models import TermsVersion
    from publicity import services as publicity

    TermsVersion.objects.filter(programme=programme, number=1).update(
        promotional_use="consent", promotion_credit="unnamed", training_use="per_output"
    )
    shown = approval_services.submission_create(
        actor=participant,
        programme=programme,
        title="Matrix shown",
        intended_use="social",
        url="https://example.org/matrix-shown.mp4",
    )
    approval_services.submission_claim(actor=reviewer, submission=shown)
    approval_services.submission_decide(actor=reviewer, submission=shown, outcome="approved")
    # An approved file with its signed copy (signed here: the test's transaction never commits).
    from provenance import services as provenance_services
    from provenance.models import Credential

    signed = approval_services.submission_create(
        actor=participant,
        programme=programme,
        title="Matrix signed",
        intended_use="social",
        upload=SimpleUploadedFile(
            "signed.png", bytes.fromhex(TINY_PNG_HEX), content_type="image/png"
        ),
    )
    approval_services.submission_claim(actor=reviewer, submission=signed)
    approval_services.submission_decide(actor=reviewer, submission=signed, outcome="approved")
    credential = Credential.objects.get(entry__submission=signed)
    assert provenance_services.credential_sign(credential_id=credential.pk) == "signed"
    use = publicity.use_request(
        actor=manager,
        submission=shown,
        channel="press",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        territory="EU",
    )
    competition = publicity.competition_create(
        actor=manager,
        programme=programme,
        title="Matrix competition",
        criteria="c",
        prize_count=1,
        prize_amount="1.00",
        judges="reviewers",
        entry_deadline=timezone.now() + timedelta(days=1),
        results_by=timezone.now() + timedelta(days=2),
    )
    entry = publicity.competition_enter(
        actor=participant, competition=competition, submission=shown
    )
    batch = pay.batch_create(
        actor=finance,
        programmes=[programme],
        currency="EUR",
        period_start=timezone.localdate() - timedelta(days=30),
        period_end=timezone.localdate(),
    )
    from compensation.models import PayoutBatch, PayoutLine
    from recourse.models import ContestReason

    contest_reason = ContestReason.objects.create(programme=programme, code="m", label="Matrix")

    # An earlier batch, paid but for the participant's line, which the provider refused
    # (the page to contest it; the batch above stays as it is).
    earlier = PayoutBatch.objects.create(
        currency="EUR",
        period_start=timezone.localdate() - timedelta(days=60),
        period_end=timezone.localdate() - timedelta(days=31),
        status=PayoutBatch.Status.PAID,
        created_by=finance,
    )
    earlier.programmes.add(programme)
    failed_line = PayoutLine.objects.create(
        batch=earlier,
        participation=participation,
        name="Matrix payee",
        email=participant.email,
        amount=Decimal("5.00"),
        currency="EUR",
        entries_count=1,
        state=PayoutLine.State.FAILED,
        outcome_reason="FAILED",
        outcome_on=timezone.localdate(),
    )
    from django.core.files.uploadedfile import SimpleUploadedFile as Upload

    tax_status = pay.tax_status_record(
        actor=finance,
        participation=participation,
        kind="w9",
        document=Upload("w9.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf"),
    )
    from audit.models import AuditEvent

    about_participant = AuditEvent.objects.filter(subject=participant, programme=programme).first()
    return {
        "people": {
            "participant": participant,
            "participant2": participant2,
            "outsider": outsider,
            "reviewer": reviewer,
            "other_reviewer": other_reviewer,
            "finance": finance,
            "manager": manager,
        },
        "slug": programme.slug,
        "ids": {
            "participants:staff_participant_action": participation.pk,
            "participants:staff_invitation_revoke": invitation.pk,
            "participants:staff_invitation_resend": invitation.pk,
            "participants:staff_invitation_extend": invitation.pk,
            "participants:staff_application_decide": application.pk,
            "participants:pause_end": pause.pk,
            "programs:staff_role_revoke": role.pk,
            "approvals:detail": submission.pk,
            "approvals:claim": submission.pk,
            "approvals:release": submission.pk,
            "approvals:decide": submission.pk,
            "approvals:reason_toggle": reasons[0].pk,
            "approvals:output": submission.pk,
            "approvals:resubmit": submission.pk,
            "approvals:withdraw": submission.pk,
            "approvals:appeal": submission.pk,
            "approvals:file": file_output.pk,
            "approvals:preview": file_output.pk,
            "approvals:thumbnail": file_output.pk,
            "feedback:detail": ticket.pk,
            "feedback:attachment": ticket.attachments.get().pk,
            "labour:edit": time_entry.pk,
            "recourse:new_ticket": contested.pk,
            "recourse:new_hours": time_entry.pk,
            "recourse:new_pay": ledger_entry.pk,
            "recourse:new_result": entry.pk,
            "recourse:new_fee": use.pk,
            "recourse:new_line": failed_line.pk,
            "recourse:new_award": participation.consents.first().pk,
            "recourse:reason_toggle": contest_reason.pk,
            "recourse:detail": contest.pk,
            "feedback:comment": ticket.pk,
            "feedback:status": ticket.pk,
            "feedback:assign": ticket.pk,
            "compensation:entry": ledger_entry.pk,
            "compensation:entry_approve": ledger_entry.pk,
            "compensation:batch": batch.pk,
            "compensation:batch_download": batch.pk,
            "compensation:batch_retry": batch.pk,
            "compensation:batch_paid": batch.pk,
            "compensation:batch_reconcile": batch.pk,
            "compensation:batch_statement": batch.pk,
            "compensation:import_match": 999_999,
            "programs:staff_threshold_confirm": 999_999,
            "compensation:tax_status": participation.pk,
            "compensation:tax_document": tax_status.pk,
            "api:ticket": ticket.pk,
            "api:contest": contest.pk,
            "api:contest-answer": contest.pk,
            "api:ticket-comments": ticket.pk,
            "api:submission": submission.pk,
            "api:submission-claim": submission.pk,
            "api:submission-decide": submission.pk,
            "api:batch": batch.pk,
            "api:batch-download": batch.pk,
            "api:batch-imports": batch.pk,
            "api:batch-mark-paid": batch.pk,
            "api:threshold-change-confirm": 999_999,
            "api:bank-import-match": 999_999,
            "api:promotional-use-answer": use.pk,
            "publicity:use_answer": use.pk,
            "publicity:use_request": shown.pk,
            "publicity:training": shown.pk,
            "publicity:competition": competition.pk,
            "publicity:competition_enter": competition.pk,
            "publicity:competition_withdraw": competition.pk,
            "api:competition-entries": competition.pk,
            "api:competition-results": competition.pk,
            "publicity:competition_results": competition.pk,
            "provenance:signed_file": credential.entry_id,
            "audit:proof": about_participant.pk,
            "audit:receipt": about_participant.pk,
        },
        "shown": shown.pk,
        "number": draft.number,
        "token": invitation.plain_token,
    }


def _kwargs(name, pattern, world):
    out = {}
    for key in pattern.pattern.converters:
        if key == "slug":
            out[key] = world["slug"]
        elif key == "number":
            drafts = ("programs:staff_terms_edit", "programs:staff_terms_editorial")
            out[key] = world["number"] if name in drafts else 1
        elif key == "token":
            out[key] = world["token"] if name == "participants:invitation" else "unknown-token"
        elif key == "pk":
            out[key] = world["ids"][name]
        elif key == "fmt":
            out[key] = "csv"
        elif key == "row":
            out[key] = 0
        else:
            raise AssertionError(f"No value for <{key}> in {name}; teach _kwargs about it")
    return out


def _allowed(response):
    if response.status_code >= 500:
        raise AssertionError(f"server error {response.status_code}")
    if response.status_code in (401, 403, 404, 405):
        return False
    location = response.get("Location", "")
    if response.status_code == 302 and (
        "/accounts/login/" in location or "/accounts/2fa/" in location
    ):
        return False
    return response.status_code < 400


def test_every_route_has_a_rule():
    names = {name for name, _ in _named_routes() if not name.startswith(SKIP_PREFIXES)}
    missing = sorted(names - set(RULES))
    assert missing == [], f"Routes without an authorization rule: {missing}"


def test_no_persona_reaches_what_it_may_not(client, world, settings):
    from django.urls import reverse

    settings.REQUIRE_STAFF_MFA = False
    leaks, tried, denied_wrongly = [], 0, []
    routes = [(n, p) for n, p in _named_routes() if n in RULES]
    # Every GET first, then every POST: a POST that succeeds (a withdrawal, say) must not
    # change what a later GET probe sees.
    for method_phase in ("GET", "POST"):
        for persona in PERSONAS:
            client.logout()
            if persona != "anonymous":
                client.force_login(world["people"][persona])
            for name, pattern in routes:
                method, allowed = RULES[name]
                if method != method_phase:
                    continue
                url = reverse(name, kwargs=_kwargs(name, pattern, world))
                if name in ("programs:diff", "api:terms-diff"):
                    url += "?from=1&to=1"
                if name == "portal:my_data":
                    url += "?download=1"  # the archive itself: each person gets only their own
                response = client.get(url) if method == "GET" else client.post(url, {})
                tried += 1
                ok = _allowed(response)
                if ok and persona not in allowed:
                    leaks.append(f"{persona} {method} {url} → {response.status_code}")
                if not ok and persona in allowed and method == "GET":
                    denied_wrongly.append(f"{persona} {method} {url} → {response.status_code}")
    summarise(pairs=tried)
    print(f"\nFIGURE authorization matrix: {tried} pairs tried, {len(leaks)} leaks")
    assert leaks == []
    assert denied_wrongly == []


# --- The API schema: every operation has a rule; writes are probed as every persona --------

# (route name, method): who may succeed. GETs and the POSTs above are in RULES already.
API_WRITES = {
    ("api:tickets", "POST"): MEMBERS,
    ("api:time-entries", "POST"): MEMBERS,
    ("api:submissions", "POST"): MEMBERS,
    ("api:ticket-comments", "POST"): {"participant", "reviewer", "manager"},
    ("api:consent", "POST"): MEMBERS,
    ("api:batches", "POST"): {"finance"},
    # An empty provider file pays nobody: refused for everyone (and kept for finance).
    ("api:batch-imports", "POST"): set(),
    # The world's programme has no threshold yet (its first is set in the settings): a
    # proposal is refused for everyone, a 409 for its managers (tests/compensation proposes).
    ("api:threshold-changes", "POST"): set(),
    ("api:promotional-uses", "POST"): MANAGERS,
    ("api:training", "POST"): MEMBERS,
    ("api:competitions", "POST"): MANAGERS,
    ("api:training-check", "POST"): {"reviewer", "finance", "manager"},  # the programme's staff
    # The world's closed ticket is already contested: a second contest is refused for everyone
    # (and the ticket is nobody else's to contest).
    ("api:contests", "POST"): set(),
}


# API writes whose address names the programme.
SLUG_WRITES = (
    "api:consent",
    "api:training",
    "api:competitions",
    "api:training-check",
    "api:threshold-changes",
)


def _schema_operations():
    """(route name, METHOD, path) for every operation the OpenAPI schema documents."""
    from django.urls import resolve
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        concrete = (
            path.replace("{id}", "1")
            .replace("{slug}", "alpha")
            .replace("{number}", "1")
            .replace("{fmt}", "csv")
        )
        name = resolve(concrete).view_name  # with its namespace: "api:tickets"
        for method in operations:
            if method != "parameters":
                yield name, method.upper(), path


def test_every_api_operation_in_the_schema_has_a_rule():
    missing = [
        f"{method} {path} ({name})"
        for name, method, path in _schema_operations()
        if (name, method) not in API_WRITES and RULES.get(name, ("", None))[0] != method
    ]
    assert missing == [], f"API operations without an authorization rule: {missing}"


def _write_body(name, world, n):
    from django.utils import timezone

    today = timezone.localdate()
    return {
        "api:tickets": {
            "programme": world["slug"],
            "kind": "feedback",
            "title": f"Probe {n}",
            "description": "d",
        },
        "api:time-entries": {
            "programme": world["slug"],
            "date": today.isoformat(),
            "minutes": 5,
            "activity": "testing",
        },
        "api:submissions": {
            "programme": world["slug"],
            "title": f"Probe {n}",
            "intended_use": "social",
            "url": f"https://example.org/probe/{n}",
        },
        "api:ticket-comments": {"body": f"Probe {n}"},
        "api:contests": {
            "ticket": world["ids"]["recourse:new_ticket"],
            "reason": "other",
            "text": "p",
        },
        "api:consent": {"terms_version": 1, "terms_hash": world["terms_hash"]},
        "api:promotional-uses": {
            "submission": world["shown"],
            "channel": "advert",
            "period_start": today.isoformat(),
            "period_end": today.isoformat(),
            "territory": f"Probe {n}",
        },
        "api:training": {"allowed": True},
        "api:training-check": {"purpose": "cawg.ai_training", "hashes": ["a" * 64]},
        "api:competitions": {
            "title": f"Probe {n}",
            "criteria": "The best film",
            "prize_count": 1,
            "prize_amount": "10.00",
            "judges": "The programme's reviewers",
            "entry_deadline": (timezone.now() + timedelta(days=7)).isoformat(),
            "results_by": (timezone.now() + timedelta(days=14)).isoformat(),
        },
        "api:batch-imports": {"file_base64": "cmVmZXJlbmNlLGFtb3VudCxkYXRlCg=="},
        "api:threshold-changes": {"new": "5.00"},
        "api:batches": {
            "programmes": [world["slug"]],
            "currency": "EUR",
            "period_start": (today - timedelta(days=30)).isoformat(),
            "period_end": today.isoformat(),
        },
    }[name]


def test_no_persona_writes_through_the_api_what_it_may_not(world, settings):
    from decimal import Decimal

    from django.urls import reverse
    from rest_framework.test import APIClient

    from compensation import services as pay
    from programs.models import Programme

    settings.REQUIRE_STAFF_MFA = False
    programme = Programme.objects.get(slug=world["slug"])
    world["terms_hash"] = programme.terms.get(number=1).content_hash
    people = world["people"]
    participation = Participation.objects.get(user=people["participant"], programme=programme)
    leaks, denied_wrongly, tried = [], [], 0
    ops = sorted({(n, m) for n, m, _ in _schema_operations() if (n, m) in API_WRITES})
    assert len(ops) == len(API_WRITES)
    for persona in PERSONAS:
        # An approved entry waits for export, so a batch can be created by whoever may.
        entry = pay.award_create(
            actor=people["manager"],
            participation=participation,
            kind="prize",
            amount=Decimal("1.00"),
            currency="EUR",
            reason=f"Probe {persona}",
        )
        pay.entries_approve(actor=people["finance"], entry_ids=[entry.pk])
        client = APIClient()
        if persona != "anonymous":
            client.force_authenticate(people[persona])
        for name, method in ops:
            kwargs = {"pk": world["ids"]["api:ticket"]} if name == "api:ticket-comments" else {}
            if name in SLUG_WRITES:
                kwargs = {"slug": world["slug"]}
            if name == "api:batch-imports":
                kwargs = {"pk": world["ids"]["api:batch"]}
            url = reverse(name, kwargs=kwargs)
            tried += 1
            response = client.post(url, _write_body(name, world, tried), format="json")
            assert response.status_code < 500, (persona, url, response.status_code)
            ok = 200 <= response.status_code < 300
            if ok and persona not in API_WRITES[(name, method)]:
                leaks.append(f"{persona} {method} {url} → {response.status_code}")
            if not ok and persona in API_WRITES[(name, method)]:
                denied_wrongly.append(f"{persona} {method} {url} → {response.status_code}")
    summarise(pairs=tried)
    print(
        f"\nFIGURE authorization matrix, API writes from the schema: {len(ops)} write "
        f"operations × {len(PERSONAS)} personas, {tried} pairs tried, {len(leaks)} leaks"
    )
    assert leaks == []
    assert denied_wrongly == []


# --- Staff without two-factor: only what anyone may reach ---------------------------------

PUBLIC = {name for name, (_, allowed) in RULES.items() if "anonymous" in allowed}
STAFF_PERSONAS = ("reviewer", "finance", "manager")


def _probe(client, name, pattern, world, method):
    from django.urls import reverse

    url = reverse(name, kwargs=_kwargs(name, pattern, world))
    if name in ("programs:diff", "api:terms-diff"):
        url += "?from=1&to=1"
    if name == "portal:my_data":
        url += "?download=1"
    response = client.get(url) if method == "GET" else client.post(url, {})
    return url, response


def test_staff_without_two_factor_reach_only_public_routes(client, world, settings):
    settings.REQUIRE_STAFF_MFA = True
    routes = [(n, p) for n, p in _named_routes() if n in RULES]
    leaks, tried = [], 0
    for persona in STAFF_PERSONAS:
        client.force_login(world["people"][persona])
        for name, pattern in routes:
            method = RULES[name][0]
            url, response = _probe(client, name, pattern, world, method)
            tried += 1
            if _allowed(response) and name not in PUBLIC:
                leaks.append(f"{persona} {method} {url} → {response.status_code}")
    summarise(pairs=tried)
    print(
        f"\nFIGURE authorization matrix, staff without two-factor: {tried} pairs, {len(leaks)} leaks"
    )
    assert leaks == []


def test_staff_without_two_factor_write_nothing_through_the_api_with_a_token(world, settings):
    from django.urls import reverse
    from rest_framework.test import APIClient

    from api.services import token_create
    from programs.models import Programme

    programme = Programme.objects.get(slug=world["slug"])
    world["terms_hash"] = programme.terms.get(number=1).content_hash
    settings.REQUIRE_STAFF_MFA = False  # tokens made before two-factor became required
    tokens = {
        p: token_create(actor=world["people"][p], name="t", scope="write")[1]
        for p in STAFF_PERSONAS
    }
    settings.REQUIRE_STAFF_MFA = True
    leaks, tried = [], 0
    for persona, plain in tokens.items():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
        for name, _method in sorted(API_WRITES):
            kwargs = {"pk": world["ids"]["api:ticket"]} if name == "api:ticket-comments" else {}
            if name in SLUG_WRITES:
                kwargs = {"slug": world["slug"]}
            if name == "api:batch-imports":
                kwargs = {"pk": world["ids"]["api:batch"]}
            response = client.post(
                reverse(name, kwargs=kwargs), _write_body(name, world, tried), format="json"
            )
            tried += 1
            if response.status_code != 403 or "two-factor" not in response.json().get("detail", ""):
                leaks.append(f"{persona} POST {name} → {response.status_code}")
    summarise(pairs=tried)
    assert leaks == []


# --- A participant holding every staff role: never staff on their own records -------------

# Staff routes whose object in the world is the participant's own record.
OWN_RECORD_ROUTES = {
    "approvals:detail",
    "approvals:preview",
    "approvals:claim",
    "approvals:release",
    "feedback:status",
    "feedback:assign",
    "participants:staff_participant_action",
    "api:submission-claim",
    "publicity:use_request",
}


def test_a_participant_holding_every_staff_role_is_never_staff_on_their_own_records(
    client, world, settings
):
    from programs.models import Programme, ProgrammeRole

    settings.REQUIRE_STAFF_MFA = False
    me = world["people"]["participant"]
    programme = Programme.objects.get(slug=world["slug"])
    for role in ProgrammeRole.Role.values:
        ProgrammeRole.objects.get_or_create(programme=programme, user=me, role=role)
    client.force_login(me)
    routes = [(n, p) for n, p in _named_routes() if n in OWN_RECORD_ROUTES]
    assert len(routes) == len(OWN_RECORD_ROUTES)
    leaks = []
    for name, pattern in routes:
        for method in ("GET", "POST"):
            url, response = _probe(client, name, pattern, world, method)
            if _allowed(response) and response.status_code != 405:
                leaks.append(f"{method} {url} → {response.status_code}")
    summarise(pairs=2 * len(routes))
    assert leaks == []


# --- A service-account token: the training check and the registry, nothing else -----------

SERVICE_TOKEN_ROUTES = {"api:training-check", "api:consent-registry"}


def test_a_service_account_token_reaches_the_training_check_and_the_registry_and_nothing_else(
    world, settings
):
    """No person, one programme, no two-factor: every other route answers it as it answers
    nobody (pages ignore it), and every other API operation refuses it (401), public or not."""
    from django.urls import reverse
    from rest_framework.test import APIClient

    from api.services import service_token_create
    from programs.models import Programme

    programme = Programme.objects.get(slug=world["slug"])
    world["terms_hash"] = programme.terms.get(number=1).content_hash
    settings.REQUIRE_STAFF_MFA = False  # the manager makes it
    _, plain = service_token_create(
        actor=world["people"]["manager"], programme=programme, name="pipeline"
    )
    settings.REQUIRE_STAFF_MFA = True  # the token needs none
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    leaks, tried = [], 0
    for name, pattern in _named_routes():
        if name not in RULES or name in SERVICE_TOKEN_ROUTES:
            continue
        method = RULES[name][0]
        url, response = _probe(client, name, pattern, world, method)
        tried += 1
        if _allowed(response) and name not in PUBLIC:
            leaks.append(f"{method} {url} → {response.status_code}")
        if url.startswith("/api/v1/") and response.status_code != 401:
            leaks.append(f"{method} {url} → {response.status_code} (API: must be 401)")
    for name, _method in sorted(API_WRITES):
        if name in SERVICE_TOKEN_ROUTES:
            continue
        kwargs = {"pk": world["ids"]["api:ticket"]} if name == "api:ticket-comments" else {}
        if name in SLUG_WRITES:
            kwargs = {"slug": world["slug"]}
        if name == "api:batch-imports":
            kwargs = {"pk": world["ids"]["api:batch"]}
        response = client.post(
            reverse(name, kwargs=kwargs), _write_body(name, world, tried), format="json"
        )
        tried += 1
        if response.status_code != 401:
            leaks.append(f"POST {name} → {response.status_code}")
    check = client.post(
        reverse("api:training-check", kwargs={"slug": world["slug"]}),
        _write_body("api:training-check", world, 0),
        format="json",
    )
    registry = client.get(reverse("api:consent-registry", kwargs={"slug": world["slug"]}))
    summarise(pairs=tried + 2)
    print(
        f"\nFIGURE authorization matrix, service-account token: {tried} pairs, {len(leaks)} leaks"
    )
    assert leaks == []
    assert check.status_code == 200 and registry.status_code == 200
