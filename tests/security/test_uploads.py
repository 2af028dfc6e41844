"""Hostile uploads on every surface that takes files: a clear 4xx and nothing stored.

Surfaces: filing a ticket and commenting on one (pages, several files each), submitting an
output (page and API, one file). Inputs: too large, an executable or a script disguised by
its extension, zero bytes, more files than allowed, and names that try to climb out of the
upload folder. A refusal must answer 400 with a message that says what was wrong, leave no
row (ticket, comment, attachment, submission) and no file anywhere under the test folder.

Names: Django's multipart parser reduces a client's file name to its last component before
the application sees it, and the application stores every file under a generated name. So
a valid image sent as `../../x.png` may be accepted; what must hold is that the bytes land
only under a generated name inside MEDIA_ROOT and the name kept for the download has no path.

Figure: inputs tried, refused with a clear 4xx, stored when refused (must be 0), files
written outside MEDIA_ROOT or under a client-chosen name (must be 0).
"""

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from api.services import token_create
from approvals.models import OutputSubmission
from feedback.models import Ticket, TicketAttachment, TicketComment
from tests.conftest import summarise

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63f8cfc0f01f00050001ff89993d1d0000000049454e44ae426082"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 400
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 400
SCRIPT = b"<html><script>alert(document.cookie)</script></html>"
LIMIT = 4096


def _image(fmt, **options):
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format=fmt, **options)
    return out.getvalue()


def _png_with_text(key, text):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text(key, text)
    return _image("PNG", pnginfo=info)


JPEG = _image("JPEG")
GIF = _image("GIF")
ZIP_TAIL = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 40 + b"PK\x05\x06" + b"\x00" * 18
POLYGLOTS = [
    ("png + zip", "album.png", PNG + ZIP_TAIL, r"go on after the image ends"),
    ("png + html", "pic.png", PNG + SCRIPT, r"go on after the image ends"),
    ("jpeg + html", "photo.jpg", JPEG + SCRIPT, r"go on after the image ends"),
    ("gif + html", "anim.gif", GIF + SCRIPT, r"go on after the image ends"),
    (
        "html in a png chunk",
        "chunk.png",
        _png_with_text("Comment", SCRIPT.decode()),
        r"holds markup",
    ),
    ("broken png", "half.png", PNG[:40], r"not a readable image|go on after"),
]
TALLY = {"tried": 0, "refused": 0, "stored_when_refused": [], "escaped": []}

# (label, name, bytes, what the message must say)
BAD = [
    ("too large", "big.png", PNG + b"\x00" * (LIMIT * 2), r"the limit is"),
    ("exe as png", "holiday.png", EXE, r"“holiday\.png” was refused"),
    ("elf as mp4", "clip.mp4", ELF, r"“clip\.mp4” was refused"),
    ("script as png", "pixel.png", SCRIPT, r"“pixel\.png” was refused"),
    ("zero bytes", "empty.png", b"", r"empty"),
    ("traversal + exe", "../../../../etc/cron.d/evil.png", EXE, r"“evil\.png” was refused"),
    *POLYGLOTS,
]
TRAVERSAL_NAMES = [
    "../../../../tmp/escape.png",
    "..\\..\\..\\windows\\escape.png",
    "/etc/passwd.png",
    "....//....//escape.png",
    "&#46;&#46;&#47;&#46;&#46;&#47;escape.png",
    "%2e%2e%2f%2e%2e%2fescape.png",
    "escape\x00.png",
    ".htaccess.png",
]


