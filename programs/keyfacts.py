"""The plain-language key-facts box, generated from the structured terms.

Hand-written because it is the product's own voice: short sentences a tester
reads before consenting, in the order that matters most to them (pay, approval,
confidentiality, use of their work, the right to leave).

Generated in the reader's language: every sentence is marked for translation and its
amounts and dates are formatted by `core.l10n`, so a version's key facts need no translator.
Only the free-text terms (a prize, an NDA's scope…) are the organiser's own words: shown
from the version's translation in that language when there is one (`shown`).
"""

from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core import l10n

# The free-text terms the key facts quote (a translation gives them in its language).
QUOTED = (
    "prize_description",
    "payment_schedule",
    "in_kind_benefits",
    "nda_until_text",
    "nda_public_scope",
    "credit_attribution",
)


def money(amount, currency: str) -> str:
    if amount is None:
        return _("an unstated amount")
    return l10n.money(amount, currency)


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return _("%(items)s and %(last)s") % {
        "items": pgettext("list separator", ", ").join(words[:-1]),
        "last": words[-1],
    }


def _stipend(t, free) -> str:
    amount = money(t.stipend_amount, t.currency)
    if t.stipend_period == t.StipendPeriod.WEEKLY:
        return _("Stipend of %(amount)s per week.") % {"amount": amount}
    if t.stipend_period == t.StipendPeriod.MONTHLY:
        return _("Stipend of %(amount)s per month.") % {"amount": amount}
    return _("Stipend of %(amount)s per period.") % {"amount": amount}


def _severity(name: str) -> str:
    return {
        "low": pgettext("severity", "low"),
        "medium": pgettext("severity", "medium"),
        "high": pgettext("severity", "high"),
        "critical": pgettext("severity", "critical"),
    }.get(name, name)


def _pay_model_sentence(t, free) -> str:
    P = t.PayModel
    if t.pay_model == P.UNPAID:
        return _("Unpaid.")
    if t.pay_model == P.HOURLY:
        return _("Paid %(amount)s per hour worked.") % {"amount": money(t.hourly_rate, t.currency)}
    if t.pay_model == P.STIPEND:
        return _stipend(t, free)
    if t.pay_model == P.BOUNTY:
        parts = [
            f"{_severity(sev)} {money(t.bounty_for(sev), t.currency)}"
            for sev in t.SEVERITIES
            if t.bounty_for(sev) is not None
        ]
        if not parts:
            return _("Paid per accepted finding.")
        return _("Paid per accepted finding: %(amounts)s.") % {
            "amounts": pgettext("list separator", ", ").join(parts)
        }
    if t.pay_model == P.PRIZE_ONLY:
        if free["prize_description"]:
            return _("No pay; prizes only (%(prize)s).") % {"prize": free["prize_description"]}
        return _("No pay; prizes only.")
    return _("Grant of %(amount)s.") % {"amount": money(t.grant_amount, t.currency)}


def pay_sentence(t, free=None) -> str:
    free = free or {name: getattr(t, name) for name in QUOTED}
    sentence = _pay_model_sentence(t, free)
    if free["payment_schedule"] and t.pay_model != t.PayModel.UNPAID:
        sentence = _("%(pay)s, %(schedule)s.") % {
            "pay": sentence.rstrip("."),
            "schedule": free["payment_schedule"],
        }
    if t.tax_forms:
        sentence += " " + _(
            "Pay earned under these terms is paid once you have sent %(forms)s (in the "
            "product); pay earned before them is not held."
        ) % {"forms": _(" or ").join(t.tax_form_labels)}
    if t.hourly_floor:
        sentence += " " + _(
            "At least %(amount)s per confirmed hour each month; any shortfall is topped up."
        ) % {"amount": money(t.hourly_floor, t.currency)}
    if t.other_currencies:
        sentence += " " + _("Pay may also be awarded in %(currencies)s.") % {
            "currencies": pgettext("list separator", ", ").join(t.other_currencies)
        }
    return sentence


def promotion_sentence(t) -> str:
    """What the organiser's publicity may take from the tester's work, in one line."""
    U = t.PromotionalUse
    if t.promotional_use == U.NO:
        return _("Your work and name are not used in marketing.")
    how = (
        _("only with your consent per use")
        if t.promotional_use == U.CONSENT
        else _("without asking you each time")
    )
    fee = (
        _("paid %(amount)s a use") % {"amount": money(t.promotion_fee, t.currency)}
        if t.promotion_paid
        else _("unpaid")
    )
    credit = (
        _("with your name")
        if t.promotion_credit == t.PromotionCredit.NAMED
        else _("without your name")
    )
    return _("Your work may be used in marketing %(how)s, %(fee)s, %(credit)s.") % {
        "how": how,
        "fee": fee,
        "credit": credit,
    }


