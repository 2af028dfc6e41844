"""Trust rules of the terms: a worse deal is always material and testers see it coming;
terms that make sense; work counts under the terms in force when it was done."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from compensation import services as compensation_services
from compensation.models import LedgerEntry
from core.models import OutboxMessage
from labour import services as labour_services
from labour.models import TimeEntry
from participants.services import access_check
from programs.models import Programme, TermsVersion
from tests.conftest import summarise
from tests.factories import make_participant

from .test_terms_pages import FAIR_FORM

# The programme fixture's terms v1: hourly 25.00 EUR, 5 h a week, 72 h review, 14 days' notice.
V1 = {
    **FAIR_FORM,
    "hourly_rate": "25.00",
    "body": "These are the terms.",
    "review_deadline_hours": "72",
}


def _publish_v2(client, programme, **changes):
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    response = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/", {**V1, **changes, "publish": "1"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return TermsVersion.objects.get(programme=programme, number=2)


def test_a_worse_deal_published_as_a_typo_fix_is_material_whatever_the_box_says(
    programme, manager, participant, as_user
):
    before = timezone.now()
    v2 = _publish_v2(
        as_user(manager),
        programme,
        material_change="",  # unticked
        change_summary="typo fix",
        hourly_rate="1.00",
        expected_hours_per_week="40",
    )
    assert v2.material_change is True
    assert v2.effective_at >= before + timedelta(days=14)  # the notice period of v1
    # Nothing changed yet for work today; once it takes effect, consent first.
    assert access_check(participant, programme).terms.number == 1
    later = access_check(participant, programme, v2.effective_at + timedelta(minutes=1))
    assert later.code == "consent_required"
    # The consent screen names what is worse for the tester.
    page = as_user(participant).get(f"/portal/programmes/{programme.slug}/consent/")
    html = page.content.decode()
    assert "Worse for you:</strong> Expected hours per week, Hourly rate." in html
    # The email says what changed, not only that something did.
    mail = OutboxMessage.objects.get(recipient=participant, subject__startswith="New terms")
    assert "Hourly rate: 25.00 → 1.00 (worse for you)" in mail.body
    assert "Expected hours per week: 5.0 → 40.0 (worse for you)" in mail.body
    assert "takes effect on" in mail.body


def test_the_manager_may_mark_a_text_only_change_material_but_need_not(
    programme, manager, participant, as_user
):
    """Not material only with a second manager's editorial confirmation (issue 29)."""
    from tests.factories import make_staff

    second = make_staff(programme, "manager", email="second-manager@example.com")
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**V1, "material_change": "", "body": "These are the terms!", "save": "1"},
    )
    client.post(f"/staff/programmes/{programme.slug}/terms/2/editorial/", {"request": "1"})
    as_user(second).post(f"/staff/programmes/{programme.slug}/terms/2/editorial/", {"confirm": "1"})
    client = as_user(manager)
    response = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**V1, "material_change": "", "body": "These are the terms!", "publish": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    v2 = TermsVersion.objects.get(programme=programme, number=2)
    assert v2.material_change is False and v2.effective_at <= timezone.now()
    assert access_check(participant, programme).active
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    client.post(
        f"/staff/programmes/{programme.slug}/terms/3/",
        {**V1, "material_change": "on", "body": "Now the terms.", "publish": "1"},
    )
    assert TermsVersion.objects.get(programme=programme, number=3).material_change is True


def test_better_and_worse_changes_are_told_apart_in_the_diff(programme, manager, as_user):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    preview = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**V1, "hourly_rate": "40.00", "appeals_allowed": "", "preview": "1"},
    ).content.decode()
    assert "<strong>This is a material change</strong>" in preview
    assert "Worse for testers: Appeals allowed." in preview


def test_testers_see_a_coming_change_on_the_portal_and_their_programme_page_until_they_accept(
    programme, manager, participant, as_user
):
    v2 = _publish_v2(as_user(manager), programme, hourly_rate="20.00")
    when = f"{v2.effective_at:%Y-%m-%d %H:%M}"
    client = as_user(participant)
    home = client.get("/portal/").content.decode()
    assert "Needs your action" in home
    assert f"version 2 changes the deal and takes effect on {when} UTC" in home
    assert "Worse for you:</strong> Hourly rate." in home
    page = client.get(f"/portal/programmes/{programme.slug}/").content.decode()
    assert f"New terms from {when} UTC" in page
    # The cut is red and said in words (issue 33: it was the new value on green).
    assert '<td class="diff-before">25.00</td><td class="diff-worse">20.00</td>' in page
    client.post(
        f"/portal/programmes/{programme.slug}/consent/",
        {"terms_hash": v2.content_hash, "accept": "on"},
    )
    assert "changes the deal" not in client.get("/portal/").content.decode()


