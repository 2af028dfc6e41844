"""CSV cells that spreadsheets will not run as formulas, and times that they read as times."""

import re
from datetime import UTC

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain number (-12.50, +3, 1e5): it starts like a formula but stays as it is. The same
# pattern is the SQL rule of the COPY exports (compensation.selectors), so both agree.
NUMBER = r"[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?"
_NUMBER = re.compile(NUMBER)


def safe_cell(value) -> str:
    """Text that starts like a formula gets a leading apostrophe (OWASP CSV injection)."""
    if value is None:
        return ""
    text = str(value)
    if text.startswith(FORMULA_PREFIXES) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def utc_seconds(moment) -> str:
    """`2026-11-21T14:05:09`: the UTC time to the second, which spreadsheets read as a time.

    (With an offset such as `+00:00`, or a space for the `T`, LibreOffice reads text.)
    """
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S") if moment else ""


class Echo:
    """A file-like object whose write returns the line, for StreamingHttpResponse."""

    def write(self, value):
        return value
