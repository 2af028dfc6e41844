"""Names and titles that can reach an email header or a file name hold no control characters.

A carriage return or line feed in a subject line starts a new header (or breaks the mail,
which then never leaves: an invitation whose programme name held one sat unsent for good);
a NUL or CR in a download's file name splits or truncates the header. So every name and
title a person types (programme names, ticket and output titles, token names, reason code
labels, attachment file names) is refused with a clear message when it holds one, and
whatever goes into a header is flattened once more on the way out (`header_safe`), for
rows written before the rule.
"""

import re

from .errors import DomainError

# C0 controls (tab, CR, LF and NUL among them), DEL, C1 controls and Unicode line breaks.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def refuse_control_characters(value: str, *, field: str, what: str) -> str:
    """`value` unchanged, or DomainError naming `what` when it holds a control character."""
    if value and CONTROL_CHARACTERS.search(value):
        raise DomainError(
            f"The {what} cannot contain line breaks, tabs or other control characters.",
            code="control_characters",
            field=field,
        )
    return value


def header_safe(value: str) -> str:
    """`value` on one line: every control character becomes a space."""
    return " ".join(CONTROL_CHARACTERS.sub(" ", value or "").split())
