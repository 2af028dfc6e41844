"""Every staff service asks the policy itself, whoever calls it (a page, the API, a task).

Before the redesign the services of programmes and participants checked nothing: only
their views did. Here each service that acts for a person (`actor`, `reviewer` or
`author`) is called directly, as a participant of another programme and as the
programme's own staff without two-factor (REQUIRE_STAFF_MFA on), and must refuse with
the policy's error, changing nothing. A service added without an entry here fails the
completeness test.
"""

import inspect
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from approvals import services as approvals
from compensation import services as pay
from compensation.models import BankFileImport, LedgerEntry
from core.errors import NotAllowed
from feedback import services as feedback
from feedback.models import Ticket
from integrations import webhooks
from labour import services as labour
from labour.models import TimeEntry
from participants import services as participants
from participants.models import Participation
from programs import policy
from programs import services as programs
from programs.models import ProgrammeRole, TermsVersion
from publicity import services as publicity
from publicity.models import CompetitionEntry
from recourse import services as recourse
from tests.factories import UserFactory, make_staff

MODULES = [programs, participants, feedback, labour, approvals, pay, webhooks, publicity, recourse]
ACTING = ("actor", "reviewer", "author")


@pytest.fixture
def w(settings, tmp_path, programme, participant, reviewer, manager, finance):
    """Records of `programme` made by the people allowed to make them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    participation = Participation.objects.get(user=participant, programme=programme)
    reasons = approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    ticket = feedback.ticket_file(
        actor=participant, programme=programme, kind="feedback", title="t", description="d"
    )
    closed = feedback.ticket_file(
        actor=participant, programme=programme, kind="feedback", title="c", description="d"
    )
    feedback.ticket_set_status(actor=reviewer, ticket=closed, status="wont_fix")
    contest = recourse.contest_open(actor=participant, ticket=closed, reason="other", text="t")
    output = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="o",
        intended_use="social",
        url="https://example.org/o.mp4",
    )
    TermsVersion.objects.filter(programme=programme, number=1).update(
        promotional_use="consent", promotion_credit="unnamed", training_use="per_output"
    )
    shown = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="shown",
        intended_use="social",
        url="https://example.org/shown.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=shown)
    approvals.submission_decide(actor=reviewer, submission=shown, outcome="approved")
    use = publicity.use_request(
        actor=manager,
        submission=shown,
        channel="advert",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        territory="EU",
    )
    competition = publicity.competition_create(
        actor=manager,
        programme=programme,
        title="c",
        criteria="c",
        prize_count=1,
        prize_amount="1.00",
        judges="reviewers",
        entry_deadline=timezone.now() + timedelta(days=1),
        results_by=timezone.now() + timedelta(days=2),
    )
    hours = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=30,
        activity="testing",
    )
    # Before any award: whoever made a programme's last award changes no threshold.
    programs.programme_update(actor=manager, programme=programme, approval_threshold="100")
    threshold_change = programs.threshold_propose(actor=manager, programme=programme, new="50")
    prize = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount="5.00",
        currency="EUR",
        reason="r",
    )
    approved = pay.award_create(
        actor=manager,
        participation=participation,
        kind="prize",
        amount="6.00",
        currency="EUR",
        reason="r2",
    )
    pay.entry_approve(actor=finance, entry=approved)
    batch = pay.batch_create(
        actor=finance,
        programmes=[programme],
        currency="EUR",
        period_start=timezone.localdate() - timedelta(days=7),
        period_end=timezone.localdate(),
    )
    invitation = participants.invitations_create(
        actor=manager, programme=programme, emails=["new@example.com"]
    )[0]
    applicant = UserFactory(email="applicant@example.com")
    from participants.models import Application

    application = Application.objects.create(
        user=applicant, programme=programme, motivation="please"
    )
    pause = participants.pause_start(
        actor=manager, programme=programme, participation=participation, reason="r"
    )
    participants.pause_end(actor=manager, pause=pause)
    pause = participants.pause_start(
        actor=manager, programme=programme, participation=participation, reason="again"
    )
    endpoint = webhooks.endpoint_create(
        actor=manager,
        programme=programme,
        url="https://example.org/hook",
        events=["ticket.status_changed"],
    )
    feedback.ticket_set_status(actor=reviewer, ticket=ticket, status="triaged")
    delivery = endpoint.deliveries.first()
    draft = programs.terms_draft_create(actor=manager, programme=programme)
    return {
        "closed": closed,
        "contest": contest,
        "threshold_change": threshold_change,
        "shown": shown,
        "use": use,
        "competition": competition,
        "programme": programme,
        "participation": participation,
        "participant": participant,
        "reason": reasons[0],
        "ticket": ticket,
        "output": output,
        "hours": hours,
        "prize": prize,
        "batch": batch,
        "invitation": invitation,
        "application": application,
        "pause": pause,
        "endpoint": endpoint,
        "delivery": delivery,
        "draft": draft,
        "role": ProgrammeRole.objects.get(programme=programme, user=reviewer),
    }


# name: call(w, actor). Services that report refusals instead of raising are checked below.
CALLS = {
    "programme_create": lambda w, a: programs.programme_create(
        actor=a, name="X", slug="x-new", product="p"
    ),
    "programme_update": lambda w, a: programs.programme_update(
        actor=a, programme=w["programme"], summary="changed"
    ),
    "programme_set_status": lambda w, a: programs.programme_set_status(
        actor=a, programme=w["programme"], status="closed"
    ),
    "role_grant": lambda w, a: programs.role_grant(
        actor=a, programme=w["programme"], user=a, role="manager"
    ),
    "role_revoke": lambda w, a: programs.role_revoke(actor=a, role=w["role"]),
    "terms_draft_create": lambda w, a: programs.terms_draft_create(
        actor=a, programme=w["programme"]
    ),
    "terms_draft_update": lambda w, a: programs.terms_draft_update(
        actor=a, terms=w["draft"], hourly_rate=Decimal("1.00")
    ),
    "terms_publish": lambda w, a: programs.terms_publish(actor=a, terms=w["draft"]),
    "terms_editorial_request": lambda w, a: programs.terms_editorial_request(
        actor=a, terms=w["draft"]
    ),
    "terms_editorial_confirm": lambda w, a: programs.terms_editorial_confirm(
        actor=a, terms=w["draft"]
    ),
    # The effects of a won contest (recourse answers it, then calls these as the answerer).
    "ticket_overturn": lambda w, a: feedback.ticket_overturn(actor=a, ticket=w["ticket"], note="n"),
    "competition_entry_award": lambda w, a: publicity.competition_entry_award(
        actor=a, entry=_entry(w), why="won on a contest"
    ),
    "use_fee_owed": lambda w, a: publicity.use_fee_owed(
        actor=a, use=w["use"], owed="999", why="won on a contest"
    ),
    "contest_decide": lambda w, a: recourse.contest_decide(
        actor=a, contest=w["contest"], upheld=True, answer="Yes."
    ),
    "contest_reason_create": lambda w, a: recourse.contest_reason_create(
        actor=a, programme=w["programme"], label="Too severe"
    ),
    "contest_reason_set_active": lambda w, a: recourse.contest_reason_set_active(
        actor=a, reason=_contest_reason(w), active=False
    ),
    "line_cost_owed": lambda w, a: pay.line_cost_owed(
        actor=a, line=w["batch"].lines.get(), owed="1", why="won on a contest"
    ),
    "threshold_propose": lambda w, a: programs.threshold_propose(
        actor=a, programme=w["programme"], new="20"
    ),
    "threshold_confirm": lambda w, a: programs.threshold_confirm(
        actor=a, change=w["threshold_change"]
    ),
    "terms_translation_publish": lambda w, a: programs.terms_translation_publish(
        actor=a, terms=w["programme"].terms.get(number=1), language="fr", texts={"body": "x"}
    ),
    "invitations_create": lambda w, a: participants.invitations_create(
        actor=a, programme=w["programme"], emails=["x@example.com"]
    ),
    "invitation_revoke": lambda w, a: participants.invitation_revoke(
        actor=a, invitation=w["invitation"]
    ),
    "invitations_import": lambda w, a: participants.invitations_import(
        actor=a, programme=w["programme"], content=b"email\nnew@example.com\n"
    ),
    "invitation_resend": lambda w, a: participants.invitation_resend(
        actor=a, invitation=w["invitation"]
    ),
    "invitation_extend": lambda w, a: participants.invitation_extend(
        actor=a, invitation=w["invitation"], days=30
    ),
    "application_decide": lambda w, a: participants.application_decide(
        actor=a, application=w["application"], accept=True, reason=""
    ),
    "participation_remove": lambda w, a: participants.participation_remove(
        actor=a, participation=w["participation"], reason="out"
    ),
    "pause_start": lambda w, a: participants.pause_start(
        actor=a, programme=w["programme"], reason="stop"
    ),
    "pause_end": lambda w, a: participants.pause_end(actor=a, pause=w["pause"]),
    "ticket_assign": lambda w, a: feedback.ticket_assign(
        actor=a, ticket=w["ticket"], assignee=None
    ),
    "ticket_attach": lambda w, a: feedback.ticket_attach(actor=a, ticket=w["ticket"], uploads=[]),
    "ticket_comment": lambda w, a: feedback.ticket_comment(
        author=a, ticket=w["ticket"], body="internal", visible_to_reporter=False
    ),
    "ticket_set_status": lambda w, a: feedback.ticket_set_status(
        actor=a, ticket=w["ticket"], status="accepted"
    ),
    "tickets_bulk_triage": lambda w, a: feedback.tickets_bulk_triage(
        actor=a, ticket_ids=[w["ticket"].pk], status="accepted"
    ),
    "time_entries_bulk_review": lambda w, a: labour.time_entries_bulk_review(
        actor=a, entry_ids=[w["hours"].pk], confirm=True
    ),
    "time_entry_confirm": lambda w, a: labour.time_entry_confirm(actor=a, entry=w["hours"]),
    "time_entry_dispute": lambda w, a: labour.time_entry_dispute(
        actor=a, entry=w["hours"], reason="no"
    ),
    "reason_code_create": lambda w, a: approvals.reason_code_create(
        actor=a, programme=w["programme"], label="New reason"
    ),
    "reason_code_set_active": lambda w, a: approvals.reason_code_set_active(
        actor=a, reason=w["reason"], active=False
    ),
    "reason_codes_add_defaults": lambda w, a: approvals.reason_codes_add_defaults(
        actor=a, programme=w["programme"]
    ),
    "submission_claim": lambda w, a: approvals.submission_claim(actor=a, submission=w["output"]),
    "submission_decide": lambda w, a: approvals.submission_decide(
        actor=a, submission=w["output"], outcome="approved"
    ),
    "submission_release": lambda w, a: approvals.submission_release(
        actor=a, submission=w["output"]
    ),
    "award_create": lambda w, a: pay.award_create(
        actor=a,
        participation=w["participation"],
        kind="prize",
        amount="9.00",
        currency="EUR",
        reason="r",
    ),
    "batch_create": lambda w, a: pay.batch_create(
        actor=a,
        programmes=[w["programme"]],
        currency="EUR",
        period_start=timezone.localdate() - timedelta(days=7),
        period_end=timezone.localdate(),
    ),
    "batch_mark_paid": lambda w, a: pay.batch_mark_paid(
        actor=a, batch=w["batch"], reference="REF", paid_on=timezone.localdate()
    ),
    "batch_reconcile": lambda w, a: pay.batch_reconcile(actor=a, batch=w["batch"], data=b""),
    "batch_import_statement": lambda w, a: pay.batch_import_statement(
        actor=a, batch=w["batch"], data=b""
    ),
    "batch_retry": lambda w, a: pay.batch_retry(actor=a, batch=w["batch"]),
    "batch_file": lambda w, a: pay.batch_file(actor=a, batch=w["batch"], variant="csv"),
    "batch_check": lambda w, a: pay.batch_check(
        actor=a,
        programmes=[w["programme"]],
        currency="EUR",
        period_start=timezone.localdate() - timedelta(days=7),
        period_end=timezone.localdate(),
    ),
    "rate_record": lambda w, a: pay.rate_record(
        actor=a,
        currency="USD",
        programme_currency="EUR",
        rate="0.9",
        valid_from=timezone.localdate(),
        source="s",
    ),
    "import_match": lambda w, a: pay.import_match(
        actor=a, bank_import=BankFileImport(batch=w["batch"]), row=0, line_key="x"
    ),
    "tax_status_record": lambda w, a: pay.tax_status_record(
        actor=a, participation=w["participation"], kind="w9"
    ),
    "entry_approve": lambda w, a: pay.entry_approve(actor=a, entry=w["prize"]),
    "entry_reverse": lambda w, a: pay.entry_reverse(actor=a, entry=w["prize"], reason="r"),
    "endpoint_create": lambda w, a: webhooks.endpoint_create(
        actor=a, programme=w["programme"], url="https://evil.example/", events=["terms.published"]
    ),
    "redeliver": lambda w, a: webhooks.redeliver(actor=a, delivery=w["delivery"]),
    "use_request": lambda w, a: publicity.use_request(
        actor=a,
        submission=w["shown"],
        channel="press",
        period_start=timezone.localdate(),
        period_end=timezone.localdate(),
        territory="EU",
    ),
    "competition_create": lambda w, a: publicity.competition_create(
        actor=a,
        programme=w["programme"],
        title="c2",
        criteria="c",
        prize_count=1,
        prize_amount="1.00",
        judges="reviewers",
        entry_deadline=timezone.now() + timedelta(days=1),
        results_by=timezone.now() + timedelta(days=2),
    ),
    "competition_publish": lambda w, a: publicity.competition_publish(
        actor=a, competition=w["competition"], winners=[]
    ),
}
# A tester's own services: anyone but the tester is refused (no staff role helps).
TESTER_CALLS = {
    "contest_open": lambda w, a: recourse.contest_open(
        actor=a, ticket=w["closed"], reason="other", text="Again."
    ),
    "use_answer": lambda w, a: publicity.use_answer(actor=a, use=w["use"], accept=True),
    "training_choose": lambda w, a: publicity.training_choose(
        actor=a, programme=w["programme"], submission=w["shown"], allowed=True
    ),
    "competition_enter": lambda w, a: publicity.competition_enter(
        actor=a, competition=w["competition"], submission=w["shown"]
    ),
    "competition_entry_withdraw": lambda w, a: publicity.competition_entry_withdraw(
        actor=a, competition=w["competition"], submission=w["shown"]
    ),
}
# What a participant does for their own participation: refused to anyone who is not one.
SELF_CALLS = {
    "credit_name_set": lambda w, a: publicity.credit_name_set(
        actor=a, programme=w["programme"], display_name="Ana"
    ),
    "ticket_file": lambda w, a: feedback.ticket_file(
        actor=a, programme=w["programme"], kind="bug", title="Crash", description="It crashes",
        severity="low",
    ),
    "time_entry_log": lambda w, a: labour.time_entry_log(
        actor=a, programme=w["programme"], date=timezone.localdate(), minutes=30,
        activity="testing",
    ),
    "time_entry_update": lambda w, a: labour.time_entry_update(
        actor=a, entry=w["hours"], date=w["hours"].date, minutes=45, activity="testing",
    ),
}  # fmt: skip
# These report each refused item instead of raising: nothing may be done.
REPORTING = {
    "submissions_bulk_approve": lambda w, a: approvals.submissions_bulk_approve(
        actor=a, submissions=[w["output"]]
    )[0],
    "entries_approve": lambda w, a: (
        pay.entries_approve(actor=a, entry_ids=[w["prize"].pk]).approved
        + pay.entries_approve(actor=a, entry_ids=[w["prize"].pk]).first_approvals
    ),
}


def _contest_reason(w):
    """A reason of the world's programme's own contest list (made here)."""
    from recourse.models import ContestReason

    return ContestReason.objects.get_or_create(
        programme=w["programme"], code="too-severe", defaults={"label": "Too severe"}
    )[0]


def _entry(w):
    """An entry of the world's competition (made here: the world needs none otherwise)."""
    return CompetitionEntry.objects.get_or_create(
        competition=w["competition"],
        submission=w["shown"],
        defaults={"entrant": w["shown"].participant, "entered_at": timezone.now()},
    )[0]


