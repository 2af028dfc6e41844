"""Checking uploaded files by their content, not their name.

Used by ticket attachments and output submissions. A file is accepted only when
its first bytes match an allowed type; the stored name is generated, never the
one the browser sent (no path traversal).

Images are read whole: a file whose bytes go on after the image ends (a ZIP, HTML or a
script appended to a valid picture: a polyglot), or that carries markup or an archive
inside, is refused; an image that passes is decoded and encoded again by Pillow, so what
is stored holds pixels and nothing else (no metadata, no location, no hidden chunks).

What a file decodes to is bounded before it is decoded: an image's width × height × frames
(`UPLOAD_MAX_PIXELS`) and frames (`UPLOAD_MAX_FRAMES`) are read from its headers, so a
517 KB GIF of 40 frames of 4000 × 4000 is refused at once instead of being decoded and
re-encoded. Videos are never decoded; their container is parsed by ffprobe
(Debian's ffmpeg, in a process of its own with a time limit, so a hostile file cannot
stall or crash the web process): it must be the container its first bytes claim, hold a
video stream, and last at most `UPLOAD_MAX_VIDEO_SECONDS`; an MP4's or QuickTime file's
top-level boxes must cover the file exactly (nothing after the video).
"""

import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import tempfile
import uuid
from contextlib import ExitStack

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image, ImageOps, UnidentifiedImageError

IMAGE_TYPES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
VIDEO_TYPES = {"video/mp4", "video/webm", "video/quicktime"}
TEXT_LOG_EXTENSIONS = {".txt", ".log", ".json", ".csv"}


def sniff(upload) -> str | None:
    """The MIME type that the file's own bytes declare, or None."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    return kind.mime if kind else None


def _is_plain_text(upload) -> bool:
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # A multibyte character cut at the 8 KiB boundary is still text.
        try:
            head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def validate_upload(upload, *, allowed: set[str], allow_text_logs: bool = False) -> str:
    """Return the detected MIME type, or raise ValidationError with a clear message."""
    max_bytes = settings.UPLOAD_MAX_BYTES
    if upload.size == 0:
        raise ValidationError("The file is empty (0 bytes).", code="empty")
    if upload.size > max_bytes:
        raise ValidationError(
            f"The file is {upload.size / 1_048_576:.1f} MB; the limit is "
            f"{max_bytes / 1_048_576:.0f} MB.",
            code="too_large",
        )
    mime = sniff(upload)
    if mime in allowed:
        if mime in IMAGE_TYPES:
            _reencode_image(upload, mime)
        elif mime in VIDEO_TYPES:
            _check_video(upload, mime)
        return mime
    ext = os.path.splitext(upload.name or "")[1].lower()
    if allow_text_logs and mime is None and ext in TEXT_LOG_EXTENSIONS and _is_plain_text(upload):
        return "text/plain"
    described = f"its content is {mime}" if mime else "its content is not a recognised type"
    kinds = ", ".join(sorted(allowed)) + (", plain-text logs" if allow_text_logs else "")
    raise ValidationError(
        f"“{os.path.basename(upload.name or 'file')}” was refused: {described}. Accepted: {kinds}.",
        code="bad_type",
    )


# What another format looks like inside an image: markup, scripts, archives, documents.
FOREIGN_CONTENT = re.compile(
    rb"<\s*(?:html|script|svg|iframe|object|embed|body|!doctype)|<\?php|PK\x03\x04|%PDF-",
    re.IGNORECASE,
)
PIL_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WEBP"}


def _image_end(data: bytes, mime: str) -> int | None:
    """Where the image's own bytes end by its format's structure (None: cannot tell)."""
    if mime == "image/png":
        pos = 8
        while pos + 8 <= len(data):
            length, kind = struct.unpack(">I4s", data[pos : pos + 8])
            pos += 12 + length
            if kind == b"IEND":
                return pos
        return None
    if mime == "image/webp" and len(data) >= 8:
        return 8 + struct.unpack("<I", data[4:8])[0]
    if mime == "image/jpeg":
        return len(data) if data.rstrip(b"\x00").endswith(b"\xff\xd9") else None
    if mime == "image/gif":
        return len(data) if data.rstrip(b"\x00").endswith(b"\x3b") else None
    return None


def _refuse_image(upload, why: str):
    raise ValidationError(
        f"“{os.path.basename(upload.name or 'file')}” was refused: {why}.", code="bad_image"
    )


def _reencode_image(upload, mime: str) -> None:
    """Refuse polyglots, then replace the upload's bytes with Pillow's re-encoding."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    end = _image_end(data, mime)
    if end is None or len(data.rstrip(b"\x00")) > end:
        _refuse_image(upload, "its bytes go on after the image ends (another file hidden in it)")
    if FOREIGN_CONTENT.search(data):
        _refuse_image(upload, "it holds markup, a script or an archive besides the picture")
    try:
        with Image.open(io.BytesIO(data)) as image:
            frames = getattr(image, "n_frames", 1)
            _check_decoded_size(upload, image.size, frames)
            image.load()
            out = io.BytesIO()
            if mime == "image/gif" and frames > 1:
                image.save(out, format="GIF", save_all=True)
            else:
                picture = ImageOps.exif_transpose(image)
                if mime == "image/jpeg" and picture.mode not in ("RGB", "L"):
                    picture = picture.convert("RGB")
                options = {"quality": 95} if mime in ("image/jpeg", "image/webp") else {}
                picture.save(out, format=PIL_FORMATS[mime], **options)
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        _refuse_image(upload, "it is not a readable image")
    upload.file = io.BytesIO(out.getvalue())
    upload.size = len(out.getvalue())
    upload.seek(0)


