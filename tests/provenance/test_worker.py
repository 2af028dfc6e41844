"""With PostgreSQL, Redis and a real Celery worker: a 20 MB video approved in a request is
signed by the worker after the approval commits, and read back valid."""

import pytest

from provenance.models import Credential
from tests.conftest import start_worker, stop_worker, wait_for

from .conftest import approve, mp4_bytes, read_signed, submit_file


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_signs_a_20_mb_video_after_the_approval_commits(
    programme, participant, reviewer, settings
):
    worker = start_worker("provenance", MEDIA_ROOT=str(settings.MEDIA_ROOT))
    try:
        video = mp4_bytes(payload=20 * 1024 * 1024)
        submission = submit_file(participant, programme, video, "long.mp4", "video/mp4")
        approve(submission, reviewer)  # commits: the worker gets the credential's id
        credential = Credential.objects.get(entry__submission=submission)
        wait_for(
            lambda: Credential.objects.get(pk=credential.pk).status != "pending",
            timeout=120,
            what="the worker to sign the video",
        )
        credential.refresh_from_db()
        assert credential.status == "signed", credential.error
        assert credential.size > len(video)
        reading = read_signed(credential.entry)
        assert reading.ok and reading.label == credential.manifest_label
    finally:
        stop_worker(worker)
