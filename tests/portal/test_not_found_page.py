"""An unknown address shows the product's own 404 page (issue 33): its navigation, a way back,
the reason when a page gave one in a sentence, never a list of routes. `make run` runs with
DEBUG off for the same reason (tests/runs/test_embedded_run.py checks it on the real run)."""

from pathlib import Path

from tests.conftest import ROOT


def test_an_unknown_address_shows_the_product_s_404_page(client, participant, as_user):
    response = client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html and 'href="/programmes/"' in html
    assert "Resolver404" not in html and "urlpatterns" not in html
    # A page's own reason, a sentence, is said.
    response = as_user(participant).get("/publicity/programmes/nowhere/credit/")
    assert response.status_code == 404 and "<h1>Page not found</h1>" in response.content.decode()
    verify = client.get("/verify/not-a-token/").content.decode()
    assert "(No approved output has this verification link.)" in verify


def test_make_run_serves_with_debug_off_and_its_static_files_collected():
    script = Path(ROOT / "scripts" / "run.sh").read_text()
    assert 'export DEBUG="${DEBUG:-false}"' in script
    assert "collectstatic --noinput" in script
