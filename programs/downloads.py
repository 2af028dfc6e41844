"""One way files leave the product: checked by the policy, sent with the same headers.

Ticket attachments, output files, payout files and a person's data download all go
out through `send`; stored files are looked up with `serve`, which asks the policy
for the row (`policy.get_or_404`) before a byte is read. Every file goes out as a
download (`attachment`), with `nosniff`, a `sandbox` Content-Security-Policy (an
"image" that is also HTML cannot run script on our origin), and `no-store`, so a
shared computer's cache keeps no statement or payout file.

The one exception is a preview a page shows in `<img>` or `<video>`: a `Download` marked
`inline` goes out `inline` only when its type is one of `INLINE_TYPES`, pictures and
videos that cannot carry script. SVG, HTML and anything else stay attachments whatever
the caller asks.

A model that can be downloaded defines `download(variant) -> Download`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.views import redirect_to_login
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpResponse, StreamingHttpResponse

from core.text import header_safe

from . import policy

# What a browser may show inline (in an <img> or <video> of our own pages).
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm"}
)


@dataclass(frozen=True)
class Download:
    """What to send: a stored file, bytes, or bytes made as they are sent (`stream`, an
    iterable of byte strings: a large archive), under a name, with its type; `inline` asks
    for a preview the browser shows (granted only for `INLINE_TYPES`)."""

    filename: str
    content_type: str
    file: FieldFile | None = None
    content: bytes | None = None
    checksum: str = ""
    stream: Iterable[bytes] | None = None
    inline: bool = False


def shows_inline(content_type: str) -> bool:
    """Whether a file of this type may be shown in the page rather than downloaded."""
    return content_type in INLINE_TYPES


def send(download: Download):
    filename = header_safe(download.filename).replace('"', "'") or "download"
    inline = download.inline and shows_inline(download.content_type)
    if download.file is not None:
        try:
            handle = download.file.open("rb")
        except (FileNotFoundError, ValueError) as exc:
            raise Http404("The file is missing.") from exc
        response = FileResponse(
            handle,
            as_attachment=not inline,
            filename=filename,
            content_type=download.content_type,
        )
    elif download.stream is not None:
        response = StreamingHttpResponse(download.stream, content_type=download.content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = HttpResponse(download.content or b"", content_type=download.content_type)
        disposition = "inline" if inline else "attachment"
        response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "no-store"
    if download.checksum:
        response["X-Checksum-SHA256"] = download.checksum
    return response


def serve(request, pk, *, model, variant: str | None = None, action: str = "view"):
    """The stored file of row `pk` of `model`, for those the policy lets see the row."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    obj = policy.get_or_404(model.objects, request.user, action, pk=pk)
    download = obj.download(variant)
    if download is None:
        raise Http404("There is no file here.")
    return send(download)
