"""The access check: may a person do new work (file tickets, submit outputs, log hours) in
a programme now, and if not, why.

The rule is the policy's (`programs.policy.work_refusal`); here its facts are read, for one
person and programme (`access_check`) or for every programme of a person at once
(`access_checks`). Every work service calls `require_can_work` first.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext

from core.errors import DomainError, NotAllowed
from programs import policy
from programs.models import Programme, TermsVersion
from programs.selectors import current_terms, required_terms

from ..models import AccessPause, Consent, Participation
from ..selectors import active_programme_pause


@dataclass
class AccessStatus:
    """Whether a person may work in a programme now, and if not, why."""

    active: bool
    code: str
    message: str
    participation: Participation | None = None
    terms: TermsVersion | None = None

    def as_dict(self) -> dict:
        return {
            "active": self.active,
            "code": self.code,
            "message": self.message,
            "participation_status": self.participation.status if self.participation else None,
            "terms_version": self.terms.number if self.terms else None,
        }


_LOOK_UP = object()


def not_a_participant() -> AccessStatus:
    """The answer for anyone who is not in the programme, with an account or without one:
    the access check never tells whether an address has an account."""
    return AccessStatus(False, *policy.NOT_A_PARTICIPANT)


class _WorkFacts:
    """What the policy's work rule asks about one person in one programme, each fact read
    when the rule first asks for it (or given, when read already for many programmes)."""

    def __init__(self, user, programme: Programme, at, **given):
        self.user, self.programme, self.at = user, programme, at
        self._values = {name: value for name, value in given.items() if value is not _LOOK_UP}
        self.asked: set[str] = set()

    def _fact(self, name: str, read):
        self.asked.add(name)
        if name not in self._values:
            self._values[name] = read()
        return self._values[name]

    def asked_for(self, name: str):
        """The fact, if the rule asked for it (what the answer reports), else None."""
        return self._values.get(name) if name in self.asked else None

    @property
    def participation(self):
        return self._fact(
            "participation",
            lambda: Participation.objects.filter(user=self.user, programme=self.programme).first(),
        )

    @property
    def programme_pause(self):
        return self._fact("pause", lambda: active_programme_pause(self.programme, self.at))

    @property
    def own_pause(self):
        return self._fact(
            "own_pause",
            lambda: (
                AccessPause.objects.filter(participation=self.participation, ended_at__isnull=True)
                .order_by("-starts_at")
                .first()
            ),
        )

    @property
    def terms(self):
        return self._fact("terms", lambda: current_terms(self.programme, self.at))

    @property
    def needed(self):
        return self._fact("needed", lambda: required_terms(self.programme, self.at))

    @property
    def accepted(self):
        return self._fact(
            "accepted",
            lambda: (
                Consent.objects.filter(
                    participation=self.participation, terms_version__programme=self.programme
                )
                .order_by("-terms_version__number")
                .values_list("terms_version__number", flat=True)
                .first()
            ),
        )


def access_check(
    user,
    programme: Programme,
    at=None,
    *,
    participation=_LOOK_UP,
    pause=_LOOK_UP,
    terms=_LOOK_UP,
    needed=_LOOK_UP,
    accepted=_LOOK_UP,
) -> AccessStatus:
    """Answer, for one person and one programme, whether access is active now and why not.

    The keyword arguments are facts already read (by `access_checks`, for many
    programmes at once); whatever is not given is looked up here, when the policy's rule
    asks for it.
    """
    facts = _WorkFacts(
        user,
        programme,
        at or timezone.now(),
        participation=participation,
        pause=pause,
        terms=terms,
        needed=needed,
        accepted=accepted,
    )
    refusal = policy.work_refusal(user, programme, facts)
    code, message = refusal or ("active", gettext("Access is active."))
    return AccessStatus(
        refusal is None,
        code,
        message,
        facts.asked_for("participation"),
        facts.asked_for("terms"),
    )


def access_checks(user, participations, at=None, *, published=None) -> list[AccessStatus]:
    """`access_check` for each of a person's participations, in three queries in all.

    The portal lists every programme of a person; reading the pauses, the terms
    and the consents of all of them at once keeps the page's query count fixed.
    Facts already read are not read again: `published` (the published terms of these
    programmes, any order) and, on participations from `selectors.my_participations`,
    the programme pause and the newest version accepted (annotations).
    """
    at = at or timezone.now()
    participations = list(participations)
    programme_ids = {p.programme_id for p in participations}
    annotated = all(hasattr(p, "accepted_number") for p in participations)
    pauses = {}
    if annotated:
        for p in participations:
            if p.pause_id is not None:
                pauses[p.programme_id] = AccessPause(
                    pk=p.pause_id, programme_id=p.programme_id, reason=p.pause_reason
                )
    else:
        for pause in (
            AccessPause.objects.filter(
                programme_id__in=programme_ids, participation__isnull=True, starts_at__lte=at
            )
            .exclude(ended_at__lte=at)
            .order_by("starts_at")
        ):
            pauses[pause.programme_id] = pause  # the latest start wins (active_programme_pause)
    effective = defaultdict(list)
    if published is None:
        published = (
            TermsVersion.objects.effective(at)
            .filter(programme_id__in=programme_ids)
            .order_by("programme_id", "number")
        )
    for terms in sorted(published, key=lambda t: (t.programme_id, t.number)):
        if terms.status == TermsVersion.Status.PUBLISHED and terms.effective_at <= at:
            effective[terms.programme_id].append(terms)
    if annotated:
        accepted = {p.pk: p.accepted_number for p in participations}
    else:
        accepted = dict(
            Consent.objects.filter(
                participation__in=[p.pk for p in participations],
                terms_version__programme=F("participation__programme"),
            )
            .values_list("participation")
            .annotate(n=Max("terms_version__number"))
            .values_list("participation", "n")
        )
    out = []
    for p in participations:
        versions = effective.get(p.programme_id, [])
        material = [t for t in versions if t.material_change]
        out.append(
            access_check(
                user,
                p.programme,
                at,
                participation=p,
                pause=pauses.get(p.programme_id),
                terms=versions[-1] if versions else None,
                needed=(material[-1] if material else versions[0]) if versions else None,
                accepted=accepted.get(p.pk),
            )
        )
    return out


def require_can_work(user, programme: Programme) -> AccessStatus:
    """Raise NotAllowed with the reason unless the person may do new work now."""
    status = access_check(user, programme)
    if not status.active:
        raise NotAllowed(status.message, code=status.code)
    return status


def hours_access(user, programme: Programme, day) -> AccessStatus:
    """The access under which hours worked on `day` may be logged.

    Whoever may work now may log them. Someone who withdrew may still log the hours they
    worked up to the day they withdrew, for `HOURS_AFTER_WITHDRAWAL_DAYS` after it, under the
    terms in force on the day worked (which they must have accepted): leaving must not cost
    them the pay for work already done.
    """
    status = access_check(user, programme)
    if status.active:
        return status
    participation = Participation.objects.filter(
        user=user, programme=programme, status=Participation.Status.WITHDRAWN
    ).first()
    if participation is None or participation.status_changed_at is None:
        raise NotAllowed(status.message, code=status.code)
    window = timedelta(days=settings.HOURS_AFTER_WITHDRAWAL_DAYS)
    withdrawn_on = timezone.localdate(participation.status_changed_at)
    until = participation.status_changed_at + window
    if timezone.now() > until:
        raise NotAllowed(
            gettext(
                "You withdrew from %(name)s on %(day)s; hours worked before that could be "
                "logged until %(until)s."
            )
            % {
                "name": programme.name,
                "day": f"{withdrawn_on:%d %b %Y}",
                "until": f"{timezone.localdate(until):%d %b %Y}",
            },
            code=status.code,
        )
    if day > withdrawn_on:
        raise DomainError(
            gettext(
                "You withdrew from %(name)s on %(day)s; only hours worked up to that day can "
                "be logged."
            )
            % {"name": programme.name, "day": f"{withdrawn_on:%d %b %Y}"},
            field="date",
        )
    # Nobody works under terms they have not accepted: the consent must cover the version
    # required on the day worked (the labour service also checks the first consent's date).
    end_of_day = timezone.make_aware(datetime.combine(day, time.max))
    required = required_terms(programme, at=end_of_day) or required_terms(programme)
    if (
        required is None
        or not Consent.objects.filter(
            participation=participation, terms_version__number__gte=required.number
        ).exists()
    ):
        raise NotAllowed(status.message, code=status.code)
    return AccessStatus(
        active=False,
        code="withdrawn_logging_past_hours",
        message=gettext("Hours worked before you withdrew, until %(day)s.")
        % {"day": f"{timezone.localdate(until):%d %b %Y}"},
        participation=participation,
        terms=current_terms(programme, at=end_of_day) or current_terms(programme),
    )
