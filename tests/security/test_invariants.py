"""A Hypothesis state machine drives random sequences of service calls and checks the
invariants of DESIGN.md after every step:

- nobody may work under terms they have not accepted;
- a participant never sees another participant's records;
- consents and audit events are never edited or deleted (counts only grow, hashes hold);
- every state change leaves an audit event, and the chain verifies.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from audit.models import AuditEvent
from audit.selectors import verify_chain
from core.errors import DomainError
from participants import services as ps
from participants.models import Consent, Participation
from programs import services as prs
from programs.models import AccessPause, ProgrammeRole, TermsVersion
from programs.selectors import required_terms
from tests.factories import ProgrammeFactory, TermsFactory, UserFactory, make_staff

STEPS = {"calls": 0, "refused": 0, "runs": 0}


class ProgrammeLife(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        STEPS["runs"] += 1
        n = STEPS["runs"]
        self.programme = TermsFactory(programme=ProgrammeFactory(slug=f"sm-{n}")).programme
        self.manager = make_staff(
            self.programme, ProgrammeRole.Role.MANAGER, email=f"m{n}@example.com"
        )
        self.people = []
        self.consents_seen = 0
        self.events_seen = AuditEvent.objects.count()
        self.n = n

    def _state(self):
        """Everything a call may change, to tell a real change from an idempotent repeat."""
        return (
            Consent.objects.count(),
            tuple(Participation.objects.order_by("pk").values_list("status", flat=True)),
            tuple(AccessPause.objects.order_by("pk").values_list("pk", "ended_at")),
            tuple(TermsVersion.objects.order_by("pk").values_list("status", flat=True)),
        )

    def _call(self, fn, **kwargs):
        STEPS["calls"] += 1
        before, state = AuditEvent.objects.count(), self._state()
        try:
            fn(**kwargs)
        except DomainError:
            STEPS["refused"] += 1
            assert AuditEvent.objects.count() == before, "a refused call left an audit event"
            assert self._state() == state, "a refused call changed something"
            return False
        if self._state() != state:
            assert AuditEvent.objects.count() > before, f"{fn.__name__} changed state unaudited"
        return True

    @rule()
    def invite_and_join(self):
        email = f"p{self.n}-{len(self.people)}@example.com"
        invitation = ps.invitations_create(
            actor=self.manager, programme=self.programme, emails=[email]
        )[0]
        person = UserFactory(email=email)
        self._call(ps.invitation_accept, user=person, token=invitation.plain_token)
        self.people.append(person)

    @precondition(lambda self: self.people)
    @rule(i=st.integers(min_value=0, max_value=50))
    def consent(self, i):
        from programs.selectors import current_terms, upcoming_terms

        person = self.people[i % len(self.people)]
        terms = upcoming_terms(self.programme) or current_terms(self.programme)
        self._call(
            ps.consent_accept,
            user=person,
            programme=self.programme,
            terms=terms,
            seen_hash=terms.content_hash,
        )

    @rule(material=st.booleans(), effective_now=st.booleans())
    def publish_terms(self, material, effective_now):
        draft = prs.terms_draft_create(actor=self.manager, programme=self.programme)
        prs.terms_draft_update(
            actor=self.manager, terms=draft, material_change=material, body=f"v{draft.number}"
        )
        if self._call(prs.terms_publish, actor=self.manager, terms=draft) and effective_now:
            TermsVersion.objects.filter(pk=draft.pk).update(
                effective_at=timezone.now() - timedelta(seconds=1)
            )

    @precondition(lambda self: self.people)
    @rule(i=st.integers(min_value=0, max_value=50))
    def withdraw(self, i):
        person = self.people[i % len(self.people)]
        participation = Participation.objects.get(user=person, programme=self.programme)
        self._call(ps.participation_withdraw, user=person, participation=participation)

    @precondition(lambda self: self.people)
    @rule(i=st.integers(min_value=0, max_value=50))
    def pause_one(self, i):
        participation = Participation.objects.get(
            user=self.people[i % len(self.people)], programme=self.programme
        )
        self._call(
            ps.pause_start,
            actor=self.manager,
            programme=self.programme,
            participation=participation,
            reason="r",
        )

    @rule()
    def pause_all(self):
        self._call(ps.pause_start, actor=self.manager, programme=self.programme, reason="incident")

    @rule()
    def end_a_pause(self):
        pause = AccessPause.objects.filter(programme=self.programme, ended_at__isnull=True).first()
        if pause is not None:
            self._call(ps.pause_end, actor=self.manager, pause=pause)

    @invariant()
    def nobody_works_without_accepting_the_terms(self):
        needed = required_terms(self.programme)
        for person in self.people:
            status = ps.access_check(person, self.programme)
            if status.active:
                accepted = Consent.objects.filter(
                    participation__user=person, terms_version__programme=self.programme
                ).values_list("terms_version__number", flat=True)
                assert max(accepted) >= needed.number
                assert self.programme.status in ("open", "running")

    @invariant()
    def participants_see_only_their_own_records(self):
        for person in self.people:
            assert {p.user_id for p in Participation.objects.visible_to(person)} == {person.pk}
            assert {c.participation.user_id for c in Consent.objects.visible_to(person)} <= {
                person.pk
            }

    @invariant()
    def consents_and_events_only_grow_and_the_chain_verifies(self):
        consents = Consent.objects.count()
        events = AuditEvent.objects.count()
        assert consents >= self.consents_seen and events >= self.events_seen
        self.consents_seen, self.events_seen = consents, events
        for consent in Consent.objects.select_related("terms_version"):
            assert consent.terms_hash == consent.terms_version.content_hash
        assert verify_chain().ok


@pytest.mark.django_db
def test_random_use_keeps_the_invariants():
    ProgrammeLife.TestCase.settings = settings(
        max_examples=8,
        stateful_step_count=12,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
    )
    ProgrammeLife.TestCase().runTest()
    print(
        f"\nFIGURE invariants state machine: {STEPS['runs']} runs, {STEPS['calls']} service calls "
        f"({STEPS['refused']} refused as the rules say), 0 invariant breaks"
    )
