"""In a real browser: the proof page checks a file (or the address) against the output's hash
with Web Crypto, nothing uploaded, and says plainly when it does not match (issue 33: it used
to ask for `sha256sum`)."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from approvals import services as approvals

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _approved(programme, participant, reviewer, **content):
    submission = approvals.submission_create(
        actor=participant, programme=programme, title="Night swim", intended_use="social", **content
    )
    approvals.submission_claim(actor=reviewer, submission=submission)
    approvals.submission_decide(submission=submission, actor=reviewer, outcome="approved")
    submission.refresh_from_db()
    return submission


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_the_proof_page_checks_a_dropped_file_and_an_address_in_the_browser(
    live_server, page, programme, participant, reviewer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    upload = SimpleUploadedFile("swim.png", _png(), content_type="image/png")
    with_file = _approved(programme, participant, reviewer, upload=upload)
    page.goto(f"{live_server.url}/verify/{with_file.verify_token}/")
    assert "sha256sum" not in page.content()
    with_file.file.open("rb")
    stored = with_file.file.read()
    page.set_input_files(
        "#file-check-input", files=[{"name": "swim.png", "mimeType": "image/png", "buffer": stored}]
    )
    result = page.locator("#file-check-result[data-result]")
    result.wait_for()
    assert result.get_attribute("data-result") == "match", result.inner_text()
    page.set_input_files(
        "#file-check-input",
        files=[{"name": "other.png", "mimeType": "image/png", "buffer": stored + b"x"}],
    )
    page.wait_for_function(
        "document.getElementById('file-check-result').dataset.result === 'mismatch'"
    )
    assert "does not match" in result.inner_text()

    by_address = _approved(programme, participant, reviewer, url="https://example.org/swim.mp4")
    page.goto(f"{live_server.url}/verify/{by_address.verify_token}/")
    page.fill("#file-check-url", "https://example.org/swim.mp4")
    page.click("#file-check-url-button")
    page.locator("#file-check-result[data-result]").wait_for()
    assert page.locator("#file-check-result").get_attribute("data-result") == "match"
    assert errors == []
