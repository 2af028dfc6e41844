"""Consent: a participant accepts an exact version of the terms, as they saw it; a new
version is announced to the participants with what changed (and, when it is material,
that they must accept it before further work)."""

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.services import record
from core import l10n
from core.errors import DomainError, NotAllowed
from core.models import PersonSettings
from core.services import notify
from programs import signals
from programs.models import Programme, TermsVersion
from programs.selectors import current_terms, upcoming_terms
from programs.services import describe_changes, terms_diff

from ..models import Consent, Participation


@transaction.atomic
def consent_accept(
    *,
    actor,
    programme: Programme,
    terms: TermsVersion,
    seen_hash: str,
    ip: str | None = None,
    acknowledged: list[str] | None = None,
    shown_language: str | None = None,
    shown_hash: str | None = None,
) -> Consent:
    """Record that the participant accepted this exact version, as they saw it.

    `seen_hash` is the hash of the version shown on the consent screen; if it
    does not match, the person did not see these terms and nothing is recorded.
    `acknowledged` are the hashes of the later versions published but not yet in force
    that the screen showed beside it: they must be exactly those versions (nothing
    published since is hidden), and the consent records them.
    `shown_language` and `shown_hash` are the language and hash of the text the screen showed
    (the binding text, or a published translation of it): recorded with the consent, refused
    if they are not a text of this version. Not given (the API): the binding text.
    """
    participation = (
        Participation.objects.select_for_update().filter(user=actor, programme=programme).first()
    )
    if participation is None:
        raise NotAllowed("You are not a participant of this programme.")
    if participation.status in Participation.ENDED:
        raise NotAllowed(
            f"You have {participation.get_status_display().lower()}; there is nothing to accept."
        )
    if terms.programme_id != programme.pk or not terms.is_published:
        raise DomainError("These terms are not published for this programme.")
    if seen_hash != terms.content_hash:
        raise DomainError(
            "The terms you were shown are not these terms. Reload the page and read them again.",
            code="hash_mismatch",
        )
    offered = {t.pk for t in (current_terms(programme), upcoming_terms(programme)) if t}
    if terms.pk not in offered:
        raise DomainError("A newer version of these terms exists; accept that one instead.")
    existing = Consent.objects.filter(participation=participation, terms_version=terms).first()
    if existing:
        return existing
    translation = _shown_translation(terms, shown_language, shown_hash)
    coming = _acknowledged(terms, acknowledged) if acknowledged is not None else []
    consent = Consent.objects.create(
        participation=participation,
        terms_version=terms,
        terms_hash=terms.content_hash,
        accepted_at=timezone.now(),
        ip_address=ip,
        acknowledged=coming,
        shown_language=translation.language if translation else terms.binding_language,
        shown_hash=translation.content_hash if translation else terms.content_hash,
        translation=translation,
    )
    record(
        action="participants.consent.accepted",
        obj=consent,
        actor=actor,
        programme=programme,
        subject=actor,
        data={
            "terms_version": terms.number,
            "terms_hash": terms.content_hash,
            "acknowledged": coming,
            "shown_language": consent.shown_language,
            "shown_hash": consent.shown_hash,
        },
    )
    # New terms may change what the tester's outputs may be used for (provenance).
    signals.consent_accepted.send(
        Consent,
        programme=programme,
        payload=signals.ConsentAccepted(participant=actor.pk, terms_version=terms.number),
    )
    return consent


def _shown_translation(terms: TermsVersion, language: str | None, shown_hash: str | None):
    """The translation the screen showed (None: the binding text), checked against its hash."""
    if not language or language == terms.binding_language:
        if shown_hash not in (None, terms.content_hash):
            raise DomainError(
                "The text you were shown is not these terms. Reload the page and read them again.",
                code="hash_mismatch",
            )
        return None
    translation = terms.translation(language)
    if translation is None:
        raise DomainError("These terms have no translation into that language.")
    if shown_hash != translation.content_hash:
        raise DomainError(
            "The translation you were shown is not the one published. Reload the page and "
            "read it again.",
            code="hash_mismatch",
        )
    return translation


