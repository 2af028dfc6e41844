"""Whether a version of the terms may be published: each pay model's own terms and nothing
else stated, coherent values (hours, deadlines, bounties, floors, the currency's decimals),
and new passages of the full text about what the structured terms cover settled with them.

The terms editor's preview and `services.terms_publish` ask the same checks, so what the
preview says is what publishing does.
"""

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst

from core import currencies
from core.text import WHY, SingleLineValidator, is_single_line

from . import changes
from .models import Programme, TermsVersion
from .selectors import current_terms

# The terms that only one pay model uses; the others must leave them empty.
PAY_MODEL_FIELDS = {
    TermsVersion.PayModel.HOURLY: ("hourly_rate",),
    TermsVersion.PayModel.STIPEND: ("stipend_amount", "stipend_period"),
    TermsVersion.PayModel.BOUNTY: ("bounty_table",),
    TermsVersion.PayModel.PRIZE_ONLY: ("prize_description",),
    TermsVersion.PayModel.GRANT: ("grant_amount",),
}


# What "empty" is for each term that may be cleared (text fields are "", not NULL).
_EMPTY = {
    "hourly_rate": None,
    "stipend_amount": None,
    "stipend_period": "",
    "bounty_table": {},
    "prize_description": "",
    "grant_amount": None,
    "payment_schedule": "",
    "review_deadline_hours": None,
    "on_missed_deadline": "",
    "nda_public_scope": "",
    "nda_until": None,
    "nda_until_text": "",
    "promotion_fee": None,
    "promotion_credit": "",
}


def clear_unused_terms(terms: TermsVersion) -> list[str]:
    """Empty the terms the version does not use, so nobody reads a promise that is not made.

    A rate left over from an hourly version on an unpaid one, a deadline rule
    without approval, an NDA scope without an NDA: cleared. Returns the fields emptied.
    """
    unused = [
        name
        for model, names in PAY_MODEL_FIELDS.items()
        if model != terms.pay_model
        for name in names
    ]
    if terms.pay_model == TermsVersion.PayModel.UNPAID:
        unused.append("payment_schedule")
    if terms.approval_scope == TermsVersion.ApprovalScope.NONE:
        unused += ["review_deadline_hours", "on_missed_deadline"]
    if not terms.nda:
        unused += ["nda_public_scope", "nda_until", "nda_until_text"]
    if terms.promotional_use == TermsVersion.PromotionalUse.NO:
        unused += ["promotion_fee", "promotion_credit"]
    cleared = []
    for name in unused:
        if getattr(terms, name) not in (None, "", {}, []):
            empty = _EMPTY[name]
            setattr(terms, name, dict(empty) if isinstance(empty, dict) else empty)
            cleared.append(name)
    return cleared


def check_terms(terms: TermsVersion) -> list[str]:
    """What preview, save and publish all do: clear the unused terms, then validate."""
    cleared = clear_unused_terms(terms)
    validate_terms(terms)
    return cleared


