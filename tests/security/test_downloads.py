"""Files leave the product through one checked path, never straight from MEDIA_ROOT."""

import importlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import clear_url_caches

from approvals import services as approvals
from feedback import services as feedback

# A real 1×1 PNG: images are decoded and re-encoded on upload (core.uploads).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture
def files(settings, tmp_path, programme, participant):
    settings.MEDIA_ROOT = tmp_path / "media"
    ticket = feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Crash",
        description="d",
        severity="low",
        attachments=[SimpleUploadedFile("shot.png", PNG, content_type="image/png")],
    )
    output = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Still",
        intended_use="social",
        upload=SimpleUploadedFile("still.png", PNG, content_type="image/png"),
    )
    return {"attachment": ticket.attachments.get(), "output": output}


def test_every_file_goes_out_as_a_download_that_cannot_run_or_be_cached(
    files, participant, as_user
):
    client = as_user(participant)
    for url in (
        f"/tickets/attachments/{files['attachment'].pk}/",
        f"/outputs/{files['output'].pk}/file/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Content-Disposition"].startswith("attachment"), url
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("sandbox")
        assert response["Cache-Control"] == "no-store"


def test_an_outsider_gets_no_file_and_anonymous_is_sent_to_log_in(files, outsider, as_user, db):
    from django.test import Client

    url = f"/outputs/{files['output'].pk}/file/"
    assert as_user(outsider).get(url).status_code == 404
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_media_root_is_not_served_even_with_debug_on(files, client, participant):
    import config.urls

    with override_settings(DEBUG=True):
        clear_url_caches()
        importlib.reload(config.urls)
        try:
            client.force_login(participant)
            name = files["attachment"].file.name
            assert client.get(f"/media/{name}").status_code == 404
        finally:
            clear_url_caches()
    importlib.reload(config.urls)
    clear_url_caches()
