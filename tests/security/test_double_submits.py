"""Double submits make one record: the same rendered form, or the same API request, sent
again and again (a double click, a browser retry, a script in a loop, twenty at once).

- Every create form carries a per-render token (`core.forms.SubmitOnce`); posting the same
  render twenty times files one ticket, one comment, one output, one time entry and one
  award, and every repeat is sent to what the first one created, saying so.
- A form refused by the rules (no consent yet) leaves its token unused: the same render,
  sent again once the rule is met, creates.
- The API: twenty POSTs with the same `Idempotency-Key` create one record; the repeats
  replay the first answer.
- PostgreSQL: the same, twenty requests *at once* (threads, a barrier), page and API.

Figure: double submits tried, records doubled (must be 0).
"""

import re
import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import token_create
from approvals.models import OutputSubmission
from compensation.models import LedgerEntry
from core.forms import ALREADY_SENT
from feedback import services as feedback
from feedback.models import Ticket, TicketComment
from labour.models import TimeEntry
from programs.models import ProgrammeRole
from tests.conftest import summarise
from tests.factories import make_participant, make_staff

TIMES = 20


def _token(response) -> str:
    match = re.search(rb'name="once" value="([0-9a-f]{32})"', response.content)
    assert match, "the form carries no per-render token"
    return match.group(1).decode()


def _forms(programme, participant, manager):
    """(name, page that renders the form, address it posts to, body, the rows it creates)."""
    ticket = feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="feedback",
        title="Commented on",
        description="A ticket to comment on.",
    )
    return [
        (
            "ticket",
            participant,
            reverse("feedback:new"),
            reverse("feedback:new"),
            {
                "programme": programme.pk,
                "kind": "feedback",
                "title": "The export button is hidden",
                "description": "On small screens.",
            },
            lambda: Ticket.objects.filter(title="The export button is hidden"),
        ),
        (
            "comment",
            participant,
            reverse("feedback:detail", args=[ticket.pk]),
            reverse("feedback:comment", args=[ticket.pk]),
            {"body": "It happens on Firefox too."},
            lambda: TicketComment.objects.filter(body="It happens on Firefox too."),
        ),
        (
            "output",
            participant,
            reverse("approvals:submit"),
            reverse("approvals:submit"),
            {
                "programme": programme.pk,
                "title": "Harbour at dusk",
                "url": "https://example.org/harbour",
                "intended_use": "social",
            },
            lambda: OutputSubmission.objects.filter(title="Harbour at dusk"),
        ),
        (
            "hours",
            participant,
            reverse("labour:mine"),
            reverse("labour:mine"),
            {
                "programme": programme.pk,
                "date": timezone.localdate().isoformat(),
                "minutes": 95,
                "activity": "testing",
                "note": "Smoke tests",
            },
            lambda: TimeEntry.objects.filter(note="Smoke tests"),
        ),
        (
            "award",
            manager,
            reverse("compensation:award_new"),
            reverse("compensation:award_new"),
            {
                "programme": programme.pk,
                "participant_email": participant.email,
                "kind": "prize",
                "amount": "50.00",
                "currency": "EUR",
                "reason": "Best bug of the month",
            },
            lambda: LedgerEntry.objects.filter(description__endswith="Best bug of the month"),
        ),
    ]


def test_twenty_posts_of_one_rendered_form_create_one_record(
    client, programme, participant, manager
):
    tried = doubled = 0
    for name, person, page, action, body, rows in _forms(programme, participant, manager):
        client.force_login(person)
        token = _token(client.get(page))
        answers = [client.post(action, {**body, "once": token}) for _ in range(TIMES)]
        tried += TIMES - 1
        assert {a.status_code for a in answers} == {302}, name
        assert len({a["Location"] for a in answers}) == 1, name
        assert rows().count() == 1, name
        doubled += rows().count() - 1
        repeat = client.get(answers[-1]["Location"])
        assert ALREADY_SENT in repeat.content.decode(), name
        # A fresh render is a new form: it creates again.
        again = client.post(action, {**body, "once": _token(client.get(page))})
        assert again.status_code == 302 and rows().count() == 2, name
    print(f"FIGURE double submits (pages, one after another): {tried} tried, {doubled} doubled")
    summarise(inputs=tried, doubled=doubled)


