"""The terms say what the organiser's publicity may take from testers' work: promotional
use (no / with consent per use / included), its fee or "unpaid", credit, and training use
per output; the key facts say it in one line each, and a change to any of it is material."""

from programs.models import TermsVersion

from ..programs.test_trust_terms import V1, _publish_v2

PROMOTION = {
    "promotional_use": "consent",
    "promotion_fee": "200.00",
    "promotion_credit": "named",
}


def test_the_key_facts_say_promotional_use_fee_and_credit_in_one_line(programme, manager, as_user):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    preview = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/", {**V1, **PROMOTION, "preview": "1"}
    )
    html = preview.content.decode()
    assert (
        "Your work may be used in marketing only with your consent per use, "
        "paid €200.00 a use, with your name." in html
    )


def test_included_unpaid_promotion_is_said_plainly():
    terms = TermsVersion(promotional_use="included", promotion_fee=None, promotion_credit="unnamed")
    assert (
        "Your work may be used in marketing without asking you each time, unpaid, "
        "without your name." in terms.key_facts()
    )
    assert "Your work and name are not used in marketing." in TermsVersion().key_facts()


def test_training_decided_per_output_is_a_key_fact():
    terms = TermsVersion(training_use="per_output")
    assert "You decide for each output whether it may be used for training." in (terms.key_facts())


def test_promotion_without_a_credit_rule_or_with_a_negative_fee_is_refused_with_the_field(
    programme, manager, as_user
):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    page = client.post(
        f"/staff/programmes/{programme.slug}/terms/2/",
        {**V1, "promotional_use": "consent", "promotion_fee": "-5", "publish": "1"},
    )
    html = page.content.decode()
    assert page.status_code == 400  # the editor answers a refused form with 400
    assert "Say whether promotional uses credit the tester by name." in html
    assert TermsVersion.objects.get(programme=programme, number=2).status == "draft"


def test_a_fee_on_terms_without_promotion_is_cleared():
    from programs.services import clear_unused_terms

    terms = TermsVersion(promotional_use="no", promotion_fee="50", promotion_credit="named")
    assert clear_unused_terms(terms) == ["promotion_fee", "promotion_credit"]
    assert terms.promotion_fee is None


def test_allowing_promotion_is_material_and_worse_whatever_the_box_says(
    programme, manager, as_user, participant
):
    v2 = _publish_v2(
        as_user(manager),
        programme,
        material_change="",
        change_summary="typo fix",
        promotional_use="included",
        promotion_credit="unnamed",
    )
    assert v2.material_change is True
    diff_page = as_user(participant).get(f"/portal/programmes/{programme.slug}/consent/")
    assert "Use in promotion" in diff_page.content.decode()


def test_a_lower_fee_or_dropped_name_or_per_output_training_is_a_worse_material_change():
    from programs.changes import is_material_field, is_worse

    for name in ("promotional_use", "promotion_fee", "promotion_credit"):
        assert is_material_field(name)
    assert is_worse("promotion_fee", "200.00", "50.00")
    assert is_worse("promotional_use", "consent", "included")
    assert is_worse("promotion_credit", "named", "unnamed")
    assert is_worse("training_use", "no", "per_output")
    assert not is_worse("promotion_fee", "50.00", "200.00")