def coming_after(terms: TermsVersion, at=None) -> list[TermsVersion]:
    """The versions of `terms`' programme published after it and not yet in force."""
    at = at or timezone.now()
    return list(
        TermsVersion.objects.published()
        .filter(programme=terms.programme_id, number__gt=terms.number, effective_at__gt=at)
        .order_by("number")
    )


def _acknowledged(terms: TermsVersion, hashes: list[str]) -> list[dict]:
    """The coming versions a person acknowledges, refused unless `hashes` are exactly theirs."""
    coming = coming_after(terms)
    if sorted(hashes) != sorted(t.content_hash for t in coming):
        raise DomainError(
            "A version of the terms was published or changed while you read them. Reload "
            "the page and read what is coming.",
            code="hash_mismatch",
        )
    return [
        {"number": t.number, "hash": t.content_hash, "effective_at": t.effective_at.isoformat()}
        for t in coming
    ]


# --- New terms ---------------------------------------------------------------------------


def _new_terms_message(terms: TermsVersion, previous: TermsVersion) -> tuple[str, str]:
    """(subject, body) of the new-terms email, in the language in force."""
    diff = terms_diff(previous, terms)
    changed = describe_changes(diff)
    n = {"number": terms.number, "previous": previous.number, "changed": changed}
    if terms.material_change:
        worse = (
            " " + _("Worse for you: %(terms)s.") % {"terms": ", ".join(diff["worse"])}
            if diff["worse"]
            else ""
        )
        body = _(
            "Version %(number)s of the terms changes the deal and takes effect on %(when)s. "
            "From then on, accept it before doing further work. You may also withdraw."
            "%(worse)s\n\nWhat changes from version %(previous)s:\n%(changed)s"
        ) % {**n, "when": l10n.moment(terms.effective_at), "worse": worse}
    else:
        body = (
            _(
                "Version %(number)s of the terms is in force (no material change).\n\n"
                "What changed from version %(previous)s:\n%(changed)s"
            )
            % n
        )
    if terms.tax_forms and terms.tax_forms != previous.tax_forms:
        # A condition on pay: said apart, with where the form is sent.
        body += "\n\n" + _(
            "A tax form is asked for: pay earned under version %(number)s is paid once you "
            "have sent %(forms)s. Send it in the product: %(url)s. Pay earned before it is "
            "not held."
        ) % {
            "number": terms.number,
            "forms": _(" or ").join(str(label) for label in terms.tax_form_labels),
            "url": reverse("compensation:tax_form", args=[terms.programme.slug]),
        }
    return _("New terms for %(programme)s") % {"programme": terms.programme.name}, body


def notify_participants_of_new_terms(terms: TermsVersion, previous: TermsVersion) -> None:
    """Tell the active and paused participants of a new version: what changed, and when. Each
    reads it in their own language (their setting, else the programme's)."""
    programme = terms.programme
    participations = list(
        Participation.objects.filter(
            programme=programme,
            status__in=[Participation.Status.ACTIVE, Participation.Status.PAUSED],
        ).select_related("user")
    )
    chosen = dict(
        PersonSettings.objects.filter(user__in=[p.user_id for p in participations]).values_list(
            "user_id", "language"
        )
    )
    messages = {}
    for participation in participations:
        language = (
            chosen.get(participation.user_id)
            or programme.default_language
            or settings.LANGUAGE_CODE
        )
        if language not in messages:
            with translation.override(language):
                messages[language] = _new_terms_message(terms, previous)
        subject, body = messages[language]
        notify(
            user=participation.user,
            subject=subject,
            body=body,
            url=reverse("participants:consent", args=[programme.slug]),
            dedupe_key=f"terms-published:{terms.pk}:{participation.pk}",
            programme=programme,
        )


def on_terms_published(sender, *, programme, payload, **kwargs) -> None:
    """Receiver of `programs.signals.terms_published`: new terms replacing terms in force."""
    terms = TermsVersion.objects.select_related("programme").get(
        programme=programme, number=payload.number
    )
    # The version the participants worked under when this one was published.
    previous = (
        TermsVersion.objects.published()
        .filter(programme=programme, number__lt=terms.number, effective_at__lte=terms.published_at)
        .order_by("-number")
        .first()
    )
    if previous is not None:
        notify_participants_of_new_terms(terms, previous)
