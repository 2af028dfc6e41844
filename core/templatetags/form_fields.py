"""One way to draw a form's fields and its errors (`templates/includes/form.html`).

`{% field_input field %}` draws the widget pointing at its help and its errors
(`aria-describedby`), so a screen reader reads the error with the field it concerns.
`{% error_summary form %}` lists every error at the top of the form, each linking to its field.
"""

from django import template

register = template.Library()


def _error_id(field) -> str:
    return f"{field.auto_id}_error"


@register.simple_tag
def field_input(field):
    described = []
    if field.help_text:
        described.append(f"{field.auto_id}_helptext")
    if field.errors:
        described.append(_error_id(field))
    attrs = {"aria-describedby": " ".join(described)} if described else None
    return field.as_widget(attrs=attrs)


@register.inclusion_tag("includes/error_summary.html")
def error_summary(form):
    """The form's own errors, then one linked line per field in error, in the form's order."""
    fields = [
        {"label": f.label or f.name, "href": f"#{f.id_for_label or f.auto_id}", "errors": f.errors}
        for f in form
        if f.errors and not f.is_hidden
    ]
    hidden = [e for f in form.hidden_fields() for e in f.errors]
    return {
        "form": form,
        "general": [*form.non_field_errors(), *hidden],
        "fields": fields,
        "summary_id": f"{form.prefix or 'form'}-errors",
    }
