"""The participant's own statement `/statement/`: entries, totals, hours, CSV."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.pagination import keyset_page

from .models import LedgerEntry
from .selectors import statement
from .views import _stream_entries


def _mine(request):
    # restrict also lets finance see their programmes; the statement is only ever one's own.
    return (
        LedgerEntry.objects.restrict(request.user)
        .filter(participation__user=request.user)
        .select_related("programme", "participation__user", "terms_version")
    )


@login_required
def home(request):
    page = keyset_page(_mine(request), request, key="created_at", descending=True, size=50)
    return render(
        request,
        "compensation/statement.html",
        {"page": page, "summary": statement(request.user)},
    )


@login_required
def statement_csv(request):
    qs = _mine(request).select_related("batch").order_by("pk")
    return _stream_entries(qs, "my-statement.csv", staff=False)
