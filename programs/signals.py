"""What happened in a programme: one Django signal per event, each with a typed payload.

A service that changes something other apps care about sends that event's signal inside
its own transaction, after its audit record:

    signals.terms_published.send(
        TermsVersion, programme=programme, payload=signals.TermsPublished(number=3, ...)
    )

An app that wants to hear it connects a receiver to exactly that signal in its
`AppConfig.ready()`; the receiver gets `programme`, `payload` (the dataclass below) and
Django's `signal` and `sender`. Receivers run synchronously in the sender's transaction
and their errors propagate: what they write (webhook deliveries, a bounty's reversal)
exists if and only if the change does.

The signals live here, in `programs`, because every app that sends one (programs,
feedback, approvals, compensation) and every app that listens (participants, approvals,
compensation, integrations) sits at or above this layer; `integrations` sits below the
work apps, so it could not import their modules. Each signal's `name` is the event's
public name: the webhooks send it as `event` and `payload.as_data()` as `data`.

See docs/development/extending.md.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime

from django.dispatch import Signal


@dataclass(frozen=True)
class Payload:
    """The facts of one event: ids and values, JSON-serialisable (webhooks send them)."""

    def as_data(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ProgrammeCreated(Payload):
    actor_id: int


@dataclass(frozen=True)
class TermsPublished(Payload):
    number: int
    content_hash: str
    material_change: bool
    effective_at: datetime


@dataclass(frozen=True)
class TicketStatusChanged(Payload):
    ticket: int
    kind: str
    old: str
    new: str

    def as_data(self) -> dict:
        # The webhook's published field names ("from" is a Python keyword).
        return {"ticket": self.ticket, "kind": self.kind, "from": self.old, "to": self.new}


@dataclass(frozen=True)
class SubmissionDecided(Payload):
    submission: int
    stage: str
    outcome: str
    reason: str
    content_hash: str
    terms_version: int


@dataclass(frozen=True)
class TrainingChosen(Payload):
    participant: int
    submission: int | None  # None: the tester's default for the programme
    allowed: bool


@dataclass(frozen=True)
class ConsentAccepted(Payload):
    participant: int
    terms_version: int


@dataclass(frozen=True)
class BatchExported(Payload):
    batch: int
    currency: str
    lines: int
    total: str
    csv_sha256: str


@dataclass(frozen=True)
class ApprovalThresholdChanging(Payload):
    """Sent before a programme's two-person threshold is raised; a receiver refuses the
    change by raising `NotAllowed` (compensation: the person who last awarded pay there)."""

    actor_id: int
    old: str
    new: str


class ProgrammeSignal(Signal):
    """A signal about one programme whose payload is an instance of `payload`."""

    def __init__(self, name: str, payload: type[Payload]):
        super().__init__()
        self.name = name
        self.payload = payload

    def __repr__(self):
        return f"<ProgrammeSignal {self.name}>"

    def send(self, sender, *, programme, payload: Payload, **named):
        if not isinstance(payload, self.payload):
            raise TypeError(f"{self.name} carries {self.payload.__name__}, not {payload!r}")
        return super().send(sender, programme=programme, payload=payload, **named)

    def send_many(self, sender, *, programme, payloads: list[Payload]) -> None:
        """`send` for many events of this kind about one programme (a sweep's deemed
        approvals). Each receiver still hears every event; they also get `batch`, a dict
        shared by the calls of this batch, where a receiver may keep what it looked up once
        for all of them (the webhooks keep the endpoints that listen)."""
        batch: dict = {}
        for payload in payloads:
            self.send(sender, programme=programme, payload=payload, batch=batch)


programme_created = ProgrammeSignal("programme.created", ProgrammeCreated)
terms_published = ProgrammeSignal("terms.published", TermsPublished)
ticket_status_changed = ProgrammeSignal("ticket.status_changed", TicketStatusChanged)
submission_decided = ProgrammeSignal("submission.decided", SubmissionDecided)
submission_deemed_approved = ProgrammeSignal("submission.deemed_approved", SubmissionDecided)
batch_exported = ProgrammeSignal("batch.exported", BatchExported)
# What a tester's outputs may be used for changed (provenance keeps its registry current).
training_chosen = ProgrammeSignal("training.chosen", TrainingChosen)
consent_accepted = ProgrammeSignal("consent.accepted", ConsentAccepted)
# Not an event others are told about (no webhook): a check that may refuse the change.
approval_threshold_changing = ProgrammeSignal(
    "approval_threshold.changing", ApprovalThresholdChanging
)
