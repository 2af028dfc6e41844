"""One two-person limit whatever the currency (issue 28), through the award, approval,
rates and programme settings pages: an award in a currency the programme does not pay in
is refused; pay in another currency its terms list counts against the limit converted at
the rate finance recorded (a missing rate refuses, saying which); the threshold is never
emptied, and the person who last awarded pay does not raise it.
"""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from compensation.models import ExchangeRate, LedgerEntry
from core.errors import DomainError
from programs.models import Programme, ProgrammeRole
from tests.factories import TermsFactory, make_staff

pytestmark = pytest.mark.django_db


def award_through_the_page(client, programme, participant, amount, currency):
    return client.post(
        reverse("compensation:award_new"),
        {
            "programme": programme.pk,
            "participant_email": participant.email,
            "kind": "grant",
            "amount": amount,
            "currency": currency,
            "reason": "Travel to the studio",
            "once": f"{amount}-{currency}",
        },
        follow=True,
    )


def test_an_award_in_a_currency_the_programme_does_not_pay_in_is_refused(
    as_user, manager, programme, participant
):
    client = as_user(manager)
    for currency in ("KWD", "USD", "GBP", "BHD"):
        page = award_through_the_page(client, programme, participant, "999.00", currency)
        assert page.status_code == 400
        assert f"Alpha pays in EUR; an award in {currency} is refused." in page.content.decode()
    assert not LedgerEntry.objects.exists()


def test_pay_in_another_currency_needs_a_recorded_rate_and_counts_converted(
    as_user, manager, finance, programme, participant
):
    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("1000.00"))
    TermsFactory(programme=programme, number=2, currency="USD")  # the terms pay in USD
    client = as_user(manager)
    page = award_through_the_page(client, programme, participant, "999.00", "USD")
    assert page.status_code == 400
    assert "No exchange rate from USD to EUR valid on" in page.content.decode()
    # Finance records the rate, with its source; it is audited and listed.
    client.force_login(finance)
    recorded = client.post(
        reverse("compensation:rates"),
        {
            "currency": "usd",
            "programme_currency": "EUR",
            "rate": "0.90",
            "valid_from": "2020-01-01",
            "source": "ECB reference rate",
        },
        follow=True,
    ).content.decode()
    assert "Rate recorded: 1 USD = 0.9 EUR from 2020-01-01." in recorded
    assert AuditEvent.objects.filter(action="compensation.rate.recorded").count() == 1
    client.force_login(manager)
    assert (
        award_through_the_page(client, programme, participant, "999.00", "USD").status_code == 200
    )
    usd = LedgerEntry.objects.get(currency="USD")
    client.force_login(finance)
    client.post(reverse("compensation:entry_approve", args=[usd.pk]))
    usd.refresh_from_db()
    assert usd.state == "approved"  # 899.10 EUR: one approver is enough
    # 150 EUR more in the same month: 1049.10 EUR in all, above the 1000 EUR threshold.
    client.force_login(manager)
    award_through_the_page(client, programme, participant, "150.00", "EUR")
    eur = LedgerEntry.objects.get(currency="EUR")
    client.force_login(finance)
    page = client.post(reverse("compensation:entry_approve", args=[eur.pk]), follow=True)
    assert "a second person must approve" in page.content.decode()
    eur.refresh_from_db()
    assert eur.state == "accrued" and eur.approved_by == finance
    # A rate is never edited: the same pair and day again is refused.
    again = client.post(
        reverse("compensation:rates"),
        {
            "currency": "USD",
            "programme_currency": "EUR",
            "rate": "0.95",
            "valid_from": "2020-01-01",
            "source": "typo",
        },
    )
    assert again.status_code == 400 and "already recorded" in again.content.decode()
    assert ExchangeRate.objects.count() == 1


def settings_form(programme, **changes):
    data = {
        "name": programme.name,
        "product": programme.product,
        "summary": programme.summary,
        "currency": programme.currency,
        "reference_hourly_rate": "",
        "approval_threshold": programme.approval_threshold or "",
        "tax_forms": [],
    }
    return {**data, **changes}