def _acting_services():
    for module in MODULES:
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ == module.__name__ and not name.startswith("_"):
                if any(p in inspect.signature(fn).parameters for p in ACTING):
                    yield name


def test_every_service_that_acts_for_a_person_is_called_here():
    covered = set(CALLS) | set(REPORTING) | set(TESTER_CALLS) | set(SELF_CALLS)
    missing = sorted(set(_acting_services()) - covered)
    assert missing == [], f"Staff services without a policy test: {missing}"


def _snapshot(w):
    from audit.models import AuditEvent

    return AuditEvent.objects.count(), LedgerEntry.objects.count()


@pytest.fixture
def intruders(w, other_programme, outsider, settings):
    """A participant of another programme, and the programme's own staff without 2FA."""
    no_mfa = UserFactory(email="no-mfa@example.com")
    for role in ProgrammeRole.Role.values:
        make_staff(w["programme"], role, user=no_mfa)
    return {"outsider": outsider, "staff without two-factor": no_mfa}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_a_staff_service_called_directly_refuses_an_unauthorised_actor(
    name, w, intruders, settings
):
    settings.REQUIRE_STAFF_MFA = True
    for who, actor in intruders.items():
        before = _snapshot(w)
        with pytest.raises(NotAllowed) as refused:
            CALLS[name](w, actor)
        if who == "staff without two-factor" and name != "programme_create":
            assert isinstance(refused.value, policy.StaffMFARequired), (name, refused.value)
        assert _snapshot(w) == before, (name, who)


