"""In Chromium: the review queue as cards on a phone, the preview and "next item" on the
review page, and the terms editor showing only the chosen pay model's terms."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services
from tests.approvals.conftest import PNG
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(participant, programme, title, **extra):
    values = {"url": "https://example.org/a-rather-long-address/of-an-output.mp4", **extra}
    return services.submission_create(
        actor=participant, programme=programme, title=title, intended_use="social", **values
    )


def _phone(browser, live_server, email):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, email)
    return context, page


def test_on_a_phone_the_queue_rows_are_cards_with_claim_in_reach(
    live_server, browser, programme, participant, reviewer
):
    for n in range(3):
        _submit(participant, programme, f"Storyboard number {n} with a long title")
    context, page = _phone(browser, live_server, reviewer.email)
    page.goto(f"{live_server.url}/review/")
    # Nothing scrolls sideways: not the page, not the table's own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth")
    claim = page.locator("tbody tr").first.locator("button:has-text('Claim')")
    box = claim.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    # Each cell says which column it is, and the bulk action comes before the first card.
    assert "Participant" in page.locator("tbody tr").first.inner_text() or (
        page.locator("tbody td[data-label=Participant]").first.is_visible()
    )
    bulk = page.locator(".bulk-bar button").bounding_box()
    assert bulk["y"] < page.locator("tbody tr").first.bounding_box()["y"]
    page.locator("label:has-text('Select all on this page')").click()
    assert page.locator("input[name=ids]:checked").count() == 3
    page.screenshot(path="var/approvals-queue-phone.png", full_page=True)
    claim.click()
    page.wait_for_url(f"{live_server.url}/review/*/")
    assert "You claimed this item" in page.content()
    context.close()


def test_the_reviewer_sees_the_picture_then_opens_the_next_item(
    live_server, browser, programme, participant, reviewer
):
    picture = _submit(
        participant,
        programme,
        "Still",
        url="",
        upload=SimpleUploadedFile("still.png", PNG, content_type="image/png"),
    )
    following = _submit(participant, programme, "Following")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, reviewer.email)
    page.goto(f"{live_server.url}/review/{picture.pk}/")
    image = page.locator("figure.output-preview img")
    # The picture loads under the page's Content-Security-Policy.
    assert image.evaluate("img => img.complete && img.naturalWidth") == 1
    page.check("input[name=outcome][value=approved]")
    page.click("button:has-text('Record and open the next item')")
    page.wait_for_url(f"{live_server.url}/review/{following.pk}/")
    assert "“Still”: approved." in page.content()
    context.close()


def test_the_terms_editor_shows_only_the_chosen_pay_models_terms(
    live_server, browser, programme, manager
):
    from programs import services as programme_services

    draft = programme_services.terms_draft_create(actor=manager, programme=programme)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, manager.email)
    page.goto(f"{live_server.url}/staff/programmes/{programme.slug}/terms/{draft.number}/")
    chosen = page.locator("select[name=pay_model]").input_value()
    visible = page.locator("fieldset.pay-model:visible")
    assert [v.get_attribute("data-pay-model") for v in visible.all()] in ([chosen], [])
    page.select_option("select[name=pay_model]", "stipend")
    assert page.locator("input[name=stipend_amount]").is_visible()
    assert not page.locator("input[name=hourly_rate]").is_visible()
    page.select_option("select[name=pay_model]", "bounty")
    assert page.locator("input[name=bounty_high]").is_visible()
    assert not page.locator("input[name=stipend_amount]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
