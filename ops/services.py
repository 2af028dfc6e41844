"""Incidents: open one when something an operator must never miss goes wrong, mail it once,
close it and mail again when it is over.

What is checked (`problems`): the audit log refused (audit.health), beat stale for
BEAT_STALE_INTERVALS of its shortest interval, a payout batch whose files failed to build.
The check runs under beat every minute, and from every worker (ops.serve) so that a beat
that stopped is still noticed; the lock of core.tasks.run_periodic keeps it to one run a
minute. Mails go through the outbox, like every notification.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit import health as audit_health
from core.l10n import english
from core.services import notify
from programs import policy
from programs.models import Programme

from . import selectors
from .models import Incident

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Problem:
    kind: str
    key: str
    summary: str
    url: str = ""


def problems(now=None) -> list[Problem]:
    """What is wrong now, as the incident check sees it."""
    now = now or timezone.now()
    found = []
    audit = audit_health.status(now=now)
    if not audit.ok:
        found.append(
            Problem(
                Incident.Kind.AUDIT_REFUSED,
                "audit",
                f"The audit log does not verify: {audit.problem} No checkpoint is signed "
                "until it does. Run `manage.py audit_verify` to see what was altered.",
                reverse("audit:checkpoints"),
            )
        )
    if selectors.uses_broker():
        tick = selectors.beat_last_tick()
        stale = selectors.beat_stale_after()
        if tick is None or (now - tick).total_seconds() > stale:
            since = f"since {tick:%Y-%m-%d %H:%M:%S} UTC" if tick else "since it was installed"
            found.append(
                Problem(
                    Incident.Kind.BEAT_STALE,
                    "beat",
                    f"Celery beat has not ticked {since} (stale after {stale:.0f} s): deadlines, "
                    "reminders, retries and audit checkpoints are not running. Start beat.",
                )
            )
    for batch in selectors.failed_batches():
        found.append(
            Problem(
                Incident.Kind.PAYOUT_FAILED,
                f"payout-batch-{batch.pk}",
                f"Payout batch {batch.pk} ({batch.currency}) failed to build its files. Its page "
                "says why; finance can build it again once the cause is fixed.",
                reverse("compensation:batch", args=[batch.pk]),
            )
        )
    return found


def check_incidents(*, now=None) -> tuple[list[Incident], list[Incident]]:
    """Open an incident for each new problem and close those that are over (each mailed
    once); returns (opened, closed)."""
    now = now or timezone.now()
    current = {p.key: p for p in problems(now)}
    opened, closed = [], []
    for incident in Incident.objects.filter(closed_at__isnull=True):
        if incident.key not in current and incident_close(incident=incident, now=now):
            closed.append(incident)
    still_open = set(Incident.objects.filter(closed_at__isnull=True).values_list("key", flat=True))
    for key, problem in current.items():
        if key not in still_open:
            incident = incident_open(problem=problem, now=now)
            if incident is not None:
                opened.append(incident)
    return opened, closed


@transaction.atomic
def incident_open(*, problem: Problem, now) -> Incident | None:
    """Open and mail one incident; None when another check opened it first."""
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                kind=problem.kind, key=problem.key, summary=problem.summary, opened_at=now
            )
    except IntegrityError:
        return None
    log.error("incident opened: %s (%s)", english(incident.get_kind_display), incident.key)
    _mail(
        incident,
        subject=f"Incident: {english(incident.get_kind_display).lower()}",
        body=(
            f"{problem.summary}\n\nNoticed at {now:%Y-%m-%d %H:%M:%S} UTC. You will get one "
            "more mail when it is over."
        ),
        url=problem.url,
        event="opened",
    )
    return incident


@transaction.atomic
def incident_close(*, incident: Incident, now) -> bool:
    """Close and mail one incident; False when another check closed it first."""
    if not Incident.objects.filter(pk=incident.pk, closed_at__isnull=True).update(closed_at=now):
        return False
    incident.closed_at = now
    minutes = (now - incident.opened_at).total_seconds() / 60
    log.warning("incident closed: %s (%s)", english(incident.get_kind_display), incident.key)
    _mail(
        incident,
        subject=f"Resolved: {english(incident.get_kind_display).lower()}",
        body=(
            f"Over at {now:%Y-%m-%d %H:%M:%S} UTC, after {minutes:.0f} min. It was:\n\n"
            f"{incident.summary}"
        ),
        url="",
        event="closed",
    )
    return True


def _mail(incident: Incident, *, subject: str, body: str, url: str, event: str) -> None:
    """ADMINS, and for the audit log every programme's managers too (they answer to their
    testers for it)."""
    sent = 0
    for _name, address in settings.ADMINS:
        sent += bool(
            notify(
                email=address,
                subject=subject,
                body=body,
                url=url,
                dedupe_key=f"incident:{incident.pk}:{event}:{address.lower()}",
            )
        )
    if incident.kind == Incident.Kind.AUDIT_REFUSED:
        for manager in policy.staff_of(Programme.objects.all(), policy.MANAGER):
            sent += bool(
                notify(
                    user=manager,
                    subject=subject,
                    body=body,
                    url=url,
                    dedupe_key=f"incident:{incident.pk}:{event}:user-{manager.pk}",
                )
            )
    if not sent:
        log.warning("incident %s %s: nobody to mail (set ADMINS)", incident.key, event)
