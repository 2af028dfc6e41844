"""Pages of the labour log: the participant's hours and the staff's hours queue.

Every entry is fetched through `TimeEntry.objects.restrict(user)` (404 for
anyone else's), and every change goes through `labour.services`.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.dates import query_date
from core.errors import DomainError
from core.forms import refusal_shown_on, send_once
from core.pagination import keyset_page
from feedback.models import Ticket
from programs.policy import staff_required

from . import selectors, services
from .filters import TimeEntryFilter
from .forms import HoursReviewForm, TimeEntryForm
from .models import TimeEntry


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- The labour log (participant) ------------------------------------------------------------


def _week_param(request) -> date:
    return query_date(request, "week", timezone.localdate())


def _linked_ticket(request, number):
    if not number:
        return None
    ticket = Ticket.objects.restrict(request.user).filter(pk=number).first()
    if ticket is None:
        raise DomainError(f"There is no ticket #{number} of yours.", field="ticket")
    return ticket


@login_required
def mine(request):
    """Log time; my week (entries and totals against the expected hours) and my month."""
    form = TimeEntryForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def log_time() -> str:
            entry = services.time_entry_log(
                actor=request.user,
                programme=data["programme"],
                date=data["date"],
                minutes=data["minutes"],
                activity=data["activity"],
                note=data["note"],
                ticket=_linked_ticket(request, data["ticket"]),
            )
            messages.success(
                request,
                gettext("%(minutes)s min logged for %(day)s.")
                % {"minutes": entry.minutes, "day": f"{entry.date:%d %b %Y}"},
            )
            return reverse("labour:mine") + f"?week={entry.date.isoformat()}"

        if (sent := send_once(request, form, log_time)) is not None:
            return sent
    summary = selectors.hours_summary(request.user, _week_param(request))
    return render(
        request,
        "labour/mine.html",
        {"form": form, "summary": summary},
        status=400 if form.errors else 200,
    )


@login_required
def edit(request, pk):
    entry = get_object_or_404(
        TimeEntry.objects.mine(request.user).select_related("programme", "ticket"), pk=pk
    )
    if not entry.is_editable:
        messages.error(
            request,
            gettext("This entry is %(status)s and can no longer be changed.")
            % {"status": entry.get_status_display().lower()},
        )
        return redirect(reverse("labour:mine") + f"?week={entry.date.isoformat()}")
    form = TimeEntryForm(
        request.POST or None,
        user=request.user,
        editing=True,
        disputed=entry.status == TimeEntry.Status.DISPUTED,
        initial={
            "date": entry.date,
            "minutes": entry.minutes,
            "activity": entry.activity,
            "note": entry.note,
            "ticket": entry.ticket_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with refusal_shown_on(form):
            services.time_entry_update(
                actor=request.user,
                entry=entry,
                date=data["date"],
                minutes=data["minutes"],
                activity=data["activity"],
                note=data["note"],
                ticket=_linked_ticket(request, data["ticket"]),
                output=entry.output,
                answer=data.get("answer", ""),
            )
            messages.success(
                request,
                gettext("Entry corrected and your answer sent; it waits for confirmation again.")
                if "answer" in data
                else gettext("Entry updated."),
            )
            return redirect(reverse("labour:mine") + f"?week={data['date'].isoformat()}")
    return render(
        request,
        "labour/edit.html",
        {"form": form, "entry": entry},
        status=400 if form.errors else 200,
    )


# --- Staff: hours ----------------------------------------------------------------------------


@staff_required("review")
def queue(request):
    filterset = TimeEntryFilter(
        request.GET, queryset=selectors.hours_queue(request.user), user=request.user
    )
    page = keyset_page(filterset.qs, request, key="created_at", size=50)
    week = selectors.week_start(_week_param(request))
    return render(
        request,
        "labour/queue.html",
        {
            "filter": filterset,
            "page": page,
            "form": HoursReviewForm(),
            "week": week,
            "totals": selectors.weekly_totals(request.user, week),
            "previous_week": week.fromordinal(week.toordinal() - 7),
            "next_week": week.fromordinal(week.toordinal() + 7),
        },
    )


@staff_required("review")
@require_POST
def review(request):
    form = HoursReviewForm(request.POST)
    back = _back(request, reverse("labour:queue"))
    decision = request.POST.get("decision")
    if not form.is_valid() or decision not in ("confirm", "dispute"):
        messages.error(request, _("Choose confirm or dispute."))
        return redirect(back)
    entry_ids = request.POST.getlist("entries")
    if not all(i.isdigit() for i in entry_ids):
        messages.error(request, _("Select entries by their checkboxes."))
        return redirect(back)
    with refusal_shown_on(request):
        done = services.time_entries_bulk_review(
            actor=request.user,
            entry_ids=entry_ids,
            confirm=decision == "confirm",
            reason=form.cleaned_data["reason"],
        )
        if decision == "confirm":
            said = ngettext("%(count)s entry confirmed.", "%(count)s entries confirmed.", len(done))
        else:
            said = ngettext("%(count)s entry disputed.", "%(count)s entries disputed.", len(done))
        messages.success(request, said % {"count": len(done)})
    return redirect(back)
