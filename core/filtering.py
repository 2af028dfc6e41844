"""Per-request configuration of django-filter FilterSets (one way to do it, for every queue)."""


def configure_filter(filterset, name, *, queryset=None, choices=None):
    """Give filter `name` of this FilterSet instance its per-request queryset or choices.

    django-filter builds a filter's form field once and caches it on the filter
    (`Filter._field`), and each FilterSet instance deep-copies the class's `base_filters`.
    When anything builds the field on the class itself (the OpenAPI generator does), every
    later instance inherits that cached field, with the class's empty queryset or choices,
    and a valid request value such as `?assignee=me` is silently rejected. Dropping the
    cached field after setting the values makes the form use this request's values.
    """
    flt = filterset.filters[name]
    if queryset is not None:
        flt.queryset = queryset
    if choices is not None:
        flt.extra["choices"] = choices
    flt.__dict__.pop("_field", None)
