"""Status and kind labels: shown in the reader's language, stored in English.

The labels of a ledger entry's kind and state, a batch's status, a payment method (the model
choices) are marked lazily, so a page shows them in its reader's language. Text that is
stored (a ledger entry's description, a notification's body) takes the English label
(`core.l10n.english`), whoever's action wrote it and whatever language they read.
"""

import html

import pytest
from django.utils import translation

from compensation import services
from compensation.models import LedgerEntry
from core.models import OutboxMessage

pytestmark = [pytest.mark.django_db]

FR = {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}


def test_a_french_page_shows_the_entry_kind_and_state_in_french(
    client, finance, award, participation
):
    entry = award(participation, "40", kind=LedgerEntry.Kind.GRANT, reason="Travel grant")
    client.force_login(finance)
    fr = html.unescape(client.get(f"/finance/entries/{entry.pk}/", **FR).content.decode())
    assert "Bourse" in fr and "Acquis" in fr
    assert ">Accrued<" not in fr
    en = html.unescape(client.get(f"/finance/entries/{entry.pk}/").content.decode())
    assert "Accrued" in en


def test_text_stored_while_the_actor_reads_french_is_in_english(award, participation):
    with translation.override("fr"):
        entry = award(participation, "40", kind=LedgerEntry.Kind.GRANT, reason="Voyage")
        services.payout_details_set(
            actor=participation.user,
            legal_name="Ada Lovelace",
            country="FR",
            method="bank",
            iban="DE89370400440532013000",
        )
    entry.refresh_from_db()
    assert entry.description == "Grant: Voyage"
    body = OutboxMessage.objects.filter(recipient=participation.user).latest("pk").body
    assert "Bank account (IBAN)" in body and "Compte bancaire" not in body