def test_incoherent_numbers_are_refused_on_preview_save_and_publish(programme, manager, as_user):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    bad_values = [
        ({"expected_hours_per_week": "-5"}, "Expected hours cannot be negative."),
        ({"hourly_rate": "-1"}, "Amounts cannot be negative."),
        ({"nda": "on", "nda_until": yesterday}, "The NDA end date is in the past"),
    ]
    tried = 0
    for values, message in bad_values:
        for button in ("preview", "save", "publish"):
            response = client.post(
                f"/staff/programmes/{programme.slug}/terms/2/", {**V1, **values, button: "1"}
            )
            tried += 1
            assert response.status_code == 400, (values, button)
            assert message in response.content.decode(), (values, button)
    draft = TermsVersion.objects.get(programme=programme, number=2)
    assert draft.status == "draft" and draft.hourly_rate == Decimal("25.00")
    for field in ("reference_hourly_rate", "approval_threshold"):
        response = client.post(
            f"/staff/programmes/{programme.slug}/settings/",
            {"name": "Alpha", "product": "x", "currency": "EUR", field: "-3"},
        )
        tried += 1
        assert (
            response.status_code == 400 and "This cannot be negative." in response.content.decode()
        )
    programme.refresh_from_db()
    assert programme.reference_hourly_rate is None and programme.approval_threshold is None
    print(f"FIGURE terms validation: {tried} bad inputs tried, 0 saved")
    summarise(inputs=tried)


def test_an_unpaid_version_never_shows_the_rate_of_the_one_before(
    programme, manager, participant, as_user
):
    v2 = _publish_v2(as_user(manager), programme, pay_model="unpaid", hourly_rate="20.00")
    assert v2.pay_model == "unpaid" and v2.hourly_rate is None
    html = as_user(participant).get(f"/portal/programmes/{programme.slug}/consent/").content
    consent = html.decode().split("<h2>The full terms</h2>")[1]
    assert "Hourly rate" not in consent and "20.00" not in consent
    assert "Unpaid." in html.decode()


def test_hours_before_joining_or_before_consenting_are_refused(programme, as_user):
    newcomer = make_participant(programme, email="late@example.com")
    participation = newcomer.participations.get()
    joined = timezone.now() - timedelta(days=3)
    type(participation).objects.filter(pk=participation.pk).update(joined_at=joined)
    client = as_user(newcomer)
    day = (timezone.localdate() - timedelta(days=10)).isoformat()
    response = client.post(
        "/hours/",
        {"programme": programme.pk, "date": day, "minutes": 60, "activity": "testing"},
    )
    assert response.status_code == 400
    assert "time before that cannot be logged here" in response.content.decode()
    # Consented only today (a fresh participant of a programme whose terms came yesterday).
    fresh = Programme.objects.create(name="Fresh", slug="fresh", product="x", status="running")
    from tests.factories import TermsFactory

    TermsFactory(programme=fresh)
    from participants.models import Consent, Participation

    other = make_participant(fresh, user=newcomer, consent=False)
    assert other == newcomer
    p = Participation.objects.get(user=newcomer, programme=fresh)
    Participation.objects.filter(pk=p.pk).update(joined_at=timezone.now() - timedelta(days=30))
    terms = fresh.terms.get()
    Consent.objects.create(
        participation=p,
        terms_version=terms,
        terms_hash=terms.content_hash,
        accepted_at=timezone.now(),
    )
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client.post(
        "/hours/", {"programme": fresh.pk, "date": yesterday, "minutes": 60, "activity": "testing"}
    )
    assert response.status_code == 400
    assert "was not worked under terms you had agreed to" in response.content.decode()
    assert not TimeEntry.objects.filter(user=newcomer).exists()


def test_hourly_pay_uses_the_rate_in_force_on_the_day_worked(
    programme, manager, reviewer, participant, as_user
):
    programme.terms.update(notice_period_days=0)
    v1 = programme.terms.get()
    TermsVersion.objects.filter(pk=v1.pk).update(content_hash=v1.compute_hash())
    yesterday = timezone.localdate() - timedelta(days=1)
    old = labour_services.time_entry_log(
        actor=participant, programme=programme, date=yesterday, minutes=60, activity="testing"
    )
    # v1 said 0 days' notice: a better rate takes effect now, after consent.
    v2 = _publish_v2(as_user(manager), programme, hourly_rate="40.00", notice_period_days="0")
    as_user(participant).post(
        f"/portal/programmes/{programme.slug}/consent/",
        {"terms_hash": v2.content_hash, "accept": "on"},
    )
    new = labour_services.time_entry_log(
        actor=participant,
        programme=programme,
        date=timezone.localdate(),
        minutes=60,
        activity="testing",
    )
    as_user(reviewer).post(
        "/hours/queue/review/", {"entries": [old.pk, new.pk], "decision": "confirm"}
    )
    compensation_services.accrue_hourly(programme=programme)
    amounts = {
        e.earned_on: e.amount for e in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.HOURLY)
    }
    assert amounts == {yesterday: Decimal("25.00"), timezone.localdate(): Decimal("40.00")}
