from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from core.pagination import keyset_page

from .models import AuditEvent
from .selectors import event_in_chain


@login_required
def my_events(request):
    """The audit events about the signed-in person, each checked against the chain."""
    qs = AuditEvent.objects.restrict(request.user).filter(subject=request.user)
    page = keyset_page(qs, request, key="seq", descending=True, size=50)
    rows = [(e, event_in_chain(e)) for e in page.items] if request.GET.get("check") else None
    return render(request, "audit/my_events.html", {"page": page, "checked_rows": rows})
