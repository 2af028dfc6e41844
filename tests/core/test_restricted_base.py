"""The restricted-queryset base takes its roles from the policy, registered nowhere.

`core.restricted` holds the algorithm and `programs.policy.RestrictedQuerySet` hands it
the policy's roles; the audit log, below the policy, knows no roles (a person sees the
events about themselves) and a page above asks the policy for the staff's view of it.
`mine(person)` is a person's own records, including those outside any programme.
"""

import pytest

from api.models import ApiToken
from api.services import token_create
from audit.models import AuditEvent
from audit.services import record
from participants.models import Participation
from programs import policy

pytestmark = pytest.mark.django_db


def test_the_audit_log_below_the_policy_shows_a_manager_only_the_events_about_them(
    programme, manager, participant
):
    before = set(AuditEvent.objects.all())  # the participant's consent, say
    about_them = record(action="tests.about", programme=programme, subject=participant)
    about_me = record(action="tests.me", programme=programme, subject=manager)
    assert set(AuditEvent.objects.restrict(manager)) - before == {about_me}
    staff_view = policy.restrict(AuditEvent.objects.all(), manager)
    assert {about_them, about_me} <= set(staff_view)
    assert set(policy.restrict(AuditEvent.objects.all(), participant)) - before == {about_them}


def test_mine_is_a_person_s_own_records_even_where_they_are_staff(programme, participant, manager):
    from tests.factories import make_participant

    make_participant(programme, user=manager)  # a manager who also tests
    assert Participation.objects.restrict(manager).count() > 1
    assert {p.user for p in Participation.objects.mine(manager)} == {manager}
    assert not Participation.objects.mine(None).exists()


def test_a_record_outside_any_programme_is_its_owner_s_alone(
    participant, manager, admin_user, settings
):
    settings.REQUIRE_STAFF_MFA = False  # a superuser who may act as one
    assert policy.acts_as_superuser(admin_user)
    token, _ = token_create(actor=participant, name="CI", scope="read")
    assert list(ApiToken.objects.mine(participant)) == [token]
    for other in (manager, admin_user):
        assert not ApiToken.objects.mine(other).exists()
        assert not ApiToken.objects.restrict(other).exists()
