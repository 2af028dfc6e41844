"""The policy's rule "may this participant work now" is asked with facts read when the rule
asks for them: a refusal reads no more than its answer needs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from participants import services
from participants.models import Participation

pytestmark = pytest.mark.django_db


def test_someone_who_withdrew_is_refused_after_one_query_and_no_terms_are_read(
    programme, participant
):
    participation = Participation.objects.get(user=participant, programme=programme)
    services.participation_withdraw(actor=participant, participation=participation)
    with CaptureQueriesContext(connection) as queries:
        status = services.access_check(participant, programme)
    assert (status.active, status.code) == (False, "withdrawn")
    assert status.participation == participation and status.terms is None
    assert len(queries.captured_queries) == 1, [q["sql"] for q in queries.captured_queries]


def test_an_active_participant_gets_the_terms_in_force_with_the_answer(programme, participant):
    status = services.access_check(participant, programme)
    assert (status.active, status.code) == (True, "active")
    assert status.terms is not None and status.terms.programme_id == programme.pk
    assert status.as_dict()["participation_status"] == "active"
