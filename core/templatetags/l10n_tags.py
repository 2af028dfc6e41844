"""`{% load l10n_tags %}`: `{{ amount|money:currency }}`, `{{ when|day }}`, `{{ when|moment }}`,
`{{ hours|number }}` in the reader's language (core.l10n)."""

from django import template

from core import l10n

register = template.Library()


@register.filter
def money(amount, currency):
    return "" if amount is None or amount == "" else l10n.money(amount, currency)


@register.filter
def day(value):
    return "" if not value else l10n.day(value)


@register.filter
def moment(value):
    return "" if not value else l10n.moment(value)


@register.filter
def number(value):
    return "" if value is None or value == "" else l10n.number(value)
