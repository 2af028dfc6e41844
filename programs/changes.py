"""What a new version of the terms changes for the tester, read from the diff.

Whether a change is *material* (notice, then consent before further work) follows
from which terms changed, not from the manager's checkbox: every term of the deal
is material, the full text included. A change of the full text alone is not material
only when a second manager of the programme confirms, seeing the diff, that it changes
wording and nothing else (`programs.models.EditorialConfirmation`): "perpetual,
royalty-free licence for model training" added to the text is a change of the deal,
whatever box is ticked.

Where a new passage of the full text holds a word the structured terms cover (training,
promotion, licence, …: `settings.TERMS_WATCHED_WORDS`), `new_passages` finds it, so
publishing can show it beside those terms and ask the manager to make them agree.

`is_worse` says which changes make the deal worse for the tester. Where the
direction cannot be told from the values (another pay model, a rewritten NDA
scope), the change is called worse: the tester should read it before agreeing.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.translation import gettext

# Every term except the flag itself (the full text: unless confirmed editorial).
NOT_MATERIAL = frozenset({"material_change"})

# Pay models from least to most certain pay; moving down (or sideways) is worse.
_PAY_RANK = {"unpaid": 0, "prize_only": 1}
_APPROVAL_RANK = {"none": 0, "public_sharing": 1, "every_output": 2}
_TRAINING_RANK = {"no": 0, "opt_in": 1, "per_output": 1, "yes": 2}
_PROMOTION_RANK = {"no": 0, "consent": 1, "included": 2}
# Free-text terms whose rewording may take something away from the tester.
_TEXT_WORSE_IF_CHANGED = frozenset(
    {
        "prize_description",
        "payment_schedule",
        "in_kind_benefits",
        "credit_attribution",
        "nda_public_scope",
    }
)


def is_material_field(name: str) -> bool:
    return name not in NOT_MATERIAL


def _number(value) -> Decimal:
    if value in (None, ""):
        return Decimal(0)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return Decimal(0)


def _worse_pay_model(old: str, new: str) -> bool:
    if old == new:
        return False
    # Paid to paid (hourly to stipend, …) is another deal: the old promise is gone.
    return _PAY_RANK.get(new, 2) <= _PAY_RANK.get(old, 2)


def _worse_bounty(old: dict, new: dict) -> bool:
    old, new = old or {}, new or {}
    return any(_number(new.get(severity)) < _number(amount) for severity, amount in old.items())


def _worse_nda_until(old: date | None, new: date | None) -> bool:
    if old is None:
        return False
    return new is None or new > old


def is_worse(name: str, old, new) -> bool:
    """Whether changing this term from `old` to `new` makes the deal worse for the tester."""
    if old == new:
        return False
    if name == "expected_hours_per_week":
        return _number(new) > _number(old)
    if name == "expected_activities":
        return bool(set(new or []) - set(old or []))
    if name == "tax_forms":
        # A form required where none was, or fewer forms accepted than before.
        return bool(new) and (not old or bool(set(old) - set(new)))
    if name == "pay_model":
        return _worse_pay_model(old, new)
    if name in ("hourly_rate", "hourly_floor", "stipend_amount", "grant_amount"):
        return _number(new) < _number(old)
    if name == "currency":
        return True
    if name == "other_currencies":
        return bool(set(old or []) - set(new or []))  # a currency taken away
    if name == "stipend_period":
        return old == "weekly"  # the same amount a month is less than a week's
    if name == "bounty_table":
        return _worse_bounty(old, new)
    if name in _TEXT_WORSE_IF_CHANGED:
        return bool(old)
    if name == "approval_scope":
        return _APPROVAL_RANK.get(new, 2) > _APPROVAL_RANK.get(old, 2)
    if name == "review_deadline_hours":
        return old is not None and (new is None or new > old)
    if name == "on_missed_deadline":
        return old == "deemed_approved"
    if name in ("appeals_allowed", "voluntary", "right_to_withdraw"):
        return bool(old) and not new
    if name == "nda":
        return bool(new) and not old
    if name == "nda_until":
        return _worse_nda_until(old, new)
    if name == "nda_until_text":
        return bool(new)
    if name == "training_use":
        return _TRAINING_RANK.get(new, 2) > _TRAINING_RANK.get(old, 2)
    if name == "promotional_use":
        return _PROMOTION_RANK.get(new, 2) > _PROMOTION_RANK.get(old, 2)
    if name == "promotion_fee":
        return _number(new) < _number(old)
    if name == "promotion_credit":
        return old == "named"
    if name == "notice_period_days":
        return _number(new) < _number(old)
    if name == "pause_policy":
        return True
    if name in ("first_response_days", "triage_days", "contest_days", "payment_days"):
        # A longer wait, or no target where there was one.
        return old is not None and (new is None or new > old)
    return False


@dataclass(frozen=True)
class Passage:
    """A sentence of the full text that speaks about what structured terms cover."""

    text: str
    words: tuple[str, ...]
    fields: tuple[str, ...]  # the structured terms it touches


# A sentence ends at . ! or ? followed by space, or at a line break ("1.5 h" stays whole).
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


def _watched_words() -> list[tuple[re.Pattern, str, tuple[str, ...]]]:
    """Each watched word, in English and in the interface's language, as the start of a
    word ("licence" finds "licences" and "Licence", not "unlicenced")."""
    out = []
    for word, fields in settings.TERMS_WATCHED_WORDS.items():
        for form in dict.fromkeys((word, gettext(word))):
            pattern = re.compile(r"(?<!\w)" + re.escape(form), re.IGNORECASE)
            out.append((pattern, form, tuple(fields)))
    return out


def watched_passages(body: str | None) -> list[Passage]:
    """The sentences of `body` that hold a watched word, each once, in text order."""
    found: dict[str, Passage] = {}
    watched = _watched_words()
    for sentence in _SENTENCES.split(body or ""):
        text = " ".join(sentence.split())
        if not text or text in found:
            continue
        words, fields = [], []
        for pattern, word, touched in watched:
            if pattern.search(text):
                words.append(word)
                fields += [f for f in touched if f not in fields]
        if words:
            found[text] = Passage(text=text, words=tuple(words), fields=tuple(fields))
    return list(found.values())


def new_passages(old_body: str | None, new_body: str | None) -> list[Passage]:
    """The watched passages of `new_body` that `old_body` does not hold word for word
    (all of them for a first version: `old_body` None)."""
    before = {p.text for p in watched_passages(old_body)}
    return [p for p in watched_passages(new_body) if p.text not in before]
