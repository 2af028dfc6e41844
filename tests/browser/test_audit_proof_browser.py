"""In a real browser: an event's proof page checks the proof itself (hashes, path, root and the
checkpoint's signature) with its static script, and says when a proof does not hold."""

import pytest

from audit.models import AuditEvent
from audit.services import record
from audit.tasks import sequence
from tests.conftest import browser_login
from tests.factories import make_participant

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_proof_page_verifies_its_proof_in_the_browser(live_server, page, programme):
    person = make_participant(programme, email="checker@example.com")
    for i in range(6):
        record(action="tests.about.me", subject=person, programme=programme, data={"i": i})
    sequence()
    event = AuditEvent.objects.filter(subject=person).order_by("id")[3]
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and "/audit/" in r.url else None
        ),
    )
    browser_login(page, live_server, "checker@example.com")
    page.goto(f"{live_server.url}/audit/mine/")
    page.click(f"a[href='/audit/proof/{event.pk}/']")
    box = page.locator("#proof-check[data-result]")
    box.wait_for()
    assert box.get_attribute("data-result") == "verified", box.inner_text()
    assert f"Leaf {event.seq - 1} is in the tree of" in box.inner_text()
    assert "signed by key" in box.inner_text() or "no Ed25519" in box.inner_text()
    assert errors == []
    # A proof that does not hold is said to fail: the same page fed a corrupted proof.
    page.route(
        "**/audit/proof/*/?format=json",
        lambda route: route.fulfill(
            json={**route.fetch().json(), "root": "00" * 32},
        ),
    )
    page.reload()
    page.locator("#proof-check[data-result]").wait_for()
    assert page.locator("#proof-check").get_attribute("data-result") == "failed"
