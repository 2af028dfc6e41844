"""Audit sentences (issue 33): every action the product records reads as a sentence with a
verb of its own; the person who joined is the one who joined; a decision gives the reason as
the tester was told it."""

import re
from pathlib import Path
from types import SimpleNamespace

from django.urls import reverse

from approvals import services as approvals
from approvals.models import ReasonCode
from audit.describe import VERBS, describe
from participants import services as participant_services
from participants.models import Application

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [
    p
    for p in ROOT.rglob("*.py")
    if not {"tests", "tools", "node_modules", ".venv", "migrations"}
    & set(p.relative_to(ROOT).parts)
]


def _recorded_actions() -> set[str]:
    """Every action name the shipped code records (literal `action="app.thing.done"`)."""
    found = set()
    for path in SHIPPED:
        text = path.read_text(encoding="utf-8", errors="replace")
        found |= set(re.findall(r'action="([a-z_]+\.[a-z_.]+)"', text))
        found |= set(re.findall(r'_audit\(\s*"([a-z_]+\.[a-z_.]+)"', text))
    return found


def _event(action, *, actor_id=7, subject_id=7, data=None):
    person = SimpleNamespace(pk=7, email="pat@example.com")
    return SimpleNamespace(
        action=action,
        actor_id=actor_id,
        actor=person if actor_id else None,
        subject_id=subject_id,
        subject=person if subject_id else None,
        object_type="programs.programme",
        object_id="3",
        programme_id=1,
        programme=SimpleNamespace(name="Alpha"),
        data=data or {},
    )


def test_every_recorded_action_reads_as_a_sentence_with_its_own_verb():
    actions = _recorded_actions()
    assert len(actions) > 60, actions
    missing = sorted(a for a in actions if a not in VERBS)
    assert missing == [], f"actions without a sentence: {missing}"
    viewer = SimpleNamespace(pk=7)
    for action in sorted(actions):
        sentence = describe(_event(action), viewer)
        assert sentence.startswith("You ") and sentence.endswith("."), (action, sentence)
        assert "_" not in sentence and not re.search(r"\b(login|chosen)\b", sentence), sentence
        other = describe(_event(action), SimpleNamespace(pk=8))
        assert other.startswith("pat@example.com "), (action, other)
        system = describe(_event(action, actor_id=None, subject_id=None), viewer)
        assert system.startswith("The system ") or action.endswith(".joined"), system
    print(f"FIGURE audit sentences rendered: {len(actions)} actions")


def test_the_tester_who_joined_is_the_one_who_joined_and_the_manager_who_accepted_is_named(
    programme, manager, user_factory, as_user
):
    tester = user_factory(email="new.artist@example.com")
    programme.status = "open"
    programme.save()
    participant_services.application_submit(
        actor=tester, programme=programme, motivation="I make films.", portfolio_url=""
    )
    application = Application.objects.get(user=tester)
    participant_services.application_decide(
        actor=manager, application=application, accept=True, reason="Welcome"
    )
    page = as_user(tester).get(reverse("audit:mine")).content.decode()
    assert "You joined Alpha (application accepted by manager@example.com)." in page
    assert "manager@example.com joined" not in page


def test_a_rejection_reads_with_the_reason_the_tester_was_told(
    programme, participant, reviewer, as_user
):
    reason = ReasonCode.objects.create(
        programme=programme, code="quality", label="Not representative of the product"
    )
    submission = approvals.submission_create(
        actor=participant,
        programme=programme,
        title="Night swim",
        intended_use="social",
        url="https://example.org/night-swim.mp4",
    )
    approvals.submission_claim(actor=reviewer, submission=submission)
    approvals.submission_decide(
        submission=submission, actor=reviewer, outcome="rejected", reason=reason
    )
    page = as_user(participant).get(reverse("audit:mine")).content.decode()
    assert "reason: Not representative of the product" in page
    assert "reason: quality" not in page
