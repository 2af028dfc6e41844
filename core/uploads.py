"""Checking uploaded files by their content, not their name.

Used by ticket attachments and output submissions. A file is accepted only when
its first bytes match an allowed type; the stored name is generated, never the
one the browser sent (no path traversal).
"""

import hashlib
import os
import uuid

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError

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
