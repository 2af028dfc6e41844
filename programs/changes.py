"""What a new version of the terms changes for the tester, read from the diff.

Whether a change is *material* (notice, then consent before further work) follows
from which terms changed, not from the manager's checkbox: every term of the deal
is material except the free text of the body (where typo fixes live). Managers may
mark a body-only change material too, never a change of the deal non-material.

`is_worse` says which changes make the deal worse for the tester. Where the
direction cannot be told from the values (another pay model, a rewritten NDA
scope), the change is called worse: the tester should read it before agreeing.
"""

from datetime import date
from decimal import Decimal, InvalidOperation

# Every term except the body text and the flag itself.
NOT_MATERIAL = frozenset({"body", "material_change"})

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
    if name == "pay_model":
        return _worse_pay_model(old, new)
    if name in ("hourly_rate", "hourly_floor", "stipend_amount", "grant_amount"):
        return _number(new) < _number(old)
    if name == "currency":
        return True
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
    return False
