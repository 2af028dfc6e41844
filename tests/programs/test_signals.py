"""What happened in a programme is announced by one named signal per event, each with a
typed payload; an app hears exactly the events it connects to (programs.signals)."""

from datetime import datetime

import pytest

from feedback import services as feedback
from integrations.models import WebhookEndpoint
from integrations.webhooks import SIGNALS
from programs import services, signals

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Every (signal name, programme slug, payload) announced while the test runs."""
    calls = []

    def listen(sender, *, signal, programme, payload, **kwargs):
        calls.append((signal.name, programme.slug, payload))

    every = [value for value in vars(signals).values() if isinstance(value, signals.Signal)]
    for signal in every:
        signal.connect(listen, dispatch_uid=f"test.{signal.name}")
    yield calls
    for signal in every:
        signal.disconnect(dispatch_uid=f"test.{signal.name}")


def test_publishing_terms_announces_terms_published_with_its_facts(programme, manager, heard):
    draft = services.terms_draft_create(actor=manager, programme=programme)
    published = services.terms_publish(actor=manager, terms=draft)
    [(name, slug, payload)] = heard
    assert (name, slug) == ("terms.published", "alpha")
    assert isinstance(payload, signals.TermsPublished)
    assert (payload.number, payload.content_hash) == (2, published.content_hash)
    assert isinstance(payload.effective_at, datetime)


def test_a_ticket_s_status_is_announced_by_its_own_signal_and_nothing_else(
    programme, participant, reviewer, heard
):
    ticket = feedback.ticket_file(
        actor=participant,
        programme=programme,
        kind="bug",
        title="Crash",
        description="It crashed.",
        severity="high",
    )
    feedback.ticket_set_status(actor=reviewer, ticket=ticket, status="wont_fix")
    assert [(name, payload) for name, _, payload in heard] == [
        (
            "ticket.status_changed",
            signals.TicketStatusChanged(ticket=ticket.pk, kind="bug", old="new", new="wont_fix"),
        )
    ]
    # The webhook's published body keeps its field names.
    assert heard[0][2].as_data() == {
        "ticket": ticket.pk,
        "kind": "bug",
        "from": "new",
        "to": "wont_fix",
    }


def test_a_signal_refuses_a_payload_of_another_event(programme):
    with pytest.raises(TypeError, match="terms.published carries TermsPublished"):
        signals.terms_published.send(
            None, programme=programme, payload=signals.ProgrammeCreated(actor_id=1)
        )


def test_every_event_a_webhook_may_subscribe_to_is_a_signal_the_webhooks_hear():
    assert {signal.name for signal in SIGNALS} == set(WebhookEndpoint.Event.values)
    for signal in SIGNALS:
        assert signal.has_listeners(), signal.name
