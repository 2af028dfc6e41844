"""The terms editor reads like the deal: sections, the chosen pay model's terms only, human
labels (in the diff too), an error summary linking to each field, and a preview that checks
exactly what publishing checks."""

import re

from programs.forms import TERMS_SECTIONS, TermsForm, pay_model_form_fields
from programs.models import TermsVersion

from .test_terms_pages import FAIR_FORM, _new_programme


def _draft(manager, as_user):
    client = as_user(manager)
    _new_programme(client)
    client.post("/staff/programmes/gamma/terms/new/")
    return client


def _legends(html: str) -> list[str]:
    return re.findall(r"<legend>([^<]+)</legend>", html)


def test_the_editor_is_drawn_in_sections_with_one_fieldset_per_pay_model(manager, as_user):
    html = _draft(manager, as_user).get("/staff/programmes/gamma/terms/1/").content.decode()
    legends = _legends(html)
    for section in ("Labour", "Pay", "Output approval", "Confidentiality"):
        assert section in legends
    assert "Use of participants&#x27; work" in legends and "Participation" in legends
    assert "Hourly: its terms" in legends and "Per accepted finding: its terms" in legends
    pay = html.split('id="section-pay"')[1].split('id="section-approval"')[0]
    assert 'data-pay-model="hourly"' in pay and 'name="hourly_rate"' in pay
    bounty = pay.split('data-pay-model="bounty"')[1].split("</fieldset>")[0]
    assert all(f'name="bounty_{s}"' in bounty for s in TermsVersion.SEVERITIES)
    # Without JavaScript every pay model stays visible; the script only hides.
    assert " hidden" not in pay
    assert "/static/js/terms_editor.js" in html


def test_every_field_of_the_editor_is_in_exactly_one_section(db):
    form = TermsForm()
    drawn = [n for _, _, names in TERMS_SECTIONS for n in names]
    drawn += [n for model, _ in TermsVersion.PayModel.choices for n in pay_model_form_fields(model)]
    assert sorted(drawn) == sorted(form.fields)


def test_the_labels_are_human_nda_not_nda_lowercased(manager, as_user):
    html = _draft(manager, as_user).get("/staff/programmes/gamma/terms/1/").content.decode()
    for label in (
        "NDA",
        "NDA until (text)",
        "NDA until (date)",
        "NDA scope",
        "Review deadline (hours)",
    ):
        assert f">{label} <span" in html or f">{label}</label>" in html, label
    assert "Nda" not in html


def test_the_diff_uses_the_same_human_labels(programme, manager, as_user):
    client = as_user(manager)
    client.post(f"/staff/programmes/{programme.slug}/terms/new/")
    number = TermsVersion.objects.filter(programme=programme).order_by("-number")[0].number
    response = client.post(
        f"/staff/programmes/{programme.slug}/terms/{number}/",
        {**FAIR_FORM, "nda": "on", "nda_until_text": "until launch", "preview": "1"},
    )
    html = response.content.decode()
    assert '<th scope="row">NDA</th>' in html
    assert '<th scope="row">NDA until (text)</th>' in html
    assert "Nda" not in html


def test_another_pay_models_terms_are_ignored_and_cleared(manager, as_user):
    client = _draft(manager, as_user)
    response = client.post(
        "/staff/programmes/gamma/terms/1/",
        {
            **FAIR_FORM,
            "pay_model": "unpaid",
            "hourly_rate": "not a number",  # typed before switching to unpaid
            "stipend_amount": "-5",
            "bounty_high": "x",
            "save": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()
    terms = TermsVersion.objects.get(programme__slug="gamma", number=1)
    assert terms.pay_model == "unpaid"
    assert terms.hourly_rate is None and terms.stipend_amount is None and terms.bounty_table == {}


def test_the_chosen_pay_models_terms_are_still_checked(manager, as_user):
    client = _draft(manager, as_user)
    response = client.post(
        "/staff/programmes/gamma/terms/1/",
        {**FAIR_FORM, "hourly_rate": "not a number", "save": "1"},
    )
    assert response.status_code == 400
    assert TermsVersion.objects.get(programme__slug="gamma", number=1).hourly_rate is None


def test_errors_are_summarised_at_the_top_with_a_link_to_each_field(manager, as_user):
    client = _draft(manager, as_user)
    response = client.post(
        "/staff/programmes/gamma/terms/1/",
        {**FAIR_FORM, "expected_hours_per_week": "lots", "notice_period_days": "", "save": "1"},
    )
    html = response.content.decode()
    assert response.status_code == 400
    summary = re.search(r'<div class="errors" role="alert"[^>]*>(.*?)</div>', html, re.S)
    assert summary, "no error summary"
    assert '<a href="#id_expected_hours_per_week">Expected hours per week</a>' in summary.group(1)
    assert '<a href="#id_notice_period_days">Notice period (days)</a>' in summary.group(1)
    # The summary comes before the first field, and each field names its own error.
    assert html.index('role="alert"') < html.index('name="change_summary"')
    assert 'id="id_expected_hours_per_week_error"' in html
    assert 'aria-describedby="id_expected_hours_per_week_error"' in html


def test_a_preview_of_terms_that_cannot_be_published_shows_the_reasons(manager, as_user):
    client = _draft(manager, as_user)
    # An hourly model without a rate, deemed approval without a deadline: publishing refuses.
    bad = {**FAIR_FORM, "hourly_rate": "", "review_deadline_hours": ""}
    preview = client.post("/staff/programmes/gamma/terms/1/", {**bad, "preview": "1"})
    html = preview.content.decode()
    assert preview.status_code == 400
    assert "This draft cannot be published yet" in html
    assert '<a href="#id_hourly_rate">Hourly rate</a>: An hourly model needs a rate.' in html
    assert "Deemed approval needs a review deadline." in html
    # Publishing the same values gives the same reasons, and nothing is published.
    published = client.post("/staff/programmes/gamma/terms/1/", {**bad, "publish": "1"})
    assert published.status_code == 400
    assert '<a href="#id_hourly_rate">Hourly rate</a>: An hourly model needs a rate.' in (
        published.content.decode()
    )
    assert not TermsVersion.objects.get(programme__slug="gamma", number=1).is_published


def test_a_preview_of_publishable_terms_says_so_and_saves_nothing(manager, as_user):
    client = _draft(manager, as_user)
    preview = client.post("/staff/programmes/gamma/terms/1/", {**FAIR_FORM, "preview": "1"})
    assert preview.status_code == 200
    assert "it passes every check that publishing makes" in preview.content.decode()
    assert TermsVersion.objects.get(programme__slug="gamma", number=1).hourly_rate is None