def test_the_threshold_is_never_emptied_and_the_last_awarder_does_not_raise_it(
    as_user, manager, programme, participant, award
):
    Programme.objects.filter(pk=programme.pk).update(approval_threshold=Decimal("1000.00"))
    programme.refresh_from_db()
    award(participant.participations.get(programme=programme), "900.00")  # by `manager`
    client = as_user(manager)
    url = reverse("programs:staff_settings", args=[programme.slug])
    emptied = client.post(url, settings_form(programme, approval_threshold=""))
    assert emptied.status_code == 400
    assert "it can be changed, never removed" in emptied.content.decode()
    raised = client.post(url, settings_form(programme, approval_threshold="50000"))
    assert raised.status_code == 400
    assert "You made the last award in this programme" in raised.content.decode()
    programme.refresh_from_db()
    assert programme.approval_threshold == Decimal("1000.00")
    # Lowering it is always possible; another manager may raise it.
    assert client.post(url, settings_form(programme, approval_threshold="500")).status_code == 302
    colleague = make_staff(programme, ProgrammeRole.Role.MANAGER, email="m2@example.com")
    client.force_login(colleague)
    programme.refresh_from_db()
    assert client.post(url, settings_form(programme, approval_threshold="2000")).status_code == 302
    programme.refresh_from_db()
    assert programme.approval_threshold == Decimal("2000.00")


# --- Figures tell pay from reimbursement ------------------------------------------------------


def test_a_travel_reimbursement_is_not_pay_in_hourly_figures_and_is_shown_apart(
    as_user,
    client,
    programme,
    participant,
    participation,
    reviewer,
    manager,
    finance,
    approve,
    make_batch,
):
    from compensation import services
    from labour import services as labour

    entry = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=600,
        activity="testing",
    )
    labour.time_entry_confirm(actor=reviewer, entry=entry)
    client = as_user(manager)
    for kind, amount, reason in (
        ("prize", "100.00", "Best report"),
        ("expenses", "1200.00", "Travel to the launch screening"),
    ):
        client.post(
            reverse("compensation:award_new"),
            {
                "programme": programme.pk,
                "participant_email": participant.email,
                "kind": kind,
                "amount": amount,
                "currency": "EUR",
                "reason": reason,
                "once": kind,
            },
        )
    approve(*LedgerEntry.objects.filter(programme=programme, source_type="manual"))
    services.batch_mark_paid(
        actor=finance, batch=make_batch(), reference="P1", paid_on=timezone.localdate()
    )
    assert LedgerEntry.objects.get(kind="expenses").state == "paid"
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    page = re.sub(r'<td data-label="[^"]*">', "<td>", page)  # the phone layout's labels
    # 100 EUR paid, none pending; the prize is not pay for labour and the 1,200 EUR of travel
    # is not pay at all: per confirmed hour 0.00 earned and 0.00 paid, not 130.00.
    assert "<td>EUR</td><td>100.00</td><td>0.00</td><td>0.00</td><td>0.00</td>" in page
    assert "not pay and left out of these figures: 1200.00 EUR" in page
    figures = client.get(f"/programmes/{programme.slug}/figures.json").json()
    assert figures["pay"]["by_currency"]["EUR"]["paid"] == "100.00"
    assert figures["pay"]["reimbursed_by_currency"] == {"EUR": "1200.00"}


def test_approving_an_exported_or_paid_entry_is_refused_and_changes_nothing(
    programme, participation, manager, finance, make_batch
):
    """Found by the books' property test after returns became possible: an exported entry
    "approved" again went back to approved while still in its batch."""
    from compensation import services

    entry = services.award_create(
        actor=manager, participation=participation, kind="prize", amount="5.00",
        currency="EUR", reason="p",
    )  # fmt: skip
    services.entry_approve(actor=finance, entry=entry)
    batch = make_batch(currency="EUR")
    entry.refresh_from_db()
    assert entry.state == "exported" and entry.batch_id == batch.pk
    with pytest.raises(DomainError, match="already exported"):
        services.entry_approve(actor=finance, entry=entry)
    entry.refresh_from_db()
    assert entry.state == "exported" and entry.batch_id == batch.pk
