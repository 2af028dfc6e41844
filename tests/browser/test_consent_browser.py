"""In a real browser: the consent screen puts the key facts first and records the consent."""

import pytest

from participants.models import Consent
from tests.conftest import browser_login
from tests.factories import make_participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_consent_screen_shows_key_facts_then_records_the_accepted_version(
    live_server, page, programme
):
    make_participant(programme, consent=False, email="consenting@example.com")
    browser_login(page, live_server, "consenting@example.com")
    assert "Accept the terms of Alpha" in page.content()  # the portal's "Needs your action"
    page.click("text=Read and accept the terms")
    page.wait_for_url("**/consent/**")
    facts = page.locator("section.keyfacts")
    assert facts.is_visible()
    assert "Paid €25.00 per hour worked." in facts.inner_text()
    # Key facts come before the form on the page.
    assert facts.bounding_box()["y"] < page.locator("form.card").first.bounding_box()["y"]
    page.click("button:has-text('Accept version 1')")  # without ticking the box
    assert "Tick the box to accept the terms" in page.content()
    page.check("input[name=accept]")
    page.click("button:has-text('Accept version 1')")
    page.wait_for_url(f"{live_server.url}/portal/programmes/alpha/")
    assert "You accepted version 1 of the terms." in page.content()
    page.screenshot(path="var/consent-after.png", full_page=True)
    consent = Consent.objects.get(participation__user__email="consenting@example.com")
    assert consent.terms_hash == programme.terms.get().content_hash
