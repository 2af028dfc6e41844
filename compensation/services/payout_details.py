"""How a person wants to be paid: validated, stored encrypted, shown masked.

Only the person themselves sets their details; batches already built keep the details
they were built with.
"""

import uuid

import pycountry
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from audit.services import record
from core.encryption import encrypt_json
from core.errors import DomainError
from core.l10n import english
from core.services import notify

from ..models import PayoutDetails


def _mask_iban(iban: str) -> str:
    return f"{iban[:4]} •••• {iban[-4:]}"


def _mask_email(email: str) -> str:
    local, _, domain = email.partition("@")
    return f"{local[:1]}•••@{domain}"


def _legal_name(value: str) -> str:
    legal_name = " ".join((value or "").split())
    if not legal_name:
        raise DomainError(
            "Give your legal name, as your bank or provider knows it.", field="legal_name"
        )
    if len(legal_name) > 140:
        raise DomainError(
            "The legal name is too long (140 characters at most).", field="legal_name"
        )
    return legal_name


def _country(value: str) -> str:
    country = (value or "").strip().upper()
    if pycountry.countries.get(alpha_2=country) is None:
        raise DomainError(
            f"“{country}” is not a country code; use two letters such as DE, FR or US.",
            field="country",
        )
    return country


def _bank_account(iban: str, bic: str) -> tuple[dict, str]:
    """({"iban", "bic"?}, the masked account) of a SEPA bank account."""
    # schwifty reads its bank registries on import: loaded when an account is checked.

    try:
        account = IBAN(iban or "")
    except SchwiftyException as exc:
        raise DomainError(f"That IBAN is not valid: {exc}.", field="iban") from None
    if not account.in_sepa_zone:
        raise DomainError(
            f"Accounts in {account.country_code} are outside the SEPA zone; choose Wise "
            "or PayPal to be paid there.",
            field="iban",
        )
    secret = {"iban": account.compact}
    if (bic or "").strip():
        try:
            secret["bic"] = str(BIC(bic.strip()))
        except SchwiftyException as exc:
            raise DomainError(f"That BIC is not valid: {exc}.", field="bic") from None
    return secret, _mask_iban(account.compact)


def _provider_account(method: str, email: str) -> tuple[dict, str]:
    """({"email"}, the masked address) of a PayPal or Wise account."""
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError(
            f"Give the email address of your {PayoutDetails.Method(method).label} account.",
            field="email",
        ) from None
    return {"email": email}, _mask_email(email)


@transaction.atomic
def payout_details_set(
    *,
    actor,
    legal_name: str,
    country: str,
    method: str,
    iban: str = "",
    bic: str = "",
    email: str = "",
) -> PayoutDetails:
    """A person says how they want to be paid. Validated, stored encrypted, shown masked.

    Only the person themselves sets their details (`user`, the signed-in person; no one acts
    for someone else here, so nobody can redirect another person's pay). Batches already
    built keep the details they were built with. The change is an audit event (method,
    country and the masked account, never the account) and the person is notified, so a
    change they did not make does not go unnoticed.
    """
    if actor is None or not actor.is_authenticated:
        raise DomainError("Sign in to give your payout details.", code="not_allowed")
    legal_name = _legal_name(legal_name)
    country = _country(country)
    if method not in PayoutDetails.Method.values:
        raise DomainError(f"“{method}” is not a payout method.", field="method")
    if method == PayoutDetails.Method.BANK:
        account, masked = _bank_account(iban, bic)
    else:
        account, masked = _provider_account(method, email)
    details = PayoutDetails.objects.select_for_update().filter(user=actor).first()
    created = details is None
    if created:
        details = PayoutDetails(user=actor)
    details.method = method
    details.country = country
    details.secret = encrypt_json({"legal_name": legal_name, **account})
    details.masked = masked
    details.save()
    record(
        action="compensation.payout_details.set",
        obj=details,
        actor=actor,
        subject=actor,
        data={"method": method, "country": country, "account": masked, "new": created},
    )
    notify(
        user=actor,
        subject="Your payout details were changed",
        body=f"You will be paid by {english(details.get_method_display)} to {masked} "
        f"({country}). "
        "If you did not make this change, change your password and tell the programme's "
        "finance team.",
        dedupe_key=f"compensation.payout_details:{details.pk}:{uuid.uuid4().hex}",
        url=reverse("compensation:payout_details"),
    )
    return details
