"""Whether an approved output may be used for training now, what that rests on, and how it reads
in the CAWG training-and-data-mining vocabulary.

The decision is publicity's (`publicity.selectors.training_allowed`: the terms the tester
accepted, and their own choice where the terms make it one); this module adds what it rests
on (which terms, consented when, which choice, made when) for the registry and the checks.

The tester's one choice covers the four CAWG uses. What they allow, they allow to the
programme's organiser under the programme's terms, not to everyone: so an allowed use reads
`constrained` (with the constraint in words), a refused one `notAllowed`; `allowed`
(anyone, any purpose) is never claimed on a tester's behalf.
"""

from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse

from approvals.models import OutputSubmission
from participants.models import Consent
from programs.models import Programme, TermsVersion
from publicity.models import TrainingChoice
from publicity.selectors import training_allowed

# The CAWG training-and-data-mining entries (cawg.training-mining), in the order shown.
PURPOSES = {
    "cawg.ai_training": "AI training",
    "cawg.ai_generative_training": "Generative AI training",
    "cawg.ai_inference": "AI inference",
    "cawg.data_mining": "Data mining",
}
ALLOWED, NOT_ALLOWED, CONSTRAINED = "allowed", "notAllowed", "constrained"


@dataclass(frozen=True)
class Permission:
    allowed: bool
    # {"basis": "terms" | "choice" | "default_choice" | "no_choice" | "no_consent",
    #  "terms_version", "terms_sha256", "consented_at", "choice_at"} (JSON-ready).
    consent: dict


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def for_person(participant_id: int, programme: Programme):
    """A function submission → `Permission` for one tester's outputs in one programme (two
    queries, whatever the number of outputs)."""
    consent = (
        Consent.objects.filter(
            participation__user_id=participant_id, participation__programme=programme
        )
        .select_related("terms_version")
        .order_by("-terms_version__number", "-accepted_at")
        .first()
    )
    latest: dict = {}
    for submission_id, allowed, at in (
        TrainingChoice.objects.filter(participant_id=participant_id, programme=programme)
        .order_by("chosen_at", "pk")
        .values_list("submission_id", "allowed", "chosen_at")
    ):
        latest[submission_id] = (allowed, at)
    choices = {key: allowed for key, (allowed, _) in latest.items()}
    terms = consent.terms_version if consent else None

    def permission(submission: OutputSubmission) -> Permission:
        allowed = bool(terms) and training_allowed(submission, terms=terms, choices=choices)
        choice_at = None
        if terms is None:
            basis = "no_consent"
        elif terms.training_use not in TermsVersion.TRAINING_CHOICE:
            basis = "terms"
        elif terms.training_use == TermsVersion.TrainingUse.PER_OUTPUT and (
            submission.pk in latest
        ):
            basis, choice_at = "choice", latest[submission.pk][1]
        elif None in latest:
            basis, choice_at = "default_choice", latest[None][1]
        else:
            basis = "no_choice"
        return Permission(
            allowed,
            {
                "basis": basis,
                "terms_version": terms.number if terms else None,
                "terms_sha256": terms.content_hash if terms else None,
                "consented_at": _iso(consent.accepted_at) if consent else None,
                "choice_at": _iso(choice_at),
            },
        )

    return permission


def constraint(programme: Programme) -> str:
    """In words, to whom an allowed use is allowed."""
    registry = settings.SITE_URL + reverse("provenance:registry", args=[programme.slug])
    return (
        f"Only by the organiser of {programme.name} ({programme.product}), under the "
        f"programme's terms and while the tester allows it: check {registry} before use."
    )


def uses(allowed: bool) -> dict[str, str]:
    """The CAWG use of each purpose for this permission."""
    return dict.fromkeys(PURPOSES, CONSTRAINED if allowed else NOT_ALLOWED)


def cawg_entries(allowed: bool, programme: Programme) -> dict:
    """The `entries` of a cawg.training-mining assertion."""
    out = {}
    for purpose, use in uses(allowed).items():
        out[purpose] = {"use": use}
        if use == CONSTRAINED:
            out[purpose]["constraint_info"] = constraint(programme)
    return out
