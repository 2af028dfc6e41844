"""The pages' FilterSets, answering the API's way (REST_FRAMEWORK["DEFAULT_FILTER_BACKENDS"]).

A filter that names a record (`?programme=7`, `?assignee=12`) which does not exist, or which
the requester may not see, finds nothing: an empty list, as a search that matches nothing,
not a 400 that tells "no such programme" from "none of yours". Any other bad value (a status
that is not one, a malformed date) is still a 400 naming the filter.
"""

import django_filters
from django_filters import utils
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


def _params(name: str, flt) -> list[str]:
    """The query parameters of a filter: its name, or one per end of a range."""
    widget = flt.extra.get("widget")
    suffixes = getattr(widget, "suffixes", None)
    return [f"{name}_{suffix}" for suffix in suffixes] if suffixes else [name]


def _names_a_record(flt) -> bool:
    """A filter whose values are ids of rows, or choices only known per request."""
    if isinstance(
        flt, (django_filters.ModelChoiceFilter, django_filters.ModelMultipleChoiceFilter)
    ):
        return True
    return isinstance(flt, django_filters.ChoiceFilter) and not flt.extra.get("choices")


class FilterBackend(DjangoFilterBackend):
    def filter_queryset(self, request, queryset, view):
        filterset = self.get_filterset(request, queryset, view)
        if filterset is None:
            return queryset
        empty = [
            param
            for name, flt in filterset.base_filters.items()
            if not isinstance(flt, django_filters.CharFilter)
            for param in _params(name, flt)
            if request.query_params.get(param) == ""
        ]
        empty += [
            name
            for name, flt in filterset.base_filters.items()
            if isinstance(flt, django_filters.BooleanFilter)
            and request.query_params.get(name) not in (None, "", "true", "false")
        ]  # a boolean is `true` or `false`, as the schema says; "null" is not a third answer
        if empty:
            # `?date_to=` is not a date (nor `?status=` a status): say so, do not ignore it.
            raise ValidationError(
                {p: ["Give a value the schema allows, or leave it out."] for p in empty}
            )
        if not filterset.is_valid():
            errors = filterset.form.errors
            others = [n for n in errors if not self._unknown_id(request, filterset, n)]
            if others:
                raise utils.translate_validation(type(errors)({n: errors[n] for n in others}))
            return queryset.none()
        return filterset.qs

    @staticmethod
    def _unknown_id(request, filterset, name) -> bool:
        """The value is a well-formed id (the schema's integer) that names no visible row."""
        flt = filterset.base_filters.get(name)
        value = request.query_params.get(name, "")
        digits = value[1:] if value.startswith("-") else value
        return flt is not None and _names_a_record(flt) and digits.isascii() and digits.isdigit()
