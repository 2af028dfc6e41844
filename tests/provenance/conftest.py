"""Fixtures of the provenance tests: real pictures and videos c2pa can sign, terms that make
training a choice per output, and helpers to approve an output and read its signed copy."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from approvals import services as approvals
from programs.models import TermsVersion
from provenance import credentials
from provenance.models import ConsentEntry
from tests.support.media import video


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(colour=(200, 30, 30), size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def mp4_bytes(large: bool = False) -> bytes:
    """A real MP4 made by ffmpeg (uploads are parsed by ffprobe before they are stored); large,
    about 20 MB."""
    if large:
        return video("mp4", seconds=2, side=960, noisy=True)
    return video("mp4")


def set_terms(programme, **fields) -> TermsVersion:
    terms = TermsVersion.objects.get(programme=programme, number=1)
    for name, value in fields.items():
        setattr(terms, name, value)
    terms.content_hash = terms.compute_hash()
    terms.save()
    return terms


@pytest.fixture
def per_output(programme):
    """Training use decided by the tester for each output."""
    return set_terms(programme, training_use="per_output")


def submit_file(participant, programme, data: bytes, name: str, content_type: str, title="Film"):
    return approvals.submission_create(
        actor=participant,
        programme=programme,
        title=title,
        intended_use="social",
        upload=SimpleUploadedFile(name, data, content_type=content_type),
    )


def approve(submission, reviewer):
    approvals.submission_claim(actor=reviewer, submission=submission)
    approvals.submission_decide(submission=submission, actor=reviewer, outcome="approved")
    submission.refresh_from_db()
    return submission


def read_signed(entry: ConsentEntry) -> credentials.Reading:
    credential = entry.current_credential()
    assert credential is not None, list(entry.credentials.values("status", "error"))
    with credential.file.open("rb") as handle:
        return credentials.read(handle, entry.media_type)