def test_a_form_refused_by_the_rules_keeps_its_token_for_the_corrected_send(
    as_user, programme, participant
):
    client = as_user(participant)
    body = {"programme": programme.pk, "kind": "bug", "title": "Later", "description": "x"}
    token = _token(client.get(reverse("feedback:new")))
    # A bug needs a severity: the service refuses, and the token's claim rolls back with it.
    refused = client.post(reverse("feedback:new"), {**body, "once": token})
    assert refused.status_code == 400 and not Ticket.objects.exists()
    assert "need a severity" in refused.content.decode()
    assert token in refused.content.decode()  # the corrected form is the same render
    sent = client.post(reverse("feedback:new"), {**body, "severity": "low", "once": token})
    assert sent.status_code == 302 and Ticket.objects.filter(title="Later").count() == 1


def test_one_persons_token_does_not_touch_anothers_form(as_user, programme, participant):
    other = make_participant(programme, email="other@example.com")
    client = as_user(participant)
    token = _token(client.get(reverse("feedback:new")))
    body = {"programme": programme.pk, "kind": "feedback", "title": "Mine", "description": "x"}
    client.post(reverse("feedback:new"), {**body, "once": token})
    client.force_login(other)
    theirs = client.post(reverse("feedback:new"), {**body, "title": "Theirs", "once": token})
    assert theirs.status_code == 302
    assert Ticket.objects.get(title="Theirs").reporter == other


