"""Fixtures of the output approval tests: reason codes, a second reviewer, files, submitting."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals import services
from approvals.models import ReasonCode
from programs.models import ProgrammeRole
from tests.factories import make_staff

# The smallest valid PNG: a 1×1 transparent pixel.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploads go to a fresh directory per test, so "nothing stored" can be checked."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def reasons(programme, manager):
    """The standard reason codes of `programme`, added by its manager."""
    services.reason_codes_add_defaults(actor=manager, programme=programme)
    return {r.code: r for r in ReasonCode.objects.filter(programme=programme)}


@pytest.fixture
def second_reviewer(programme):
    return make_staff(programme, ProgrammeRole.Role.REVIEWER, email="reviewer2@example.com")


def png_upload(name="still.png", data=PNG):
    return SimpleUploadedFile(name, data, content_type="image/png")


@pytest.fixture
def submit(programme):
    """`submit(user, **fields)`: a URL submission for a social post unless told otherwise."""

    def make(user, *, target=None, **fields):
        values = {
            "title": "Night swim",
            "intended_use": "social",
            "prompt": "a swimmer under city lights, 35mm",
            "intended_venue": "Instagram",
        }
        values.update(fields)
        if "upload" not in values and "url" not in values:
            values["url"] = "https://example.org/night-swim.mp4"
        return services.submission_create(actor=user, programme=target or programme, **values)

    return make
