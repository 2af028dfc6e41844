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
        return services.ticket_file(actor=reporter, programme=programme, **values)

    return make


# --- Records the search tests look for (tests/feedback/test_search*.py) -----------------


@pytest.fixture
def mine(programme, participant, file_ticket):
    """Three tickets of the participant; the first two about a freezing video."""
    return [
        file_ticket(participant, programme, title="Video freezes at frame 48"),
        file_ticket(
            participant,
            programme,
            title="Playback stops after export",
            description="The exported video freezes when it reaches the credits.",
        ),
        file_ticket(
            participant,
            programme,
            title="Login button overlaps the logo",
            kind="feedback",
            severity="",
            description="On a phone the button covers the logo.",
        ),
    ]


@pytest.fixture
def private(programme, participant2, file_ticket):
    """Another tester's ticket with a near-identical title: never shown to `participant`."""
    return file_ticket(
        participant2,
        programme,
        title="Video freezes at frame 49",
        description="Secret details of participant2's finding.",
    )


@pytest.fixture
def outputs(programme, other_programme, participant, participant2, outsider):
    from approvals import services as approvals

    def submit(user, prog, title, prompt=""):
        return approvals.submission_create(
            actor=user,
            programme=prog,
            title=title,
            prompt=prompt,
            intended_use="social",
            url=f"https://example.org/{title.replace(' ', '-')}.mp4",
        )

    return [
        submit(participant, programme, "Night swim", "a lake under the moon, slow pan"),
        submit(participant, programme, "City lights", "neon street at dusk"),
        submit(participant2, programme, "Moon landing remake", "grainy film"),
        submit(outsider, other_programme, "Moon over Beta", "a lake under the moon"),
    ]
