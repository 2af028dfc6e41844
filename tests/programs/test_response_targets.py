"""Response targets are terms: each version promises, in business days of the programme's
holiday calendar, a first response to a ticket, a triage decision, a decision on a contest
and payment after approval. They are key facts, a longer one is a material change worse for
the tester, and a new programme starts with sensible ones."""

import re
from datetime import datetime

from django.utils import timezone

from core.businessdays import add_business_days
from programs.models import Programme, TermsVersion

from .test_trust_terms import V1, _publish_v2

TARGETS = {
    "first_response_days": "2",
    "triage_days": "5",
    "contest_days": "10",
    "payment_days": "10",
}


def _settings(client, programme, **changes):
    data = {
        "name": programme.name,
        "product": programme.product,
        "summary": programme.summary,
        "currency": programme.currency,
        "reference_hourly_rate": "",
        "approval_threshold": "",
        **changes,
    }
    return client.post(f"/staff/programmes/{programme.slug}/settings/", data)


def test_two_business_days_skip_the_weekend_and_a_holiday_of_the_calendar():
    thursday = timezone.make_aware(datetime(2026, 4, 2, 18, 0))  # Easter Monday is 6 April
    assert add_business_days(thursday, 2).date().isoformat() == "2026-04-06"
    in_france = add_business_days(thursday, 2, "FR")
    assert in_france.date().isoformat() == "2026-04-07" and in_france.hour == 18
    # Good Friday is a holiday in Germany too.
    assert add_business_days(thursday, 2, "DE").date().isoformat() == "2026-04-08"


def test_a_new_programme_s_first_terms_promise_sensible_targets(manager, as_user, programme):
    client = as_user(manager)
    response = client.post(
        "/staff/programmes/new/",
        {"name": "Gamma", "slug": "gamma", "product": "Gamma cam", "currency": "EUR"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    gamma = Programme.objects.get(slug="gamma")
    client.post(f"/staff/programmes/{gamma.slug}/terms/new/")
    draft = TermsVersion.objects.get(programme=gamma, number=1)
    assert (draft.first_response_days, draft.triage_days, draft.contest_days) == (2, 5, 10)
    assert draft.payment_days == 10
    editor = client.get(f"/staff/programmes/{gamma.slug}/terms/1/").content.decode()
    assert "Response targets (business days" in editor
    assert 'name="contest_days"' in editor


def test_the_targets_are_key_facts_counted_in_the_programme_s_calendar(
    programme, manager, as_user, client
):
    staff = as_user(manager)
    assert _settings(staff, programme, holiday_calendar="FR").status_code == 302
    programme.refresh_from_db()
    assert programme.holiday_calendar == "FR"
    _publish_v2(staff, programme, **TARGETS, change_summary="Targets", material_change="on")
    page = client.get(f"/programmes/{programme.slug}/terms/2/").content.decode()
    assert (
        "Promised: a first response to a ticket within 2 business days, a triage decision "
        "within 5 business days, a decision on a contest within 10 business days and payment "
        "after approval within 10 business days (weekends and public holidays in France not "
        "counted)."
    ) in page.replace("&#x27;", "'")


def test_an_unknown_calendar_is_refused_with_the_reason(programme, manager, as_user):
    response = _settings(as_user(manager), programme, holiday_calendar="XX")
    assert response.status_code == 400
    assert "is not a country with a holiday calendar" in response.content.decode()


def test_a_longer_target_is_a_material_change_worse_for_the_tester(programme, manager, as_user):
    staff = as_user(manager)
    _publish_v2(staff, programme, **TARGETS, change_summary="Targets", material_change="on")
    staff.post(f"/staff/programmes/{programme.slug}/terms/new/")
    response = staff.post(
        f"/staff/programmes/{programme.slug}/terms/3/",
        {
            **V1,
            **TARGETS,
            "contest_days": "20",
            "first_response_days": "1",
            "payment_days": "",
            "change_summary": "typo",
            "material_change": "",
            "publish": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TermsVersion.objects.get(programme=programme, number=3).material_change is True
    diff = staff.get(f"/programmes/{programme.slug}/terms/diff/?from=2&to=3").content.decode()
    rows = {
        label: verdict
        for label, verdict in re.findall(
            r'<th scope="row">([^<]+)</th>.*?<td>(?:<span[^>]*>)?([^<]+)', diff
        )
    }
    assert rows["Decision on a contest (business days)"] == "Worse for you"
    assert rows["Payment after approval (business days)"] == "Worse for you"  # none promised
    assert (
        rows["First response to a ticket (business days)"] == "Better for you"
    )  # 2 → 1 business day
