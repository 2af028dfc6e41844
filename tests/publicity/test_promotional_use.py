"""A use is asked for, answered, recorded and paid: a manager asks to use an approved output
(channel, period, territory, credit line); the tester accepts or declines; an accepted or
included use accrues its fee once; uses show on the output's page, the proof page and the
tester's statement. Refusals change nothing and say why."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import LedgerEntry
from core.errors import DomainError, NotAllowed
from core.models import OutboxMessage
from programs.models import ProgrammeRole
from publicity import services
from publicity.models import PromotionalUse
from tests.conftest import summarise

from .conftest import set_terms

TODAY = timezone.localdate()
ASK = {
    "channel": "launch_video",
    "period_start": TODAY.isoformat(),
    "period_end": (TODAY + timedelta(days=90)).isoformat(),
    "territory": "Worldwide",
    "credit_line": "Film by Participant",
}


def _ask(client, submission, **changes):
    return client.post(f"/publicity/outputs/{submission.pk}/promote/", {**ASK, **changes})


def test_a_manager_asks_the_tester_accepts_and_the_fee_accrues_once_and_shows_everywhere(
    approved, manager, participant, as_user, client
):
    response = _ask(as_user(manager), approved)
    assert response.status_code == 302, response.content.decode()[:2000]
    use = PromotionalUse.objects.get()
    assert use.status == "requested" and use.fee == Decimal("200.00") and use.currency == "EUR"
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__contains="asks to use “Night swim” in promotion"
    ).exists()

    page = as_user(participant).get("/publicity/uses/").content.decode()
    assert "Launch video" in page and "200.00 EUR" in page and "Accept" in page
    answer = client.post(f"/publicity/uses/{use.pk}/answer/", {"answer": "accept"})
    assert answer.status_code == 302
    use.refresh_from_db()
    assert use.status == "accepted" and use.ledger_entry is not None
    entry = use.ledger_entry
    assert (entry.kind, entry.amount, entry.created_by) == ("promotion", Decimal("200.00"), manager)
    # A second answer, and a second accrual, change nothing.
    client.post(f"/publicity/uses/{use.pk}/answer/", {"answer": "accept"})
    with pytest.raises(DomainError, match="already answered"):
        services.use_answer(actor=participant, use=use, accept=True)
    services._accrue_use(use)
    assert LedgerEntry.objects.filter(kind="promotion").count() == 1

    statement = client.get("/statement/").content.decode()
    assert "Promotional use: Launch video" in statement and "200.00" in statement
    output_page = client.get(f"/outputs/{approved.pk}/").content.decode()
    assert "Used in promotion" in output_page and "Worldwide" in output_page
    client.logout()
    proof = client.get(f"/verify/{approved.verify_token}/").content.decode()
    assert "Launch video" in proof and "200.00 EUR" in proof and "accepted by the tester" in proof
    assert "participant@example.com" not in proof
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"publicity.use.requested", "publicity.use.accepted"} <= actions
    assert OutboxMessage.objects.filter(recipient=manager, subject__startswith="Accepted").exists()


def test_declining_costs_nothing_is_final_and_a_new_request_can_follow(
    approved, manager, participant, as_user
):
    _ask(as_user(manager), approved)
    use = PromotionalUse.objects.get()
    services.use_answer(actor=participant, use=use, accept=False)
    assert LedgerEntry.objects.filter(kind="promotion").count() == 0
    with pytest.raises(DomainError, match="already answered: Declined"):
        services.use_answer(actor=participant, use=use, accept=True)
    # The open request is closed, so asking again (a new request) is possible.
    assert _ask(as_user(manager), approved).status_code == 302
    assert PromotionalUse.objects.count() == 2


def test_one_open_request_per_output_and_channel_so_nobody_is_pressed(approved, manager, as_user):
    client = as_user(manager)
    assert _ask(client, approved).status_code == 302
    second = _ask(client, approved, territory="Europe")
    assert second.status_code == 400
    assert "waiting for the tester's answer; one open request at a time" in (
        unescape(second.content.decode())
    )
    assert PromotionalUse.objects.count() == 1
    # Another channel (a use beyond the agreed channel) is a request of its own.
    assert _ask(client, approved, channel="advert").status_code == 302


def test_the_same_request_twice_makes_one_and_the_database_refuses_a_second_open_one(
    approved, manager
):
    """Twice through the service: one request. A write that skips the service (a race, or
    someone with write access to the database) meets the unique constraint."""
    ask = {
        "actor": manager,
        "submission": approved,
        "channel": "launch_video",
        "period_start": TODAY,
        "period_end": TODAY + timedelta(days=5),
        "territory": "Worldwide",
        "credit_line": "Film by Participant",
    }
    first = services.use_request(**ask)
    with pytest.raises(DomainError, match="one open request at a time"):
        services.use_request(**ask)
    with pytest.raises(IntegrityError), transaction.atomic():
        PromotionalUse.objects.create(
            **{
                f.attname: getattr(first, f.attname)
                for f in PromotionalUse._meta.concrete_fields
                if f.name != "id"
            }
        )
    assert PromotionalUse.objects.count() == 1
    summarise(pairs=1, doubled=PromotionalUse.objects.count() - 1)


def test_an_output_that_is_not_approved_is_refused_with_the_reason(
    promo_terms, programme, participant, manager, as_user
):
    from approvals import services as approvals

    pending = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Draft",
        intended_use="social",
        url="https://example.org/draft.mp4",
    )
    response = _ask(as_user(manager), pending)
    assert response.status_code == 400
    assert "only an approved output can be used in promotion" in response.content.decode()
    assert PromotionalUse.objects.count() == 0


def test_terms_without_promotion_refuse_the_request(approved, programme, manager, as_user):
    set_terms(programme, promotional_use="no", promotion_fee=None, promotion_credit="")
    response = _ask(as_user(manager), approved)
    assert response.status_code == 400
    assert "do not allow promotional use" in response.content.decode()
    assert PromotionalUse.objects.count() == 0


def test_bad_input_is_named_and_changes_nothing(approved, manager, as_user):
    client = as_user(manager)
    tried = 0
    for changes, message in [
        ({"period_end": (TODAY - timedelta(days=1)).isoformat()}, "must end on or after"),
        ({"territory": ""}, "This field is required"),
        ({"credit_line": ""}, "credit with the tester's name"),
        ({"channel": "billboard-on-the-moon"}, "Select a valid choice"),
    ]:
        response = _ask(client, approved, **changes)
        tried += 1
        assert response.status_code == 400 and message in unescape(response.content.decode()), (
            changes
        )
    assert PromotionalUse.objects.count() == 0
    summarise(inputs=tried)


def test_included_promotion_is_recorded_without_asking_and_unpaid_is_said_plainly(
    approved, programme, manager, participant, as_user, client
):
    set_terms(programme, promotional_use="included", promotion_fee=None, promotion_credit="unnamed")
    assert _ask(as_user(manager), approved, credit_line="").status_code == 302
    use = PromotionalUse.objects.get()
    assert use.status == "included" and use.fee == 0 and use.ledger_entry is None
    assert OutboxMessage.objects.filter(
        recipient=participant, subject__contains="uses “Night swim” in promotion"
    ).exists()
    client.logout()
    proof = client.get(f"/verify/{approved.verify_token}/").content.decode()
    assert "unpaid" in proof and "included in terms v1" in proof


def test_nobody_asks_to_use_their_own_output_and_only_managers_ask(
    approved, programme, participant, reviewer, as_user
):
    ProgrammeRole.objects.create(programme=programme, user=participant, role="manager")
    with pytest.raises(NotAllowed, match="their own output"):
        services.use_request(
            actor=participant,
            submission=approved,
            channel="advert",
            period_start=TODAY,
            period_end=TODAY,
            territory="EU",
            credit_line="x",
        )
    assert _ask(as_user(reviewer), approved).status_code == 404
    assert PromotionalUse.objects.count() == 0


def test_only_the_tester_answers_not_the_manager_who_asked(approved, manager, participant2):
    use = services.use_request(
        actor=manager,
        submission=approved,
        channel="advert",
        period_start=TODAY,
        period_end=TODAY,
        territory="EU",
        credit_line="Film by Participant",
    )
    for someone in (manager, participant2):
        with pytest.raises(NotAllowed):
            services.use_answer(actor=someone, use=use, accept=True)
    assert PromotionalUse.objects.get().status == "requested"


def test_a_manager_without_two_factor_cannot_ask(approved, manager, settings, as_user):
    settings.REQUIRE_STAFF_MFA = True
    response = _ask(as_user(manager), approved)
    assert response.status_code in (302, 403, 404)
    assert PromotionalUse.objects.count() == 0


def test_the_api_asks_and_the_tester_answers_through_it(approved, manager, participant):
    from rest_framework.test import APIClient

    staff = APIClient()
    staff.force_authenticate(manager)
    response = staff.post(
        "/api/v1/promotional-uses/",
        {**ASK, "submission": approved.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "requested" and response.json()["fee"] == "200.00"
    again = staff.post(
        "/api/v1/promotional-uses/", {**ASK, "submission": approved.pk}, format="json"
    )
    assert again.status_code == 422 and "one open request" in again.json()["detail"]
    tester = APIClient()
    tester.force_authenticate(participant)
    mine = tester.get("/api/v1/promotional-uses/").json()
    assert [row["id"] for row in mine["results"]] == [response.json()["id"]]
    answered = tester.post(
        f"/api/v1/promotional-uses/{response.json()['id']}/answer/", {"accept": True}, format="json"
    )
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    assert answered.json()["ledger_entry"] is not None
    # The manager cannot answer for the tester.
    assert (
        staff.post(
            f"/api/v1/promotional-uses/{response.json()['id']}/answer/", {"accept": False}
        ).status_code
        == 404
    )
