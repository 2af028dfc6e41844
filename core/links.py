"""Links to one object each, for pages that list many (a queue of 50 rows)."""

from django.urls import reverse

_MARK = 7_340_041_893  # a pk no table reaches, found again in the reversed URL


def pk_link(viewname: str):
    """`pk -> URL` for a URL name whose only argument is a pk, reversing it once.

    `{% url %}` resolves the pattern anew for every row: three links on each of 50 rows
    were a large share of the review queue's budget. One reverse and a string join per row
    give the same URLs.
    """
    head, tail = reverse(viewname, args=[_MARK]).split(str(_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"