def _file(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.UPLOAD_MAX_BYTES = LIMIT
    return tmp_path


def _files_under(root):
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _rows():
    return (
        Ticket.objects.count(),
        TicketComment.objects.count(),
        TicketAttachment.objects.count(),
        OutputSubmission.objects.count(),
    )


def _expect_refused(label, response, message, folders, rows_before):
    TALLY["tried"] += 1
    body = response.content.decode()
    clear = 400 <= response.status_code < 500 and re.search(message, body)
    assert clear, f"{label}: {response.status_code} {body[:3000]}"
    TALLY["refused"] += 1
    if _rows() != rows_before or _files_under(folders):
        TALLY["stored_when_refused"].append(label)


def _ticket_form(programme, files):
    return {
        "programme": programme.pk,
        "kind": "bug",
        "title": "Upload probe",
        "description": "d",
        "severity": "low",
        "attachments": files,
    }


def test_bad_files_are_refused_on_every_surface_and_nothing_is_stored(
    client, programme, participant, folders, django_capture_on_commit_callbacks
):
    from feedback import services as feedback

    ticket = feedback.ticket_file(
        actor=participant, programme=programme, kind="feedback", title="t", description="d"
    )
    client.force_login(participant)
    _, token = token_create(actor=participant, name="uploads", scope="write")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    for label, name, data, message in BAD:
        rows = _rows()
        response = client.post(
            "/tickets/new/", _ticket_form(programme, [_file("fine.png", PNG), _file(name, data)])
        )
        _expect_refused(f"ticket page: {label}", response, message, folders, rows)
        response = client.post(
            f"/tickets/{ticket.pk}/comment/", {"body": "probe", "attachments": [_file(name, data)]}
        )
        _expect_refused(f"comment page: {label}", response, message, folders, rows)
        response = client.post(
            "/outputs/new/",
            {
                "programme": programme.pk,
                "title": "probe",
                "intended_use": "social",
                "upload": _file(name, data),
            },
        )
        _expect_refused(f"submit page: {label}", response, message, folders, rows)
        response = api.post(
            "/api/v1/submissions/",
            {
                "programme": "alpha",
                "title": "probe",
                "intended_use": "social",
                "file": _file(name, data),
            },
            format="multipart",
        )
        assert response["Content-Type"].startswith("application/json"), label
        _expect_refused(f"submit API: {label}", response, message, folders, rows)

    # More files than allowed: 11 at once (the parser's limit is 10 per request)…
    rows = _rows()
    eleven = [_file(f"shot{i}.png", PNG) for i in range(11)]
    response = client.post("/tickets/new/", _ticket_form(programme, eleven))
    _expect_refused("ticket page: 11 files", response, r"at most 10 files", folders, rows)
    eleven = [_file(f"shot{i}.png", PNG) for i in range(11)]
    response = client.post(
        f"/tickets/{ticket.pk}/comment/", {"body": "probe", "attachments": eleven}
    )
    _expect_refused("comment page: 11 files", response, r"at most 10 files", folders, rows)
    response = api.post(
        "/api/v1/submissions/",
        {
            "programme": "alpha",
            "title": "probe",
            "intended_use": "social",
            "file": [_file(f"o{i}.png", PNG) for i in range(11)],
        },
        format="multipart",
    )
    assert response["Content-Type"].startswith("application/json")
    _expect_refused("submit API: 11 files", response, r"at most 10 files", folders, rows)
    # …and a ticket that would hold more than 10 through its comments.
    client.post(
        f"/tickets/{ticket.pk}/comment/",
        {"body": "eight", "attachments": [_file(f"k{i}.png", PNG) for i in range(8)]},
    )
    rows, kept = _rows(), _files_under(folders)
    response = client.post(
        f"/tickets/{ticket.pk}/comment/",
        {"body": "three more", "attachments": [_file(f"m{i}.png", PNG) for i in range(3)]},
    )
    TALLY["tried"] += 1
    assert response.status_code == 400 and "at most 10 files" in response.content.decode()
    TALLY["refused"] += 1
    if _rows() != rows or _files_under(folders) != kept:
        TALLY["stored_when_refused"].append("comment page: 8 + 3 files")


def test_names_that_climb_out_of_the_folder_never_reach_the_file_system(
    client, programme, participant, folders
):
    client.force_login(participant)
    media = folders / "media"
    for name in TRAVERSAL_NAMES:
        TALLY["tried"] += 1
        before = set(_files_under(folders))
        response = client.post(
            "/tickets/new/",
            {**_ticket_form(programme, [_file(name, PNG)]), "title": f"name {name!r}"},
        )
        new = set(_files_under(folders)) - before
        if response.status_code >= 400:
            assert response.status_code < 500, response.status_code
            TALLY["refused"] += 1
            if new:
                TALLY["stored_when_refused"].append(f"name {name!r}")
            continue
        attachment = TicketAttachment.objects.get(ticket__title=f"name {name!r}")
        for path in new:
            generated = re.fullmatch(r"[0-9a-f]{32}\.png", path.name)
            if not path.is_relative_to(media) or not generated:
                TALLY["escaped"].append(f"{name!r} → {path}")
        if any(sep in attachment.original_name for sep in "/\\\x00"):
            TALLY["escaped"].append(f"{name!r} kept as {attachment.original_name!r}")
        # The download is offered under the cleaned name, as an attachment, never inline.
        download = client.get(f"/tickets/attachments/{attachment.pk}/")
        assert download.status_code == 200
        assert download["Content-Disposition"].startswith("attachment")
        assert "/" not in download["Content-Disposition"].split("filename", 1)[1]
    assert not (folders.parent / "escape.png").exists()


def test_an_accepted_image_is_stored_re_encoded_without_its_metadata(
    client, programme, participant, folders
):
    client.force_login(participant)
    original = _png_with_text("Location", "51.5007 N, 0.1246 W")
    response = client.post(
        "/outputs/new/",
        {
            "programme": programme.pk,
            "title": "re-encoded",
            "intended_use": "social",
            "upload": _file("here.png", original),
        },
    )
    assert response.status_code == 302
    submission = OutputSubmission.objects.get(title="re-encoded")
    stored = submission.file.read()
    assert stored.startswith(b"\x89PNG") and b"51.5007" not in stored and stored != original
    import hashlib

    assert submission.content_hash == hashlib.sha256(stored).hexdigest()


def test_uploads_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE uploads: {TALLY['tried']} hostile uploads tried on 4 surfaces, "
        f"{TALLY['refused']} refused with a clear 4xx, "
        f"{len(TALLY['stored_when_refused'])} stored when refused, "
        f"{len(TALLY['escaped'])} written outside MEDIA_ROOT or under the client's name"
    )
    assert TALLY["stored_when_refused"] == []
    assert TALLY["escaped"] == []
    assert TALLY["tried"] >= len(BAD) * 4 + 4 + len(TRAVERSAL_NAMES)