def validate_terms(terms: TermsVersion) -> None:
    """Raise ValidationError naming every field that makes these terms incoherent."""
    errors: dict[str, str] = {}
    if terms.expected_hours_per_week is not None and terms.expected_hours_per_week < 0:
        errors["expected_hours_per_week"] = "Expected hours cannot be negative."
    for name in ("review_deadline_hours", "notice_period_days"):
        value = getattr(terms, name)
        if value is not None and value < 0:
            errors[name] = "This cannot be negative."
    if terms.nda_until and terms.nda_until < timezone.localdate():
        errors["nda_until"] = (
            "The NDA end date is in the past; give a future date, or say that there is no NDA."
        )
    unknown = set(terms.tax_forms or []) - set(Programme.TaxForm.values)
    if unknown:
        errors["tax_forms"] = f"“{sorted(unknown)[0]}” is not a tax form this product records."
    if not currencies.is_currency(terms.currency):
        errors["currency"] = currencies.MESSAGE.format(code=terms.currency)
    others = terms.other_currencies or []
    if terms.currency in others:
        errors["other_currencies"] = f"{terms.currency} is the terms' currency already."
    elif not all(isinstance(c, str) and currencies.is_currency(c) for c in others):
        errors["other_currencies"] = "List ISO 4217 codes (USD, GBP), separated by commas."
    P = terms.PayModel
    if terms.pay_model == P.HOURLY and not terms.hourly_rate:
        errors["hourly_rate"] = "An hourly model needs a rate."
    if terms.hourly_floor is not None and terms.hourly_floor <= 0:
        errors["hourly_floor"] = "A minimum hourly pay is more than zero (or leave it empty)."
    if terms.pay_model == P.STIPEND:
        if not terms.stipend_amount:
            errors["stipend_amount"] = "A stipend needs an amount."
        if not terms.stipend_period:
            errors["stipend_period"] = "A stipend needs a period."
    if terms.pay_model == P.BOUNTY:
        table = terms.bounty_table or {}
        if not any(table.get(s) not in (None, "") for s in terms.SEVERITIES):
            errors["bounty_table"] = (
                "A per-finding model needs an amount for at least one severity."
            )
        for severity, amount in table.items():
            if severity not in terms.SEVERITIES:
                errors["bounty_table"] = f"Unknown severity “{severity}”."
                continue
            try:
                if amount not in (None, "") and Decimal(str(amount)) < 0:
                    errors["bounty_table"] = "Bounty amounts cannot be negative."
            except InvalidOperation:
                errors["bounty_table"] = f"“{amount}” is not an amount."
        if "bounty_table" not in errors:
            problem = _bounty_problem(table, terms.currency)
            if problem:
                errors["bounty_table"] = problem
    if terms.pay_model == P.GRANT and not terms.grant_amount:
        errors["grant_amount"] = "A grant needs an amount."
    if terms.promotional_use != terms.PromotionalUse.NO and not terms.promotion_credit:
        errors["promotion_credit"] = "Say whether promotional uses credit the tester by name."
    for name in ("hourly_rate", "stipend_amount", "grant_amount", "promotion_fee"):
        value = getattr(terms, name)
        if value is not None and value < 0:
            errors[name] = "Amounts cannot be negative."
    if terms.approval_scope != terms.ApprovalScope.NONE:
        if terms.on_missed_deadline == terms.OnMissedDeadline.DEEMED_APPROVED and not (
            terms.review_deadline_hours
        ):
            errors["review_deadline_hours"] = "Deemed approval needs a review deadline."
        if terms.review_deadline_hours and not terms.on_missed_deadline:
            errors["on_missed_deadline"] = "Say what happens when the review deadline is missed."
    if terms.nda_until and terms.nda_until_text:
        errors["nda_until_text"] = "Give either a date or a text for the end of the NDA, not both."
    unknown = set(terms.expected_activities or []) - set(terms.Activity.values)
    if unknown:
        errors["expected_activities"] = f"Unknown activities: {', '.join(sorted(unknown))}."
    for name, message in _incoherences(terms).items():
        errors.setdefault(name, message)
    if errors:
        raise ValidationError(errors)


MONEY_TERMS = ("hourly_rate", "hourly_floor", "stipend_amount", "grant_amount", "promotion_fee")


def _bounty_problem(table: dict, currency: str) -> str | None:
    """Each stated bounty above zero, in the currency's decimals, and more for a higher
    severity: a €0.00 tier or an inverted table promises nothing a tester can rely on."""
    given: list[tuple[str, Decimal, str]] = []
    for severity in TermsVersion.SEVERITIES:
        amount = table.get(severity)
        if amount in (None, ""):
            continue
        problem = currencies.amount_error(amount, currency)
        if problem:
            return f"Bounty for {severity}: {problem}"
        value = Decimal(str(amount))
        if value <= 0:
            return (
                f"Each bounty is more than zero ({severity}: {amount}); leave a severity "
                "empty if it earns nothing."
            )
        if given and value <= given[-1][1]:
            lower, _, shown = given[-1]
            return (
                f"A higher severity pays more: {severity} ({amount}) is not more than "
                f"{lower} ({shown})."
            )
        given.append((severity, value, str(amount)))
    return None


