"""Checking uploaded files by their content, not their name.

Used by ticket attachments and output submissions. A file is accepted only when
its first bytes match an allowed type; the stored name is generated, never the
one the browser sent (no path traversal).

Images are read whole: a file whose bytes go on after the image ends (a ZIP, HTML or a
script appended to a valid picture: a polyglot), or that carries markup or an archive
inside, is refused; an image that passes is decoded and encoded again by Pillow, so what
is stored holds pixels and nothing else (no metadata, no location, no hidden chunks).
"""

import hashlib
import io
import os
import re
import struct
import uuid

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
