"""Reads about participants that several places need: pauses, the programmes one works in."""

from datetime import timedelta

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from programs.models import Programme, TermsVersion
from programs.selectors import per_programme
from programs.services import terms_diff

from .models import AccessPause, Application, Consent, Participation


def working_programmes(user):
    """Programmes the person takes part in (the service still checks access and consent)."""

    return Programme.objects.filter(
        participations__user=user, participations__status="active"
    ).order_by("name")


def hours_programmes(user, now=None):
    """Programmes the person may log hours in: those they work in, and those they withdrew
    from less than `HOURS_AFTER_WITHDRAWAL_DAYS` ago (for the hours worked before)."""
    now = now or timezone.now()
    since = now - timedelta(days=settings.HOURS_AFTER_WITHDRAWAL_DAYS)
    mine = Participation.objects.filter(user=user).filter(
        Q(status="active") | Q(status="withdrawn", status_changed_at__gte=since)
    )
    return Programme.objects.filter(pk__in=mine.values("programme_id")).order_by("name")


def active_programme_pause(programme, at=None) -> AccessPause | None:
    """The programme-wide pause in force at `at` (now by default), if any."""
    at = at or timezone.now()
    return (
        AccessPause.objects.filter(
            programme=programme, participation__isnull=True, starts_at__lte=at
        )
        .exclude(ended_at__lte=at)
        .order_by("-starts_at")
        .first()
    )


def consent_covers(required):
    """Per participation (an annotation): has it accepted `required` or a later version?

    The one rule for "has accepted the current terms", as the access check applies it:
    a consent to the newest material version in force, or to anything after it.
    """
    return Exists(
        Consent.objects.filter(
            participation=OuterRef("pk"),
            terms_version__programme=required.programme_id,
            terms_version__number__gte=required.number,
        )
    )


def my_participations(user, at=None):
    """A person's participations with what their access check needs, in one query.

    Annotated per participation: `accepted_number` (the newest version of its programme's
    terms it accepted), `pause_id` and `pause_reason` (the programme-wide pause in force at
    `at`, if any). `services.access_checks` reads these instead of querying again.
    """
    at = at or timezone.now()
    pause = (
        AccessPause.objects.filter(
            programme=OuterRef("programme_id"), participation__isnull=True, starts_at__lte=at
        )
        .exclude(ended_at__lte=at)
        .order_by("-starts_at")
    )
    accepted = (
        Consent.objects.filter(
            participation=OuterRef("pk"), terms_version__programme=OuterRef("programme_id")
        )
        .order_by()
        .values("participation")
        .annotate(n=Max("terms_version__number"))
        .values("n")
    )
    return (
        Participation.objects.restrict(user)
        .filter(user=user)
        .select_related("programme")
        .annotate(
            accepted_number=Subquery(accepted),
            pause_id=Subquery(pause.values("pk")[:1]),
            pause_reason=Subquery(pause.values("reason")[:1]),
        )
        .order_by("programme__name")
    )


def published_terms(programme_ids) -> list:
    """Every published version of these programmes' terms (one query), oldest first."""

    if not programme_ids:
        return []
    return list(
        TermsVersion.objects.published()
        .filter(programme_id__in=set(programme_ids))
        .select_related("programme")
        .order_by("programme_id", "number")
    )


def terms_in_force(published, at=None) -> dict:
    """programme id → the version in force at `at`, from `published_terms`' list."""
    at = at or timezone.now()
    out = {}
    for terms in published:
        if terms.effective_at <= at:
            out[terms.programme_id] = terms  # oldest first: the newest in force wins
    return out


def coming_changes(participations, at=None, *, published=None) -> dict:
    """Material changes published but not yet in force, that these participants have not
    accepted: programme id → {"terms", "diff"} (the diff from the terms in force now).

    From the day a change is published until it takes effect, the portal, the
    programme page and "needs your action" show it with its date. Two queries
    whatever the number of programmes.
    """

    at = at or timezone.now()
    participations = [p for p in participations if p.status in ("active", "paused")]
    programme_ids = {p.programme_id for p in participations}
    if not programme_ids:
        return {}
    coming, in_force = {}, {}
    if published is None:
        published = published_terms(programme_ids)
    for terms in published:
        if terms.programme_id not in programme_ids:
            continue
        if terms.effective_at > at:
            if terms.material_change:
                coming[terms.programme_id] = terms  # the newest one coming wins
        else:
            in_force[terms.programme_id] = terms
    accepted = set(
        Consent.objects.filter(
            participation__in=[p.pk for p in participations],
            terms_version__in=[t.pk for t in coming.values()],
        ).values_list("terms_version_id", "participation_id")
    )
    out = {}
    for p in participations:
        terms = coming.get(p.programme_id)
        if terms is None or (terms.pk, p.pk) in accepted:
            continue
        now_terms = in_force.get(p.programme_id)
        out[p.programme_id] = {
            "terms": terms,
            "diff": terms_diff(now_terms, terms) if now_terms else None,
        }
    return out


def _required(at, field: str):
    """Per participation (an expression): `field` of the version of its programme's terms it
    must have accepted to work (as `programs.selectors.required_terms`: the newest effective
    material change, else the first effective version)."""

    effective = TermsVersion.objects.effective(at).filter(programme=OuterRef("programme_id"))
    return Coalesce(
        Subquery(effective.filter(material_change=True).order_by("-number").values(field)[:1]),
        Subquery(effective.order_by("number").values(field)[:1]),
    )


def consent_pending(participations, at=None):
    """Of `participations`, the active and paused ones that must accept their programme's
    terms before any further work, annotated with `required_id` and `required_number` (the
    version to accept, or any later one) and `required_since` (when it took effect). One
    query for any number of programmes."""
    at = at or timezone.now()
    return (
        participations.filter(status__in=[Participation.Status.ACTIVE, Participation.Status.PAUSED])
        .annotate(
            required_id=_required(at, "pk"),
            required_number=_required(at, "number"),
            required_since=_required(at, "effective_at"),
        )
        .filter(required_id__isnull=False)
        .exclude(
            Exists(
                Consent.objects.filter(
                    participation=OuterRef("pk"),
                    terms_version__programme=OuterRef("programme_id"),
                    terms_version__number__gte=OuterRef("required_number"),
                )
            )
        )
    )


def attention_counts(user, now) -> list:
    """Staff home: applications waiting for a decision (with the oldest one's age) and
    active participants who must accept the terms in force, per programme this person
    manages (the staff home). One grouped query each."""

    applications = per_programme(
        Application.objects.restrict(user, "manage").filter(status=Application.Status.PENDING),
        order=35,
        label=gettext("applications waiting for a decision"),
        url=lambda r: (
            reverse("participants:staff_applications", args=[r["programme__slug"]])
            + "?status=pending"
        ),
        also=("programme__slug",),
        since="created_at",
    )

    active = Participation.objects.restrict(user, "manage").filter(
        status=Participation.Status.ACTIVE
    )
    return applications + per_programme(
        consent_pending(active, now),
        order=40,
        label=gettext("participants yet to accept the terms"),
        url=lambda r: (
            reverse("participants:staff_participants", args=[r["programme__slug"]])
            + "?status=active&consent=pending"
        ),
        also=("programme__slug",),
    )