def _target(name: str, days: int) -> str:
    """One promised response target: "a triage decision within 5 business days"."""
    n = {"days": days}
    return {
        "first_response_days": ngettext(
            "a first response to a ticket within %(days)d business day",
            "a first response to a ticket within %(days)d business days",
            days,
        ),
        "triage_days": ngettext(
            "a triage decision within %(days)d business day",
            "a triage decision within %(days)d business days",
            days,
        ),
        "contest_days": ngettext(
            "a decision on a contest within %(days)d business day",
            "a decision on a contest within %(days)d business days",
            days,
        ),
        "payment_days": ngettext(
            "payment after approval within %(days)d business day",
            "payment after approval within %(days)d business days",
            days,
        ),
    }[name] % n


def not_counted(country: str) -> str:
    """What a business-day count skips, in the reader's language."""
    if not country:
        return _("weekends")
    name = l10n.locale().territories.get(country.upper(), country)
    return _("weekends and public holidays in %(country)s") % {"country": name}


def response_sentence(t) -> str | None:
    """How fast the organiser promises to answer, in business days, or None."""
    promised = [
        _target(name, getattr(t, name))
        for name in t.RESPONSE_TARGETS
        if getattr(t, name) is not None
    ]
    if not promised:
        return None
    return _("Promised: %(targets)s (%(skipped)s not counted).") % {
        "targets": _join(promised),
        "skipped": not_counted(t.programme.holiday_calendar),
    }


def _work_facts(t) -> list[str]:
    activities = [label.lower() for label in t.activity_labels()]
    if t.expected_hours_per_week:
        hours = l10n.number(Decimal(str(t.expected_hours_per_week)))
        if activities:
            return [
                _("About %(hours)s h a week expected of %(activities)s.")
                % {"hours": hours, "activities": _join(activities)}
            ]
        return [_("About %(hours)s h a week expected.") % {"hours": hours}]
    if activities:
        return [_("Expected: %(activities)s; no set hours.") % {"activities": _join(activities)}]
    return []


def _approval_facts(t) -> list[str]:
    A = t.ApprovalScope
    if t.approval_scope == A.NONE:
        return [_("Outputs may be shared without approval.")]
    facts = [
        _("Every output needs approval before sharing.")
        if t.approval_scope == A.EVERY_OUTPUT
        else _("Outputs need approval before public sharing.")
    ]
    if t.review_deadline_hours:
        n = {"hours": t.review_deadline_hours}
        facts.append(
            _("Review within %(hours)s h, else deemed approved.") % n
            if t.on_missed_deadline == t.OnMissedDeadline.DEEMED_APPROVED
            else _("Review within %(hours)s h, else escalated to managers.") % n
        )
    else:
        facts.append(_("No review deadline."))
    facts.append(_("Rejections can be appealed.") if t.appeals_allowed else _("No appeals."))
    return facts


def _nda_facts(t, free) -> list[str]:
    if not t.nda:
        return [_("No NDA.")]
    if t.nda_until:
        facts = [_("NDA until %(date)s.") % {"date": l10n.day(t.nda_until)}]
    elif free["nda_until_text"]:
        facts = [_("NDA %(until)s.") % {"until": free["nda_until_text"]}]
    else:
        facts = [_("NDA with no end date.")]
    if free["nda_public_scope"]:
        facts.append(_("You may say in public: %(scope)s.") % {"scope": free["nda_public_scope"]})
    return facts


def _use_facts(t, free) -> list[str]:
    T = t.TrainingUse
    facts = [
        {
            T.NO: _("Your outputs are not used for training."),
            T.OPT_IN: _("Your outputs are used for training only if you opt in."),
            T.PER_OUTPUT: _("You decide for each output whether it may be used for training."),
            T.YES: _("Your outputs may be used for training."),
        }[t.training_use]
    ]
    if free["credit_attribution"]:
        facts.append(_("Credit: %(credit)s.") % {"credit": free["credit_attribution"]})
    facts.append(promotion_sentence(t))
    return facts


def key_facts(t, shown: dict | None = None) -> list[str]:
    """The key facts of terms version `t` in the language in force. `shown`: the free-text
    terms as the reader was shown them (a translation's), else the version's own."""
    free = {name: getattr(t, name) for name in QUOTED} | {
        k: v for k, v in (shown or {}).items() if k in QUOTED and v
    }
    facts = [pay_sentence(t, free)]
    if free["in_kind_benefits"]:
        facts.append(_("In kind: %(benefits)s.") % {"benefits": free["in_kind_benefits"]})
    facts += _work_facts(t) + _approval_facts(t) + _nda_facts(t, free) + _use_facts(t, free)
    if t.voluntary and t.right_to_withdraw:
        facts.append(_("Voluntary; you may withdraw at any time."))
    elif not t.right_to_withdraw:
        facts.append(_("You may not withdraw freely."))
    if response := response_sentence(t):
        facts.append(response)
    if t.notice_period_days:
        facts.append(
            ngettext(
                "Changes announced %(days)d day ahead.",
                "Changes announced %(days)d days ahead.",
                t.notice_period_days,
            )
            % {"days": t.notice_period_days}
        )
    else:
        facts.append(_("Changes may take effect without notice."))
    return [f.replace("..", ".") for f in facts]
