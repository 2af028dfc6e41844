"""Fixtures of the publicity tests: terms that allow promotion with consent per use (200 EUR a
use, with the tester's name) and training decided per output; an approved output."""

from decimal import Decimal

import pytest

from approvals import services as approvals
from audit.services import record
from programs.models import TermsVersion


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def set_terms(programme, **fields):
    terms = TermsVersion.objects.get(programme=programme, number=1)
    for name, value in fields.items():
        setattr(terms, name, value)
    terms.content_hash = terms.compute_hash()
    terms.save()
    # As a draft's update would: the event binding the version as it now is (audit.binding).
    record(action="programs.terms.draft_updated", obj=terms, programme=programme)
    return terms


@pytest.fixture
def promo_terms(programme):
    return set_terms(
        programme,
        promotional_use="consent",
        promotion_fee=Decimal("200.00"),
        promotion_credit="named",
        training_use="per_output",
    )


@pytest.fixture
def approved(promo_terms, programme, participant, reviewer):
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Night swim",
        intended_use="social",
        url="https://example.org/night-swim.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=submission)
    approvals.submission_decide(submission=submission, actor=reviewer, outcome="approved")
    submission.refresh_from_db()
    assert submission.is_approved and submission.verify_token
    return submission
