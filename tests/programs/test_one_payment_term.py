"""One payment-date term (issue 33 with issue 34): the terms promise payment in business days
after approval (`payment_days`), counted on the programme's holiday calendar, and the
statement's expected payment date uses that same clock. The calendar-day term that issue 33
had added is gone, its values carried over by the migration, never to a later date."""

from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from compensation import services
from compensation.models import LedgerEntry
from labour import services as labour
from programs.models import TermsVersion
from tests.support.migrations import migrate_to, newest


def test_the_expected_payment_date_skips_weekends_and_the_programme_s_holidays(
    as_user, programme, participant, reviewer, finance, monkeypatch
):
    programme.holiday_calendar = "FR"
    programme.save(update_fields=["holiday_calendar"])
    TermsVersion.objects.filter(programme=programme).update(payment_days=2)
    entry = labour.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate() - timedelta(days=1),
        minutes=60,
        activity="testing",
    )
    labour.time_entry_confirm(actor=reviewer, entry=entry)
    services.accrue_hourly(programme=programme)
    hourly = LedgerEntry.objects.get(participation__user=participant, kind="hourly")
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    assert (
        "Once approved, it is expected in your bank within 2 business days (weekends and "
        "public holidays in France not counted)." in page
    )
    # Approved on Thursday 24 December: Christmas Day is a French holiday, then the weekend.
    thursday = timezone.make_aware(datetime(2026, 12, 24, 10, 0))
    with monkeypatch.context() as clock:
        clock.setattr(timezone, "now", lambda: thursday)
        services.entries_approve(actor=finance, entry_ids=[hourly.pk])
    page = as_user(participant).get(reverse("compensation:statement")).content.decode()
    assert (
        "Expected in your bank by 29 Dec 2026 (the terms: within 2 business days of approval)."
        in page
    )
    assert "payment_within_days" not in page and "days of the work being confirmed" not in page


def test_the_terms_editor_and_the_terms_page_have_one_payment_term(manager, as_user, programme):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    draft = TermsVersion.objects.get(programme=programme, status="draft")
    editor = client.get(f"/staff/programmes/{programme.slug}/terms/{draft.number}/")
    assert 'name="payment_days"' in editor.content.decode()
    assert 'name="payment_within_days"' not in editor.content.decode()
    assert not hasattr(TermsVersion, "payment_within_days")
    assert "payment_within_days" not in TermsVersion.TERMS_FIELDS


@pytest.mark.django_db(transaction=True)
def test_the_migration_carries_calendar_days_over_to_no_later_business_days():
    latest = newest("programs")
    old = migrate_to([("programs", "0015_terms_translations")])
    Programme = old.get_model("programs", "Programme")
    Terms = old.get_model("programs", "TermsVersion")
    programme = Programme.objects.create(name="Old", slug="old", product="Old cam")
    carried = {}
    for number, (within, days) in enumerate([(30, None), (45, 10), (7, None), (None, 4)], 1):
        carried[number] = Terms.objects.create(
            programme=programme, number=number, payment_within_days=within, payment_days=days
        ).pk
    migrate_to(latest)
    after = dict(
        TermsVersion.objects.filter(pk__in=carried.values()).values_list("pk", "payment_days")
    )
    # 30 calendar days are 21 business days at most; where 10 were promised too, 10 stay.
    assert [after[carried[n]] for n in (1, 2, 3, 4)] == [21, 10, 5, 4]