def _incoherences(terms: TermsVersion) -> dict[str, str]:
    """Terms that contradict themselves or promise nothing real, field by field: more hours
    than a working week, a review deadline of years, amounts finer than the currency (never
    rounded silently), a minimum pay on unpaid terms, a rate under its own minimum, prizes
    nobody describes, and lines that are not lines."""
    errors: dict[str, str] = {}
    P = terms.PayModel
    hours, most = terms.expected_hours_per_week, settings.TERMS_MAX_HOURS_PER_WEEK
    if hours is not None and hours > most:
        errors["expected_hours_per_week"] = (
            f"Expected hours are at most {most} a week (the average maximum of the EU "
            "Working Time Directive)."
        )
    days = settings.TERMS_MAX_REVIEW_DAYS
    if terms.review_deadline_hours and terms.review_deadline_hours > days * 24:
        errors["review_deadline_hours"] = (
            f"A review deadline is at most {days} days ({days * 24} h); testers wait no longer."
        )
    for name in MONEY_TERMS:
        problem = currencies.amount_error(getattr(terms, name), terms.currency)
        if problem:
            errors[name] = problem
    if terms.pay_model == P.UNPAID and terms.hourly_floor:
        errors["hourly_floor"] = (
            "Unpaid terms promise no minimum hourly pay: choose the pay model that pays it, "
            "or leave the minimum empty."
        )
    rate, floor = terms.hourly_rate, terms.hourly_floor
    if terms.pay_model == P.HOURLY and rate and floor and rate < floor:
        errors["hourly_rate"] = (
            f"The hourly rate ({rate}) is under the minimum hourly pay ({floor}) of the same "
            "terms: raise the rate or lower the minimum."
        )
    if terms.pay_model == P.PRIZE_ONLY and not (terms.prize_description or "").strip():
        errors["prize_description"] = (
            "Prize-only terms describe the prizes: what they are, how many, and how they are won."
        )
    for field in TermsVersion._meta.fields:
        single = any(isinstance(v, SingleLineValidator) for v in field.validators)
        if single and not is_single_line(getattr(terms, field.name)):
            errors[field.name] = f"This cannot contain {WHY}."
    return errors


def check_passages(terms: TermsVersion, in_force: TermsVersion | None, *, agree: bool) -> list:
    """The new passages of the full text about what structured terms cover, each beside
    those terms; ValidationError while one has neither changed terms nor the manager's
    word that the terms say the same (what preview and publish both ask)."""
    rows = watched_passages(terms, in_force)
    unsettled = [row for row in rows if not row["changed"]]
    if unsettled and not agree:
        words = sorted({w for row in unsettled for w in row["words"]})
        raise ValidationError(
            {
                "passages_agree": (
                    f"The full text speaks of {', '.join(words)} in {len(unsettled)} new "
                    "passage(s), shown beside the structured terms they touch. Make those "
                    "terms say the same (they are what the key facts and the pay come "
                    "from), or confirm here that they already do."
                )
            }
        )
    return rows


def check_publishable(terms: TermsVersion, *, agree: bool) -> None:
    """Everything publishing checks, for the editor's preview, every reason at once."""
    errors: dict[str, list[str]] = {}
    for check in (
        lambda: check_terms(terms),
        lambda: check_passages(terms, current_terms(terms.programme), agree=agree),
    ):
        try:
            check()
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def watched_passages(terms: TermsVersion, in_force: TermsVersion | None) -> list[dict]:
    """Each new watched passage (`programs.changes.new_passages`) with the structured terms
    it touches as they stand, and whether any of them changed from the terms in force."""
    labels = {f.name: str(capfirst(f.verbose_name)) for f in TermsVersion._meta.fields}
    rows = []
    for passage in changes.new_passages(in_force.body if in_force else None, terms.body):
        changed = in_force is not None and any(
            getattr(in_force, name) != getattr(terms, name) for name in passage.fields
        )
        rows.append(
            {
                "text": passage.text,
                "words": list(passage.words),
                "changed": changed,
                "terms": [
                    {"field": name, "label": labels[name], "value": term_display(terms, name)}
                    for name in passage.fields
                ],
            }
        )
    return rows


def term_display(terms: TermsVersion, name: str) -> str:
    getter = getattr(terms, f"get_{name}_display", None)
    if getter:
        return str(getter())
    value = getattr(terms, name)
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        labels = dict(TermsVersion.Activity.choices) | dict(Programme.TaxForm.choices)
        return ", ".join(str(labels.get(v, v)) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)