def _check_decoded_size(upload, size: tuple[int, int], frames: int) -> None:
    """Refuse, from the headers alone, an image that would decode to too much."""
    width, height = size
    if frames > settings.UPLOAD_MAX_FRAMES:
        _refuse_image(
            upload, f"it has {frames} frames; at most {settings.UPLOAD_MAX_FRAMES} are accepted"
        )
    pixels = width * height * frames
    if pixels > settings.UPLOAD_MAX_PIXELS:
        what = f"{frames} frames of {width} × {height}" if frames > 1 else f"{width} × {height}"
        _refuse_image(
            upload,
            f"it decodes to {pixels / 1e6:,.0f} megapixels ({what}); the limit is "
            f"{settings.UPLOAD_MAX_PIXELS / 1e6:,.0f} megapixels",
        )


# The demuxer ffprobe is told to use for each type the first bytes claim: the file must
# parse as that container (an HLS playlist or a concat script is never read as one).
FFPROBE_FORMATS = {"video/mp4": "mov", "video/quicktime": "mov", "video/webm": "matroska"}
FFPROBE_SECONDS = 20


def _refuse_video(upload, why: str, code: str = "bad_video"):
    raise ValidationError(
        f"“{os.path.basename(upload.name or 'file')}” was refused: {why}.", code=code
    )


def _local_path(upload, stack) -> str:
    """A path ffprobe can open: the upload's own temporary file, or a copy of it."""
    path = getattr(upload, "temporary_file_path", None)
    if path is not None:
        return path()
    copy = stack.enter_context(tempfile.NamedTemporaryFile(suffix=".upload"))
    upload.seek(0)
    for chunk in upload.chunks():
        copy.write(chunk)
    copy.flush()
    upload.seek(0)
    return copy.name


def _probe(upload, mime: str) -> dict:
    """ffprobe's reading of the container, or a refusal saying why it could not be read."""
    binary = shutil.which(settings.FFPROBE)
    if binary is None:
        _refuse_video(
            upload,
            "videos cannot be checked on this server (ffprobe is not installed); ask its operator",
            code="unchecked",
        )
    with ExitStack() as stack:
        path = _local_path(upload, stack)
        command = [
            binary, "-v", "error", "-hide_banner", "-threads", "1",
            "-protocol_whitelist", "file", "-f", FFPROBE_FORMATS[mime],
            "-print_format", "json",
            "-show_entries", "format=format_name,duration:stream=codec_type,width,height",
            "-i", path,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command,
                capture_output=True,
                timeout=FFPROBE_SECONDS,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            _refuse_video(upload, "its container took too long to read")
    if done.returncode != 0:
        _refuse_video(upload, "it is not a readable video (its container does not parse)")
    try:
        return json.loads(done.stdout or b"{}")
    except ValueError:
        _refuse_video(upload, "it is not a readable video (its container does not parse)")


def _mp4_end(upload) -> int | None:
    """Where an ISO base media file (MP4, QuickTime) ends by its top-level boxes."""
    upload.seek(0)
    pos = 0
    try:
        while True:
            header = upload.read(16)
            if len(header) == 0:
                return pos
            if len(header) < 8:
                return None
            size = struct.unpack(">I", header[:4])[0]
            if size == 1 and len(header) == 16:
                size = struct.unpack(">Q", header[8:16])[0]
            elif size == 0:  # the last box runs to the end of the file
                return upload.size
            if size < 8:
                return None
            pos += size
            if pos > upload.size:
                return None
            upload.seek(pos)
    finally:
        upload.seek(0)


def _check_video(upload, mime: str) -> None:
    """A video is what its first bytes claim, whole, with a picture, and not too long."""
    if mime in ("video/mp4", "video/quicktime") and _mp4_end(upload) != upload.size:
        _refuse_video(upload, "its bytes go on after the video ends, or its boxes are broken")
    probe = _probe(upload, mime)
    streams = probe.get("streams") or []
    if not any(stream.get("codec_type") == "video" for stream in streams):
        _refuse_video(upload, "it holds no video stream")
    try:
        seconds = float((probe.get("format") or {}).get("duration"))
    except (TypeError, ValueError):
        _refuse_video(upload, "its length cannot be read from its container")
    most = settings.UPLOAD_MAX_VIDEO_SECONDS
    if seconds > most:
        _refuse_video(upload, f"it lasts {seconds:,.0f} s; the limit is {most:,} s")


def sha256_of(upload) -> str:
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def safe_storage_name(prefix: str, mime: str) -> str:
    """A generated name: the client's file name never reaches the file system."""
    ext = filetype.get_type(mime=mime).extension if filetype.get_type(mime=mime) else "txt"
    return f"{prefix}/{uuid.uuid4().hex}.{ext}"
