"""Uploads are bounded by what they decode to, and every container is parsed.

Before: a 517 KB animated GIF (40 frames of 4000 × 4000, 640 megapixels) took 25.9 s of
server CPU to re-encode on /outputs/new/, and an MP4 header followed by HTML was stored as
a video. Now the image's frames and pixels are read from its headers and refused before
anything is decoded, and a video's container is parsed by ffprobe (and an MP4's top-level
boxes must cover the file).
"""

import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from api.services import token_create
from approvals.models import OutputSubmission
from tests.conftest import summarise
from tests.support.media import FFMPEG, video

pytestmark = pytest.mark.django_db
TALLY = {"tried": 0}


def gif_bomb(frames=40, side=4000) -> bytes:
    """An animated GIF of `frames` frames of side × side in one colour: each frame is a few
    kilobytes of LZW codes, so the file is small and decodes to a lot. One frame is encoded
    by Pillow; its image block is repeated (each with its own frame delay)."""
    frame = Image.new("P", (side, side), 0)
    frame.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    out = io.BytesIO()
    frame.save(out, format="GIF")
    one = out.getvalue()
    packed = one[10]
    table = 3 * 2 ** ((packed & 7) + 1) if packed & 0x80 else 0
    head, block = one[: 13 + table], one[13 + table : -1]
    delay = b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return head + loop + (delay + block) * frames + b"\x3b"


def animation(frames: int, side: int) -> bytes:
    """An ordinary animated GIF whose frames differ (identical frames would be merged)."""
    images = [Image.new("P", (side, side), i % 2) for i in range(frames)]
    for image in images:
        image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=100)
    return out.getvalue()


def _submit_page(client, programme, name, data):
    return client.post(
        "/outputs/new/",
        {
            "programme": programme.pk,
            "title": "probe",
            "intended_use": "social",
            "upload": SimpleUploadedFile(name, data),
        },
    )


def _submit_api(api, name, data):
    return api.post(
        "/api/v1/submissions/",
        {
            "programme": "alpha",
            "title": "probe",
            "intended_use": "social",
            "file": SimpleUploadedFile(name, data),
        },
        format="multipart",
    )


@pytest.fixture
def surfaces(settings, tmp_path, programme, participant, client):
    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(participant)
    api = APIClient()
    _, plain = token_create(actor=participant, name="uploads", scope="write")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return client, api


def test_the_gif_bomb_is_refused_from_its_headers_within_two_seconds(surfaces, programme):
    client, api = surfaces
    bomb = gif_bomb()
    client.get("/outputs/new/")  # the page's templates are loaded before the clock starts
    started = time.perf_counter()
    page = _submit_page(client, programme, "bomb.gif", bomb)
    page_seconds = time.perf_counter() - started
    started = time.perf_counter()
    answer = _submit_api(api, "bomb.gif", bomb)
    api_seconds = time.perf_counter() - started
    message = "it decodes to 640 megapixels (40 frames of 4000 × 4000); the limit is 50"
    assert page.status_code == 400 and message in page.content.decode()
    assert answer.status_code == 422 and message in answer.json()["detail"]
    assert page_seconds < 2 and api_seconds < 2, (page_seconds, api_seconds)
    assert not OutputSubmission.objects.exists()
    TALLY["tried"] += 2
    print(
        f"\nFIGURE GIF bomb: {len(bomb) / 1024:.0f} KB, 40 frames of 4000 × 4000, refused in "
        f"{page_seconds:.2f} s (page) and {api_seconds:.2f} s (API); was 25.9 s of CPU"
    )


def test_too_many_frames_are_refused_and_a_modest_animation_is_kept(surfaces, programme, settings):
    client, _ = surfaces
    many = gif_bomb(frames=301, side=8)
    response = _submit_page(client, programme, "many.gif", many)
    assert response.status_code == 400
    assert "it has 301 frames; at most 300 are accepted" in response.content.decode()
    fine = animation(frames=24, side=200)
    assert _submit_page(client, programme, "fine.gif", fine).status_code == 302
    stored = OutputSubmission.objects.get()
    with Image.open(stored.file) as image:
        assert image.n_frames == 24
    TALLY["tried"] += 1


@pytest.mark.skipif(FFMPEG is None, reason="ffmpeg is installed by scripts/services.sh")
def test_videos_are_parsed_an_mp4_header_followed_by_html_is_refused(
    surfaces, programme, settings, tmp_path
):
    client, api = surfaces
    real = video("mp4", seconds=1)
    ftyp = real[: int.from_bytes(real[:4], "big")]  # the real file's first box
    html = b"<!doctype html><html><body><script>alert(1)</script></body></html>" * 20
    cases = [
        ("mp4 header + html", ftyp + html, "its bytes go on after the video ends"),
        ("mp4 + html after it", real + html, "its bytes go on after the video ends"),
        ("broken boxes", real[:-200], "its bytes go on after the video ends"),
    ]
    for label, data, message in cases:
        for answer in (
            _submit_page(client, programme, "clip.mp4", data),
            _submit_api(api, "clip.mp4", data),
        ):
            body = answer.content.decode()
            assert answer.status_code in (400, 422) and message in body, (label, body[:500])
            TALLY["tried"] += 1
    # A header that parses but says nothing playable: the container parser refuses it.
    empty = ftyp + b"\x00\x00\x00\x08free"
    response = _submit_page(client, programme, "clip.mp4", empty)
    assert response.status_code == 400
    assert "not a readable video" in response.content.decode() or "no video stream" in (
        response.content.decode()
    )
    TALLY["tried"] += 1
    assert not OutputSubmission.objects.exists()
    # Too long, by the container's own duration.
    settings.UPLOAD_MAX_VIDEO_SECONDS = 1
    long = video("mp4", seconds=3)
    response = _submit_page(client, programme, "long.mp4", long)
    assert response.status_code == 400
    assert "it lasts 3 s; the limit is 1 s" in response.content.decode()
    TALLY["tried"] += 1
    # A real, short video is stored as it came.
    assert _submit_page(client, programme, "clip.mp4", real).status_code == 302
    assert OutputSubmission.objects.get().file_type == "video/mp4"


def test_decoded_size_figure():
    summarise(inputs=TALLY["tried"])
    print(
        f"\nFIGURE decoded size: {TALLY['tried']} bombs and false videos on the output page "
        "and API, 0 stored"
    )
