"""Fixtures of the feedback tests: a private media folder and quick ways to make tickets."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audit.models import AuditEvent
from feedback import services
from feedback.models import Ticket

# A real 1×1 PNG: images are decoded and re-encoded on upload (core.uploads).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    return [p for p in media_root.rglob("*") if p.is_file()] if media_root.exists() else []


def png(name="screenshot.png"):
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def actions_of(obj) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def file_ticket():
    """`file_ticket(reporter, programme, **fields)` files a ticket through the service."""

    def make(reporter, programme, **fields):
        values = {
            "kind": Ticket.Kind.BUG,
            "title": "Video freezes at frame 48",
            "description": "The clip stops moving halfway.",
            "severity": "high",
        }
        values.update(fields)
        return services.ticket_file(reporter=reporter, programme=programme, **values)

    return make
