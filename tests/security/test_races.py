"""Consent and withdrawal racing on PostgreSQL end in a consistent state."""

import threading

import pytest
from django.db import connection

from audit.selectors import verify_log
from core.errors import DomainError
from participants import services
from participants.models import Consent, Participation
from tests.conftest import summarise
from tests.factories import make_participant


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_consent_and_withdrawal_racing_leave_a_consistent_state(programme):
    people = [
        make_participant(programme, consent=False, email=f"race{i}@example.com") for i in range(10)
    ]
    terms = programme.terms.get()
    barrier = threading.Barrier(20)
    outcomes = []

    def consent(person):
        barrier.wait()
        try:
            services.consent_accept(
                actor=person, programme=programme, terms=terms, seen_hash=terms.content_hash
            )
            outcomes.append("consented")
        except DomainError:
            outcomes.append("consent refused")
        finally:
            connection.close()

    def withdraw(person):
        barrier.wait()
        try:
            participation = Participation.objects.get(user=person, programme=programme)
            services.participation_withdraw(actor=person, participation=participation)
            outcomes.append("withdrew")
        except DomainError:
            outcomes.append("withdraw refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=f, args=(p,)) for p in people for f in (consent, withdraw)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # Each person ends withdrawn; a consent exists only if it was recorded before the withdrawal.
    for person in people:
        participation = Participation.objects.get(user=person, programme=programme)
        assert participation.status == "withdrawn"
        consents = Consent.objects.filter(participation=participation)
        assert consents.count() <= 1
        if consents.exists():
            assert consents.get().accepted_at <= participation.status_changed_at
        assert not services.access_check(person, programme).active
    assert verify_log(records=False).ok
    summarise(inputs=20)
    print(
        f"\nFIGURE consent/withdrawal race: 20 concurrent calls for 10 people; "
        f"{outcomes.count('consented')} consents landed before a withdrawal, "
        f"{outcomes.count('consent refused')} refused after it; 0 inconsistent"
    )
