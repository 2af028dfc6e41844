"""The form renderer: Django's Jinja2 widget templates, the Django engine for the rest."""

from django import forms
from django_filters.widgets import RangeWidget

from core.forms import FormRenderer


class _Form(forms.Form):
    choice = forms.ChoiceField(choices=[("a", "A & B"), ("b", "<b>")])
    span = forms.CharField(widget=RangeWidget())  # a template only the Django engine has


def test_widgets_render_through_jinja2_and_fall_back_to_the_django_engine():
    form = _Form({"choice": "b", "span_min": "1", "span_max": "<2>"}, renderer=FormRenderer())
    select, span = str(form["choice"]), str(form["span"])
    assert '<option value="a">A &amp; B</option>' in select
    assert '<option value="b" selected>&lt;b&gt;</option>' in select
    assert 'name="span_min"' in span and 'value="&lt;2&gt;"' in span