@pytest.mark.parametrize("name", sorted(TESTER_CALLS))
def test_a_testers_own_service_refuses_anyone_else(name, w, intruders, settings):
    settings.REQUIRE_STAFF_MFA = True
    for who, actor in {**intruders, "manager": w["use"].requested_by}.items():
        before = _snapshot(w)
        with pytest.raises(NotAllowed):
            TESTER_CALLS[name](w, actor)
        assert _snapshot(w) == before, (name, who)


@pytest.mark.parametrize("name", sorted(SELF_CALLS))
def test_a_participants_own_service_refuses_anyone_who_is_not_that_participant(
    name, w, intruders, settings
):
    settings.REQUIRE_STAFF_MFA = True
    for who, actor in intruders.items():
        before = _snapshot(w), TimeEntry.objects.count(), Ticket.objects.count()
        with pytest.raises(NotAllowed):
            SELF_CALLS[name](w, actor)
        after = _snapshot(w), TimeEntry.objects.count(), Ticket.objects.count()
        assert after == before, (name, who)


@pytest.mark.parametrize("name", sorted(REPORTING))
def test_a_bulk_service_does_nothing_for_an_unauthorised_actor(name, w, intruders, settings):
    settings.REQUIRE_STAFF_MFA = True
    for actor in intruders.values():
        try:
            done = REPORTING[name](w, actor)
        except NotAllowed:  # staff without two-factor are refused before anything is read
            done = 0
        assert done == 0
