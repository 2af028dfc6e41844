"""The finance pages in French and Japanese: the words, and money and dates as the reader's
language writes them (core.l10n)."""

import pytest

from core import l10n
from tests.i18n.test_staff_pages import FR, JA, _in, _page

pytestmark = pytest.mark.django_db


def _batch(finance, programme, award, approve, participation):
    from compensation import services

    approve(award(participation, "1234.50"))
    return services.batch_create(
        actor=finance,
        programmes=[programme],
        currency="EUR",
        period_start=_jan_2020(),
        period_end=_today(),
        method="file",
    )


def _jan_2020():
    from datetime import date

    return date(2020, 1, 1)


def _today():
    from django.utils import timezone

    return timezone.localdate()


@pytest.mark.parametrize(
    ("headers", "language", "words"),
    [
        (FR, "fr", ["Lot de versement", "Télécharger le CSV", "Grand livre et validations"]),
        (JA, "ja", ["支払バッチ", "CSV をダウンロード", "台帳と承認"]),
    ],
)
def test_a_payout_batch_in_french_and_japanese_with_money_and_dates_so_written(
    client,
    finance,
    programme,
    participation,
    award,
    approve,
    headers,
    language,
    words,
):
    batch = _batch(finance, programme, award, approve, participation)
    client.force_login(finance)
    page = _page(client, f"/finance/batches/{batch.pk}/", headers)
    for word in words:
        assert word in page
    assert _in(language, l10n.money, "1234.50", "EUR") in page  # 1 234,50 € / €1,234.50
    assert _in(language, l10n.day, batch.period_start) in page  # 1 janvier 2020 / 2020年1月1日
    assert "Payout batch" not in page and "Download CSV" not in page
    ledger = _page(client, "/finance/entries/", headers)
    assert _in(language, l10n.money, "1234.50", "EUR") in ledger
    assert ("Écriture" if language == "fr" else "記録") in ledger
