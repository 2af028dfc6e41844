"""In a real browser: a reviewer claims and decides, the participant reads the decision."""

import pytest

from approvals import services
from approvals.models import OutputSubmission
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reviewer_claims_and_rejects_and_the_participant_sees_reason_and_note(
    live_server, browser, programme, participant, reviewer, manager
):
    services.reason_codes_add_defaults(actor=manager, programme=programme)
    s = services.submission_create(
        actor=participant,
        programme=programme,
        title="Night swim",
        intended_use="social",
        url="https://example.org/night-swim.mp4",
    )
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, reviewer.email)
    page.goto(f"{live_server.url}/review/")
    row = page.locator("tr", has_text="Night swim")
    assert "left" in row.inner_text()
    row.locator("button:has-text('Claim')").click()
    page.wait_for_url(f"{live_server.url}/review/{s.pk}/")
    assert "You claimed this item" in page.content()
    page.check("input[name=outcome][value=rejected]")
    page.click("button:has-text('Record the decision')")  # no reason yet
    assert "Choose a reason" in page.content()
    page.check("input[name=outcome][value=rejected]")
    page.select_option("select[name=reason]", label="Depicts a real person")
    page.fill("textarea[name=note]", "The face resembles a famous actor.")
    page.click("button:has-text('Record the decision')")
    page.wait_for_url(f"{live_server.url}/review/")
    assert "rejected" in page.content()
    staff.close()

    own = browser.new_context(viewport={"width": 1280, "height": 900})
    page = own.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, participant.email)
    page.click("text=My submissions, decisions and proof links")
    page.click("text=Night swim")
    text = page.locator("main").inner_text()
    assert "Rejected" in text
    assert "Depicts a real person" in text and "The face resembles a famous actor." in text
    assert "Appeal this rejection" in text
    own.close()
    assert OutputSubmission.objects.get(pk=s.pk).status == "rejected"


def test_the_queue_with_demo_data_shows_the_review_clock_on_every_row(live_server, page, settings):
    """Also leaves screenshots for a human check: var/approvals-*.png."""
    from demo import approvals as approvals_demo
    from demo import base as demo

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    approvals_demo.seed(demo.seed())
    browser_login(page, live_server, "reviewer@example.com")
    page.goto(f"{live_server.url}/review/")
    rows = page.locator("tbody tr")
    assert rows.count() >= 20
    first = rows.first.inner_text()
    assert "left" in first or "overdue" in first
    page.screenshot(path="var/approvals-queue.png", full_page=False)
    rows.first.locator("a").first.click()
    page.screenshot(path="var/approvals-detail.png", full_page=True)
    page.goto(f"{live_server.url}/review/?sort=oldest")
    assert "no deadline" in page.locator("tbody").inner_text()
    page.screenshot(path="var/approvals-queue-oldest.png", full_page=False)


def test_on_a_phone_the_queue_s_first_item_is_on_the_first_screen_behind_folded_filters(
    live_server, browser, programme, participant, reviewer
):
    """At 390 × 844 the filters fold behind one button, so the first card starts on the first
    screen; the button opens them, and a filtered queue keeps the filters after a bulk
    approval."""
    for title in ("Phone first", "Phone second"):
        services.submission_create(
            actor=participant,
            programme=programme,
            title=title,
            intended_use="social",
            url=f"https://example.org/{title.replace(' ', '-')}.mp4",
        )
    phone = browser.new_context(viewport={"width": 390, "height": 844})
    page = phone.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, reviewer.email)
    page.goto(f"{live_server.url}/review/?sort=oldest")
    assert not page.locator("form.filters").is_visible()
    first = page.locator("tbody tr").first.bounding_box()
    assert first["y"] < 844, f"the first item starts at {first['y']} px"
    page.click("summary:has-text('Filters and sort')")
    assert page.locator("form.filters").is_visible()
    page.locator("tbody tr", has_text="Phone first").locator("input[name=ids]").check()
    page.on("dialog", lambda dialog: dialog.accept())
    page.click(".bulk-bar button:has-text('Approve the ticked items')")
    page.wait_for_url(f"{live_server.url}/review/?sort=oldest")
    assert "1 item approved." in page.content()
    phone.close()
    desk = browser.new_context(viewport={"width": 1280, "height": 900})
    page = desk.new_page()
    browser_login(page, live_server, reviewer.email)
    page.goto(f"{live_server.url}/review/")
    assert page.locator("form.filters").is_visible()
    assert not page.locator("summary:has-text('Filters and sort')").is_visible()
    desk.close()
