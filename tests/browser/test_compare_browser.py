"""In a real browser: choose programmes and read their key facts and figures side by side."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_comparison_page_lays_two_programmes_side_by_side(
    live_server, page, programme, other_programme
):
    page.goto(f"{live_server.url}/programmes/compare/")
    page.uncheck("input[value=beta]") if page.is_checked("input[value=beta]") else None
    page.check("input[value=alpha]")
    page.check("input[value=beta]")
    page.click("button:has-text('Compare')")
    page.wait_for_url("**/programmes/compare/?p=*")
    headers = page.locator("table.compare thead th").all_inner_texts()
    assert "Alpha" in headers and "Beta" in headers
    assert (
        page.locator("table.compare tbody tr")
        .first.inner_text()
        .count("Paid €25.00 per hour worked.")
        == 2
    )
    assert page.locator("th[scope=row]", has_text="Participants (active)").count() == 1
    page.screenshot(path="var/compare.png", full_page=True)
