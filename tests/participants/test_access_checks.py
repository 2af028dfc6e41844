"""`access_checks` (the portal's, for all of a person's programmes) agrees with `access_check`."""

import pytest
from django.utils import timezone

from participants import services
from participants.models import AccessPause, Participation
from tests.factories import TermsFactory, make_participant

pytestmark = pytest.mark.django_db


def test_access_checks_gives_each_programme_the_answer_of_the_single_check(
    programme, other_programme, participant
):
    make_participant(other_programme, participant)
    third = TermsFactory(programme__slug="third").programme
    make_participant(third, participant, consent=False)
    fourth = TermsFactory(programme__slug="fourth").programme
    make_participant(fourth, participant)
    AccessPause.objects.create(
        programme=fourth, reason="Launch week", starts_at=timezone.now(), created_by=participant
    )
    participations = list(
        Participation.objects.filter(user=participant).select_related("programme").order_by("pk")
    )
    many = services.access_checks(participant, participations)
    single = [services.access_check(participant, p.programme) for p in participations]
    assert [s.as_dict() for s in many] == [s.as_dict() for s in single]
    assert {s.code for s in many} >= {"active", "consent_required", "programme_paused"}
