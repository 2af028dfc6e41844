"""Terms weakened in the free text, and terms that contradict themselves.

Before: a manager added "a perpetual, royalty-free licence to use every output for model
training and advertising, without credit or payment" to a draft's full text, unticked
"material" and published: in force at once, no new consent, while the structured terms
still said outputs are never used for training. And terms of 200 hours a week, a
99,999-hour review deadline, an inverted bounty table, a €0.00 (0.004 rounded) only tier,
"unpaid" with a €15 floor, a €12 rate under a €15 floor or prize-only with no prize were
published as they stood.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.models import OutboxMessage
from participants.services import access_check
from programs.models import Programme, TermsVersion
from tests.conftest import summarise
from tests.factories import TermsFactory, make_participant, make_staff

from .test_trust_terms import V1

LOOPHOLE = (
    "These are the terms.\nThe organiser gets a perpetual, royalty-free licence to use every "
    "output for model training and advertising, without credit or payment."
)
TRIED = {"inputs": 0}


def _draft(client, programme):
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    return f"/staff/programmes/{programme.slug}/terms/2/"


@pytest.fixture
def second_manager(programme):
    return make_staff(programme, "manager", email="second-manager@example.com")


def test_terms_weakened_in_the_full_text_wait_for_the_structured_terms_then_need_consent(
    programme, manager, participant, as_user
):
    client = as_user(manager)
    url = _draft(client, programme)
    loophole = {**V1, "material_change": "", "change_summary": "typo fix", "body": LOOPHOLE}
    # Preview shows the passage beside the terms it touches, and says publishing would refuse.
    preview = client.post(url, {**loophole, "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 400
    assert "perpetual, royalty-free licence to use every output for model training" in html
    assert "Use as training data: <strong>No</strong>" in html
    assert "The full text speaks of" in html and "cannot be published yet" in html
    # Publishing is refused the same way; nothing is published.
    refused = client.post(url, {**loophole, "publish": "1"})
    assert refused.status_code == 400 and "The full text speaks of" in refused.content.decode()
    assert TermsVersion.objects.get(programme=programme, number=2).status == "draft"
    TRIED["inputs"] += 2
    # Confirming the structured terms say the same publishes it, but as a material change:
    # the box unticked changes nothing, the full text changed and nobody confirmed it editorial.
    before = timezone.now()
    published = client.post(url, {**loophole, "passages_agree": "on", "publish": "1"})
    assert published.status_code == 302, published.content.decode()[:2000]
    v2 = TermsVersion.objects.get(programme=programme, number=2)
    assert v2.material_change is True and v2.effective_at >= before + timedelta(days=14)
    later = access_check(participant, programme, v2.effective_at + timedelta(minutes=1))
    assert later.code == "consent_required"
    consent = as_user(participant).get(f"/portal/programmes/{programme.slug}/consent/")
    assert "Worse for you:</strong> Full text." in consent.content.decode()
    mail = OutboxMessage.objects.get(recipient=participant, subject__startswith="New terms")
    assert "The full text changed: read it before you agree." in mail.body
    event = AuditEvent.objects.get(action="programs.terms.published", object_id=str(v2.pk))
    assert event.data["passages_confirmed"] and event.data["body_changed"] is True


def test_a_passage_is_settled_by_changing_the_structured_terms_it_touches(
    programme, manager, as_user
):
    client = as_user(manager)
    url = _draft(client, programme)
    body = "These are the terms.\nOutputs may be used for model training."
    response = client.post(url, {**V1, "body": body, "training_use": "yes", "publish": "1"})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TermsVersion.objects.get(programme=programme, number=2).material_change is True


def test_a_full_text_change_is_editorial_only_when_another_manager_confirms_seeing_the_diff(
    programme, manager, second_manager, participant, as_user, client
):
    url = _draft(as_user(manager), programme)
    typo = {**V1, "material_change": "", "body": "These are the terms of the programme."}
    as_user(manager).post(url, {**typo, "save": "1"})
    editorial = f"{url}editorial/"
    as_user(manager).post(editorial, {"request": "1"})
    asked = OutboxMessage.objects.get(recipient=second_manager, subject__contains="editorial")
    assert editorial in asked.url
    # The manager who asks cannot confirm it themselves.
    own = as_user(manager).post(editorial, {"confirm": "1"}, follow=True)
    assert "Another manager of the programme confirms an editorial change" in (own.content.decode())
    # The other manager sees the diff of the full text, then confirms.
    page = as_user(second_manager).get(editorial).content.decode()
    assert '<span class="diff-del">-These are the terms.</span>' in page
    assert '<span class="diff-add">+These are the terms of the programme.</span>' in page
    as_user(second_manager).post(editorial, {"confirm": "1"})
    published = as_user(manager).post(url, {**typo, "publish": "1"})
    assert published.status_code == 302
    v2 = TermsVersion.objects.get(programme=programme, number=2)
    assert v2.material_change is False and access_check(participant, programme).terms == v2
    # Testers see who confirmed it, with the diff.
    terms_page = client.get(f"/programmes/{programme.slug}/terms/2/").content.decode()
    assert "editorial change confirmed by" in terms_page
    diff = client.get(f"/programmes/{programme.slug}/terms/diff/?from=1&to=2").content.decode()
    assert "Editorial change confirmed by" in diff
    assert "Added in version 2:</p><ins>These are the terms of the programme.</ins>" in diff
    assert AuditEvent.objects.filter(action="programs.terms.editorial_confirmed").exists()


def test_a_confirmation_is_for_the_text_seen_editing_the_draft_again_makes_it_material(
    programme, manager, second_manager, as_user
):
    url = _draft(as_user(manager), programme)
    as_user(manager).post(url, {**V1, "material_change": "", "body": "The terms.", "save": "1"})
    as_user(manager).post(f"{url}editorial/", {"request": "1"})
    as_user(second_manager).post(f"{url}editorial/", {"confirm": "1"})
    changed = {**V1, "material_change": "", "body": "The terms. Outputs are ours forever."}
    response = as_user(manager).post(url, {**changed, "publish": "1"})
    assert response.status_code == 302
    v2 = TermsVersion.objects.get(programme=programme, number=2)
    assert v2.material_change is True
    assert not hasattr(v2, "editorial") or v2.editorial is None


INCOHERENT = [
    ({"expected_hours_per_week": "200"}, "Expected hours are at most 48 a week"),
    ({"review_deadline_hours": "99999"}, "A review deadline is at most 60 days (1440 h)"),
    (
        {"pay_model": "bounty", "bounty_low": "500", "bounty_critical": "50"},
        "A higher severity pays more: critical (50) is not more than low (500).",
    ),
    ({"pay_model": "bounty", "bounty_low": "0.00"}, "Each bounty is more than zero"),
    (
        {"pay_model": "bounty", "bounty_low": "0.004"},
        "0.004 EUR has more than 2 decimals: give at most 2 (nothing is rounded for you).",
    ),
    ({"pay_model": "unpaid", "hourly_floor": "15.00"}, "Unpaid terms promise no minimum"),
    (
        {"hourly_rate": "12.00", "hourly_floor": "15.00"},
        "The hourly rate (12.00) is under the minimum hourly pay (15.00)",
    ),
    ({"pay_model": "prize_only", "prize_description": ""}, "Prize-only terms describe the prizes"),
    (
        {"currency": "JPY", "hourly_rate": "1000.50"},
        "1000.50 JPY has decimals, but JPY has no minor unit",
    ),
    ({"payment_schedule": "monthly\r\nBcc: x"}, "This cannot contain line breaks"),
]


def test_incoherent_terms_are_refused_with_the_reason_at_preview_save_and_publish(
    programme, manager, as_user
):
    client = as_user(manager)
    url = _draft(client, programme)
    for values, reason in INCOHERENT:
        for button in ("preview", "save", "publish"):
            response = client.post(url, {**V1, **values, button: "1"})
            assert response.status_code == 400, (values, button)
            assert reason in response.content.decode(), (values, button)
            TRIED["inputs"] += 1
    draft = TermsVersion.objects.get(programme=programme, number=2)
    assert draft.status == "draft" and draft.expected_hours_per_week == 5


def test_coherent_edges_are_accepted(programme, manager, as_user):
    """The limits themselves pass: 48 h, 60 days, whole yen, an increasing table."""
    client = as_user(manager)
    url = _draft(client, programme)
    ok = {
        **V1,
        "expected_hours_per_week": "48",
        "review_deadline_hours": "1440",
        "pay_model": "bounty",
        "bounty_low": "50",
        "bounty_medium": "150.50",
        "bounty_critical": "2000",
    }
    assert client.post(url, {**ok, "preview": "1"}).status_code == 200
    jpy = Programme.objects.create(name="Yen", slug="yen", product="x", status="running")
    TermsFactory(programme=jpy, currency="JPY", hourly_rate=1000)
    make_staff(jpy, "manager", user=manager)
    client.post("/staff/programmes/yen/terms/new/")
    response = client.post(
        "/staff/programmes/yen/terms/2/",
        {**V1, "currency": "JPY", "hourly_rate": "1500", "publish": "1"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def test_terms_edges_figure():
    summarise(inputs=TRIED["inputs"])
    print(
        f"\nFIGURE terms edges: {TRIED['inputs']} incoherent or weakened terms tried at preview, "
        "save and publish, 0 published as they stood"
    )


@pytest.fixture(autouse=True)
def _participant_for_mail(programme):
    make_participant(programme, email="watcher@example.com")
