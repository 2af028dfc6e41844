"""`{% panels "output" submission %}`: what apps above add to this page (core.panels)."""

from django import template
from django.utils.safestring import mark_safe

from core import panels as registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context, slot, obj, **options):
    return mark_safe(registry.render(slot, context, obj, **options))
