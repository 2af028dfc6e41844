"""Raw SQL from any client cannot edit or delete a decision, an appeal or a consent.

The ledger and the audit log have their own tests (tests/compensation/test_postgres.py,
tests/audit/test_chain.py); this covers the other append-only records. Each statement is
tried as raw SQL, the way someone with a database shell would, and must be refused by the
PostgreSQL trigger; the row must read back exactly as written.

Figure: statements tried, statements that went through (must be 0).
"""

import pytest
from django.db import DatabaseError, connection, transaction

from approvals import services as approvals
from approvals.models import Appeal, ReviewDecision
from participants.models import Consent
from tests.conftest import summarise

pytestmark = pytest.mark.django_db


def _refused(sql, params) -> bool:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except DatabaseError as exc:
        assert "append-only" in str(exc)
        return True
    return False


@pytest.mark.postgres
def test_postgresql_refuses_update_and_delete_of_decisions_appeals_and_consents(
    programme, participant, reviewer, manager
):
    approvals.reason_codes_add_defaults(actor=manager, programme=programme)
    reason = programme.reason_codes.filter(active=True).first()
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Tamper",
        intended_use="social",
        url="https://example.org/tamper.mp4",
    )
    approvals.submission_decide(
        submission=submission, actor=reviewer, outcome="rejected", reason=reason
    )
    approvals.submission_appeal(actor=participant, submission=submission, note="Please look again")
    decision = ReviewDecision.objects.get(submission=submission)
    appeal = Appeal.objects.get(submission=submission)
    consent = Consent.objects.get(participation__user=participant)
    before = (
        list(ReviewDecision.objects.filter(pk=decision.pk).values()),
        list(Appeal.objects.filter(pk=appeal.pk).values()),
        list(Consent.objects.filter(pk=consent.pk).values()),
    )
    statements = [
        ("UPDATE approvals_reviewdecision SET outcome = 'approved' WHERE id = %s", decision.pk),
        ("UPDATE approvals_reviewdecision SET note = 'edited' WHERE id = %s", decision.pk),
        ("UPDATE approvals_reviewdecision SET reviewer_id = NULL WHERE id = %s", decision.pk),
        ("DELETE FROM approvals_reviewdecision WHERE id = %s", decision.pk),
        ("UPDATE approvals_appeal SET note = 'edited' WHERE id = %s", appeal.pk),
        ("DELETE FROM approvals_appeal WHERE id = %s", appeal.pk),
        ("UPDATE participants_consent SET terms_hash = 'forged' WHERE id = %s", consent.pk),
        (
            "UPDATE participants_consent SET accepted_at = accepted_at - interval '1 year' "
            "WHERE id = %s",
            consent.pk,
        ),
        ("DELETE FROM participants_consent WHERE id = %s", consent.pk),
    ]
    went_through = [sql for sql, pk in statements if not _refused(sql, [pk])]
    after = (
        list(ReviewDecision.objects.filter(pk=decision.pk).values()),
        list(Appeal.objects.filter(pk=appeal.pk).values()),
        list(Consent.objects.filter(pk=consent.pk).values()),
    )
    summarise(inputs=len(statements))
    print(
        f"\nFIGURE tampering with decisions, appeals and consents: {len(statements)} raw SQL "
        f"statements tried, {len(went_through)} went through"
    )
    assert went_through == []
    assert after == before


def test_the_models_refuse_to_edit_or_delete_a_consent_or_a_decision(
    programme, participant, reviewer
):
    """The Python guard says so in words a person understands, on any database."""
    from core.db import AppendOnlyError

    consent = Consent.objects.get(participation__user=participant)
    with pytest.raises(AppendOnlyError, match="never edited or deleted"):
        Consent.objects.filter(pk=consent.pk).update(terms_hash="x")
    with pytest.raises(AppendOnlyError):
        consent.delete()
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Guard",
        intended_use="social",
        url="https://example.org/guard.mp4",
    )
    decision = approvals.submission_decide(
        submission=submission, actor=reviewer, outcome="approved"
    )
    decision.note = "edited"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        ReviewDecision.objects.filter(pk=decision.pk).delete()