def test_twenty_api_creates_with_one_idempotency_key_create_one_ticket(programme, participant):
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {token_create(actor=participant, name='t', scope='write')[1]}"
    )
    body = {"programme": programme.slug, "kind": "feedback", "title": "Once", "description": "x"}
    answers = [
        client.post("/api/v1/tickets/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
        for _ in range(TIMES)
    ]
    assert [a.status_code for a in answers] == [201] * TIMES
    assert {a.json()["id"] for a in answers} == {Ticket.objects.get(title="Once").pk}
    assert all(a["Idempotent-Replayed"] == "true" for a in answers[1:])
    summarise(inputs=TIMES - 1, doubled=Ticket.objects.filter(title="Once").count() - 1)


# --- At once, on PostgreSQL ------------------------------------------------------------------


def _at_once(n, target):
    barrier = threading.Barrier(n)
    results, errors = [None] * n, []

    def run(i):
        try:
            barrier.wait()
            results[i] = target(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [], errors
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_posts_of_one_form_at_once_create_one_record_on_postgresql(programme):
    participant = make_participant(programme, email="clicker@example.com")
    manager = make_staff(programme, ProgrammeRole.Role.MANAGER, email="boss@example.com")
    tried = doubled = 0
    for name, person, page, action, body, rows in _forms(programme, participant, manager):
        clients = [Client() for _ in range(TIMES)]
        for c in clients:
            c.force_login(person)
        token = _token(clients[0].get(page))
        answers = _at_once(
            TIMES, lambda i, c=clients, a=action, b={**body, "once": token}: c[i].post(a, b)
        )
        tried += TIMES - 1
        assert {a.status_code for a in answers} == {302}, (name, [a.status_code for a in answers])
        assert len({a["Location"] for a in answers}) == 1, name
        doubled += rows().count() - 1
        assert rows().count() == 1, name
    print(f"FIGURE double submits (pages, {TIMES} at once): {tried} tried, {doubled} doubled")
    summarise(inputs=tried, doubled=doubled)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_api_creates_at_once_with_one_key_create_one_record_on_postgresql(programme):
    participant = make_participant(programme, email="script@example.com")
    token = token_create(actor=participant, name="t", scope="write")[1]
    creates = [
        (
            "/api/v1/tickets/",
            {"programme": programme.slug, "kind": "feedback", "title": "Raced", "description": "x"},
            lambda: Ticket.objects.filter(title="Raced"),
        ),
        (
            "/api/v1/time-entries/",
            {
                "programme": programme.slug,
                "date": timezone.localdate().isoformat(),
                "minutes": 30,
                "activity": "testing",
                "note": "Raced hours",
            },
            lambda: TimeEntry.objects.filter(note="Raced hours"),
        ),
        (
            "/api/v1/submissions/",
            {
                "programme": programme.slug,
                "title": "Raced output",
                "url": "https://example.org/raced",
                "intended_use": "social",
            },
            lambda: OutputSubmission.objects.filter(title="Raced output"),
        ),
    ]
    tried = doubled = 0
    for path, body, rows in creates:
        clients = [APIClient() for _ in range(TIMES)]
        for c in clients:
            c.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        answers = _at_once(
            TIMES,
            lambda i, c=clients, p=path, b=body: c[i].post(
                p, b, format="json", HTTP_IDEMPOTENCY_KEY=p
            ),
        )
        tried += TIMES - 1
        assert {a.status_code for a in answers} == {201}, (path, [a.content for a in answers])
        assert len({a.json()["id"] for a in answers}) == 1, path
        doubled += rows().count() - 1
        assert rows().count() == 1, path
    print(
        f"FIGURE double submits (API, {TIMES} at once, one key): {tried} tried, {doubled} doubled"
    )
    summarise(inputs=tried, doubled=doubled)


def test_the_forms_that_show_a_secret_once_or_start_a_pause_make_one_record(
    client, programme, participant, manager, settings
):
    """API tokens and webhooks (their secret is shown once, so a repeat is sent to the list),
    access pauses and applications: the same rendered form sent twenty times, one record."""
    from api.models import ApiToken
    from integrations.models import WebhookEndpoint
    from participants.models import AccessPause, Application
    from programs.models import Programme
    from tests.factories import UserFactory

    settings.WEBHOOK_ALLOWED_NETWORKS = ["0.0.0.0/0", "::/0"]
    Programme.objects.filter(pk=programme.pk).update(status=Programme.Status.OPEN)
    applicant = UserFactory(email="applicant@example.com")
    cases = [
        (
            participant,
            reverse("api:tokens"),
            {"name": "ci", "scope": "read"},
            lambda: ApiToken.objects.filter(user=participant, name="ci"),
        ),
        (
            manager,
            reverse("integrations:webhooks", args=[programme.slug]),
            {"url": "https://hooks.example.org/in", "events": ["terms.published"]},
            lambda: WebhookEndpoint.objects.filter(url="https://hooks.example.org/in"),
        ),
        (
            applicant,
            reverse("participants:apply", args=[programme.slug]),
            {"motivation": "I test video tools"},
            lambda: Application.objects.filter(user=applicant),
        ),
        (
            manager,
            reverse("participants:pauses", args=[programme.slug]),
            {"reason": "Maintenance window"},
            lambda: AccessPause.objects.filter(reason="Maintenance window"),
        ),
    ]
    tried = doubled = 0
    for person, page, body, rows in cases:
        client.force_login(person)
        token = _token(client.get(page))
        answers = [client.post(page, {**body, "once": token}) for _ in range(TIMES)]
        assert all(a.status_code in (200, 302) for a in answers), page
        assert rows().count() == 1, page
        tried += TIMES - 1
        doubled += rows().count() - 1
    print(
        f"FIGURE double submits (tokens, webhooks, pauses, applications): {tried} tried, {doubled} doubled"
    )
    summarise(inputs=tried, doubled=doubled)
