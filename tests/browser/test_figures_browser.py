"""In a real browser: every public figure is readable inside its card, on a wide and a narrow screen."""

import pytest

from programs.models import Programme
from transparency import figures as transparency

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _outside(page) -> list[str]:
    """Labels of the figures whose value is drawn outside the card that holds it."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.figures .card dd')].filter(dd => {
            const card = dd.closest('.card').getBoundingClientRect();
            const box = dd.getBoundingClientRect();
            return box.right > card.right + 0.5 || box.left < card.left - 0.5 || box.width === 0;
        }).map(dd => dd.previousElementSibling.innerText)"""
    )


@pytest.mark.parametrize("width", [1200, 380])
def test_every_figure_sits_inside_its_card(live_server, page, width):
    from demo import seed

    seed()
    programme = Programme.objects.get(slug="artist-alpha")  # the criticised terms
    transparency.refresh(programme)
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/programmes/{programme.slug}/")
    assert page.locator(".figures .card dd").count() > 20
    assert _outside(page) == []
    assert "None" not in page.locator(".figures").inner_text()
