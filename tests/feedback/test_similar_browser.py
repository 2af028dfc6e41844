"""In a real browser: likely duplicates appear while a tester types a ticket's title."""

import pytest

from tests.browser.test_every_page_browser import AXE, AXE_RUN, OVERFLOW
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [1280, 390])
def test_typing_a_title_lists_similar_tickets_the_tester_may_see(
    live_server, browser, programme, participant, mine, private, width
):
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.add_init_script(path=str(AXE))
    page = context.new_page()
    page.set_default_timeout(15000)
    browser_login(page, live_server, participant.email)
    page.goto(f"{live_server.url}/tickets/new/")
    box = page.locator("#similar-tickets")
    assert box.is_hidden()
    page.select_option("#id_programme", str(programme.pk))
    page.fill("#id_title", "Video freezes at frame 50")
    link = box.locator("a").first
    link.wait_for(state="visible")
    assert link.inner_text() == f"#{mine[0].pk} Video freezes at frame 48"
    listed = box.inner_text()
    assert "frame 49" not in listed  # participant2's ticket
    assert "Login button" not in listed
    assert page.evaluate(OVERFLOW) is None
    assert page.evaluate(AXE_RUN) == []
    page.fill("#id_title", "")
    box.wait_for(state="hidden")
    page.fill("#id_title", "Video freezes at frame 50")
    box.locator("a").first.click()
    page.wait_for_url(f"{live_server.url}/tickets/{mine[0].pk}/")
    context.close()
