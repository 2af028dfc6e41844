"""Links to one object each, for pages that list many (a queue of 50 rows), and the
filters a list keeps across the actions taken on it."""

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


def list_query(request) -> str:
    """The filters of the list an action was posted from, as `?…` (or ""): a list's action
    forms post to `<action URL>?<the list's query string>` (`?{{ request.GET.urlencode }}`
    in the template), and the view redirects back to the list with it, so the filters survive the
    action. The page cursor is dropped: the list starts again at its first page."""
    params = request.GET.copy()
    params.pop("after", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""
