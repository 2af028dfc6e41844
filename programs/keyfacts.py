"""The plain-language key-facts box, generated from the structured terms.

Hand-written because it is the product's own voice: short sentences a tester
reads before consenting, in the order that matters most to them (pay, approval,
confidentiality, use of their work, the right to leave).
"""

from decimal import Decimal

from core import currencies
from core.businessdays import not_counted

SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


def money(amount, currency: str) -> str:
    if amount is None:
        return "an unstated amount"
    amount = Decimal(str(amount))
    places = min(currencies.decimals(currency), currencies.STORED_DECIMALS)
    text = f"{amount:,.{places}f}"  # 1,500 JPY, not 1,500.00
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def _join(words: list[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " and " + words[-1]


def pay_sentence(t) -> str:
    P = t.PayModel
    if t.pay_model == P.UNPAID:
        sentence = "Unpaid."
    elif t.pay_model == P.HOURLY:
        sentence = f"Paid {money(t.hourly_rate, t.currency)} per hour worked."
    elif t.pay_model == P.STIPEND:
        period = t.get_stipend_period_display() or "period"
        sentence = f"Stipend of {money(t.stipend_amount, t.currency)} per {period}."
    elif t.pay_model == P.BOUNTY:
        parts = [
            f"{sev} {money(t.bounty_for(sev), t.currency)}"
            for sev in t.SEVERITIES
            if t.bounty_for(sev) is not None
        ]
        sentence = "Paid per accepted finding" + (f": {', '.join(parts)}." if parts else ".")
    elif t.pay_model == P.PRIZE_ONLY:
        sentence = "No pay; prizes only" + (
            f" ({t.prize_description})." if t.prize_description else "."
        )
    else:
        sentence = f"Grant of {money(t.grant_amount, t.currency)}."
    if t.payment_schedule and t.pay_model != P.UNPAID:
        sentence = sentence[:-1] + f", {t.payment_schedule}."
    if t.tax_forms:
        forms = " or ".join(t.tax_form_labels)
        sentence += (
            f" Pay earned under these terms is paid once you have sent {forms} (in the "
            "product); pay earned before them is not held."
        )
    if t.hourly_floor:
        sentence += (
            f" At least {money(t.hourly_floor, t.currency)} per confirmed hour each month; "
            "any shortfall is topped up."
        )
    return sentence


def promotion_sentence(t) -> str:
    """What the organiser's publicity may take from the tester's work, in one line."""
    U = t.PromotionalUse
    if t.promotional_use == U.NO:
        return "Your work and name are not used in marketing."
    how = (
        "only with your consent per use"
        if t.promotional_use == U.CONSENT
        else "without asking you each time"
    )
    fee = f"paid {money(t.promotion_fee, t.currency)} a use" if t.promotion_paid else "unpaid"
    credit = (
        "with your name" if t.promotion_credit == t.PromotionCredit.NAMED else "without your name"
    )
    return f"Your work may be used in marketing {how}, {fee}, {credit}."


def response_sentence(t) -> str | None:
    """How fast the organiser promises to answer, in business days, or None."""
    promised = [
        f"{label} within {getattr(t, name)} business day{'s' if getattr(t, name) != 1 else ''}"
        for name, label in t.RESPONSE_TARGETS.items()
        if getattr(t, name) is not None
    ]
    if not promised:
        return None
    skipped = not_counted(t.programme.holiday_calendar)
    return f"Promised: {_join(promised)} ({skipped} not counted)."


def key_facts(t) -> list[str]:
    facts = [pay_sentence(t)]
    if t.in_kind_benefits:
        facts.append(f"In kind: {t.in_kind_benefits}.")

    activities = [label.lower() for label in t.activity_labels()]
    if t.expected_hours_per_week:
        hours = Decimal(str(t.expected_hours_per_week)).normalize()
        work = f"About {hours:f} h a week expected"
        facts.append(work + (f" of {_join(activities)}." if activities else "."))
    elif activities:
        facts.append(f"Expected: {_join(activities)}; no set hours.")

    A = t.ApprovalScope
    if t.approval_scope == A.NONE:
        facts.append("Outputs may be shared without approval.")
    else:
        if t.approval_scope == A.EVERY_OUTPUT:
            facts.append("Every output needs approval before sharing.")
        else:
            facts.append("Outputs need approval before public sharing.")
        if t.review_deadline_hours:
            after = (
                "deemed approved"
                if t.on_missed_deadline == t.OnMissedDeadline.DEEMED_APPROVED
                else "escalated to managers"
            )
            facts.append(f"Review within {t.review_deadline_hours} h, else {after}.")
        else:
            facts.append("No review deadline.")
        facts.append("Rejections can be appealed." if t.appeals_allowed else "No appeals.")

    if t.nda:
        if t.nda_until:
            until = f" until {t.nda_until:%-d %B %Y}"
        elif t.nda_until_text:
            until = f" {t.nda_until_text}"
        else:
            until = " with no end date"
        facts.append(f"NDA{until}.")
        if t.nda_public_scope:
            facts.append(f"You may say in public: {t.nda_public_scope}.")
    else:
        facts.append("No NDA.")

    T = t.TrainingUse
    facts.append(
        {
            T.NO: "Your outputs are not used for training.",
            T.OPT_IN: "Your outputs are used for training only if you opt in.",
            T.PER_OUTPUT: "You decide for each output whether it may be used for training.",
            T.YES: "Your outputs may be used for training.",
        }[t.training_use]
    )
    if t.credit_attribution:
        facts.append(f"Credit: {t.credit_attribution}.")
    facts.append(promotion_sentence(t))
    if t.voluntary and t.right_to_withdraw:
        facts.append("Voluntary; you may withdraw at any time.")
    elif not t.right_to_withdraw:
        facts.append("You may not withdraw freely.")
    if response := response_sentence(t):
        facts.append(response)
    if t.notice_period_days:
        facts.append(f"Changes announced {t.notice_period_days} days ahead.")
    else:
        facts.append("Changes may take effect without notice.")
    return [f.replace("..", ".") for f in facts]
