"""The reasons a tester may give for contesting: the programme's own list, or these."""

from django.utils.translation import gettext_lazy as _

from programs.models import Programme

from .models import ContestReason

# What a programme offers until its managers keep a list of their own (/contests/reasons/).
# Shown in the reader's language; stored in English (`core.l10n.english`) with a contest
# and when a programme's own list starts from them.
DEFAULT_REASONS = [
    ("misread", _("The decision misread what I reported or logged")),
    ("evidence-missed", _("Evidence I gave was not considered")),
    ("not-a-duplicate", _("It is not a duplicate of the ticket named")),
    ("reproducible", _("It can be reproduced (steps attached)")),
    ("terms", _("The decision goes against the terms I accepted")),
    ("other", _("Another reason (explained below)")),
]


def reasons_for(programme: Programme) -> list[tuple[str, str]]:
    """(code, label) of the reasons a tester of `programme` may give, in order."""
    own = list(
        ContestReason.objects.filter(programme=programme, active=True).values_list("code", "label")
    )
    return own or list(DEFAULT_REASONS)
