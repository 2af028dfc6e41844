"""Helpers for compensation tests: entries made through the services, never by hand."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from compensation import services
from compensation.models import LedgerEntry
from participants.models import Participation


@pytest.fixture
def participation(programme, participant):
    return Participation.objects.get(user=participant, programme=programme)


@pytest.fixture
def participation2(programme, participant2):
    return Participation.objects.get(user=participant2, programme=programme)


@pytest.fixture
def award(manager):
    """award(participation, "12.34", kind="prize") -> a new accrued entry, via the service."""

    def make(participation, amount, *, kind=LedgerEntry.Kind.PRIZE, currency="EUR", reason="Prize"):
        return services.award_create(
            actor=manager,
            participation=participation,
            kind=kind,
            amount=Decimal(str(amount)),
            currency=currency,
            reason=reason,
        )

    return make


@pytest.fixture
def approve(finance):
    def run(*entries, actor=None):
        return services.entries_approve(actor=actor or finance, entry_ids=[e.pk for e in entries])

    return run


@pytest.fixture
def make_batch(finance, programme):
    def run(*, programmes=None, currency="EUR", actor=None, **kwargs):
        today = timezone.localdate()
        return services.batch_create(
            actor=actor or finance,
            programmes=programmes or [programme],
            currency=currency,
            period_start=today - timedelta(days=30),
            period_end=today,
            **kwargs,
        )

    return run


@pytest.fixture
def pays_in_usd_too(programme, finance):
    """The programme's terms in force pay in USD (the programme counts in EUR), with the rate
    finance recorded: 1 USD = 0.90 EUR from a year ago."""
    from tests.factories import TermsFactory

    TermsFactory(programme=programme, number=2, currency="USD")
    return services.rate_record(
        actor=finance,
        currency="USD",
        programme_currency="EUR",
        rate="0.90",
        valid_from=timezone.localdate() - timedelta(days=365),
        source="ECB reference rate",
    )


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Batch files go to a temporary MEDIA_ROOT, not the project's."""
    settings.MEDIA_ROOT = tmp_path / "media"


def stored(batch, variant: str) -> bytes:
    """A batch's file as finance downloads it (stored encrypted, opened on the way out)."""
    return b"".join(batch.download(variant).stream)
