"""With PostgreSQL, Redis and a real Celery worker: a 20 MB video approved in a request is
signed by the worker after the approval commits, and read back valid."""

import pytest
from django.conf import settings as django_settings

from provenance.models import Credential
from tests.conftest import wait_for

from .conftest import approve, mp4_bytes, read_signed, submit_file


@pytest.mark.postgres
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_real_worker_signs_a_20_mb_video_after_the_approval_commits(
    celery_worker_process, programme, participant, reviewer, settings
):
    # The session's worker reads uploads where the run keeps them (its MEDIA_ROOT).
    settings.MEDIA_ROOT = django_settings.BASE_DIR / "media"
    video = mp4_bytes(large=True)
    submission = submit_file(participant, programme, video, "long.mp4", "video/mp4")
    approve(submission, reviewer)  # commits: the worker gets the credential's id
    credential = Credential.objects.get(entry__submission=submission)
    try:
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
        for name in (submission.file.name, credential.file.name):
            if name:
                submission.file.storage.delete(name)
