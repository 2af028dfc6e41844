"""Text shown on one line holds no control characters and no text-direction overrides.

A carriage return or line feed in a subject line starts a new header (or breaks the mail,
which then never leaves: an invitation whose programme name held one sat unsent for good);
a NUL or CR in a download's file name splits or truncates the header; a CR LF in an
invitation list's name prints as a line of its own in the mail's body. A right-to-left
override (U+202E) or isolate makes a title display in another order than it is stored, so
a ticket called "invoice‮fdp.exe" reads as "invoiceexe.pdf" (the "Trojan Source" trick,
CVE-2021-42574).

So every name, title and other free line a person types has one validator, `single_line`:
on the model field (forms, serializers built from the model and `full_clean` use it), on
the API's and the forms' own fields, and in the services that take such a line directly
(`refuse_control_characters`, the same test raised as a `DomainError`). Whatever goes into
a header is flattened once more on the way out (`header_safe`), for rows written before the
rule.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.deconstruct import deconstructible

from .errors import DomainError

# C0 controls (tab, CR, LF and NUL among them), DEL, C1 controls and Unicode line breaks.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Those, and the bidirectional embeddings and overrides (U+202A–U+202E) and isolates
# (U+2066–U+2069). The plain marks (U+200E, U+200F, U+061C) stay: right-to-left names need
# them, and they cannot reorder what follows.
NOT_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
WHY = "line breaks, tabs, other control characters or text-direction overrides"


def is_single_line(value) -> bool:
    return not (value and NOT_ONE_LINE.search(str(value)))


# The same characters as a pattern a schema can carry (ECMA-262 and Python read it alike);
# `SingleLineValidator` checks with `is_single_line`, so a final line break is caught too.
SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"


@deconstructible(path="core.text.SingleLineValidator")
class SingleLineValidator(RegexValidator):
    """The validator of every model, form and serializer field shown on one line. A
    `RegexValidator`, so the API's schema states it as a `pattern` (drf-spectacular)."""

    message = f"This cannot contain {WHY}."
    code = "not_single_line"
    regex = SINGLE_LINE_PATTERN

    def __init__(self):
        super().__init__()

    def __call__(self, value) -> None:
        if not is_single_line(value):
            raise ValidationError(self.message, code=self.code)

    def deconstruct(self):
        return ("core.text.SingleLineValidator", (), {})

    def __eq__(self, other) -> bool:
        return isinstance(other, SingleLineValidator)

    def __hash__(self) -> int:
        return hash(self.code)


single_line = SingleLineValidator()


def refuse_control_characters(value: str, *, field: str, what: str) -> str:
    """`value` unchanged, or DomainError naming `what` when it is not a single line."""
    if not is_single_line(value):
        raise DomainError(f"The {what} cannot contain {WHY}.", code="not_single_line", field=field)
    return value


def header_safe(value: str) -> str:
    """`value` on one line: every control character or override becomes a space."""
    return " ".join(NOT_ONE_LINE.sub(" ", value or "").split())
