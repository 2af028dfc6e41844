"""Times in the person's time zone: their setting, else the browser's (the cookie `tz` that
static/js/timezone.js sets), else UTC; the label after a time always names the zone shown."""

from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse

from approvals import services as approvals
from core.models import PersonSettings
from participants.models import Consent

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _output(person, programme):
    return approvals.submission_create(
        actor=person,
        programme=programme,
        title="Sunset",
        intended_use="social",
        url="https://example.org/sunset.mp4",
    )


def _home(client) -> str:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def _in_tokyo(when) -> str:
    return when.astimezone(TOKYO).strftime("%Y-%m-%d %H:%M") + " JST"


def _in_utc(when) -> str:
    return when.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%d %H:%M") + " UTC"


def test_the_review_deadline_is_shown_in_the_zone_the_person_chose(client, programme, participant):
    submission = _output(participant, programme)
    client.force_login(participant)
    response = client.post(reverse("account_time_zone"), {"time_zone": "Asia/Tokyo"}, follow=True)
    assert "Your time zone is saved." in response.content.decode()
    assert PersonSettings.objects.get(user=participant).time_zone == "Asia/Tokyo"
    html = _home(client)
    assert f"Deemed approved on {_in_tokyo(submission.due_at)}" in html
    assert _in_utc(submission.due_at) not in html
    detail = client.get(reverse("approvals:output", args=[submission.pk])).content.decode()
    assert f"a decision by {_in_tokyo(submission.due_at)}" in detail


def test_the_setting_follows_the_person_to_a_new_sign_in_and_beats_the_browser(
    programme, participant
):
    _output(participant, programme)
    PersonSettings.objects.create(user=participant, time_zone="Asia/Tokyo")
    browser = Client()
    browser.cookies["tz"] = "Europe/Paris"
    browser.force_login(participant)  # a sign-in copies the setting into the session
    consent = Consent.objects.filter(participation__user=participant).latest("accepted_at")
    page = browser.get(reverse("participants:programme", args=[programme.slug])).content.decode()
    assert _in_tokyo(consent.accepted_at) in page
    assert "CET" not in page and "CEST" not in page


def test_without_a_setting_the_browser_zone_in_the_cookie_is_used(client, programme, participant):
    submission = _output(participant, programme)
    client.force_login(participant)
    client.cookies["tz"] = "Asia/Tokyo"
    html = _home(client)
    assert f"Deemed approved on {_in_tokyo(submission.due_at)}" in html


def test_by_default_times_are_in_utc_and_say_so(client, programme, participant):
    submission = _output(participant, programme)
    client.force_login(participant)
    html = _home(client)
    assert f"Deemed approved on {_in_utc(submission.due_at)}" in html


@pytest.mark.parametrize("cookie", ["Mars/Olympus_Mons", "../../etc/passwd", "x" * 300, ""])
def test_a_cookie_that_names_no_zone_is_ignored(client, programme, participant, cookie):
    submission = _output(participant, programme)
    client.force_login(participant)
    client.cookies["tz"] = cookie
    html = _home(client)
    assert f"Deemed approved on {_in_utc(submission.due_at)}" in html


def test_a_zone_that_does_not_exist_is_refused_with_a_message_and_changes_nothing(
    client, programme, participant
):
    submission = _output(participant, programme)
    PersonSettings.objects.create(user=participant, time_zone="Asia/Tokyo")
    client.force_login(participant)
    for bad in ("Mars/Olympus_Mons", "Asia/Tokyo\nEurope/Paris", "x" * 300):
        response = client.post(reverse("account_time_zone"), {"time_zone": bad}, follow=True)
        assert response.status_code == 200
        assert "We do not know that time zone: choose one from the list." in (
            response.content.decode()
        )
        assert PersonSettings.objects.get(user=participant).time_zone == "Asia/Tokyo"
    assert f"Deemed approved on {_in_tokyo(submission.due_at)}" in _home(client)


def test_choosing_the_browser_zone_again_clears_the_setting(client, programme, participant):
    submission = _output(participant, programme)
    client.force_login(participant)
    client.post(reverse("account_time_zone"), {"time_zone": "Asia/Tokyo"})
    client.post(reverse("account_time_zone"), {"time_zone": ""})
    assert PersonSettings.objects.get(user=participant).time_zone == ""
    page = client.get(reverse("account_time_zone")).content.decode()
    assert "Times on your pages are shown in UTC." in page
    assert f"Deemed approved on {_in_utc(submission.due_at)}" in _home(client)


def test_the_time_zone_page_is_for_signed_in_people(client):
    response = client.get(reverse("account_time_zone"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
