"""Pages of tickets: the participant's side and the staff queues.

Every object is fetched through the policy (`Ticket.objects.restrict(user)`, 404 for
anyone else's), and every change goes through `feedback.services`.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import ratelimit, search
from core.errors import DomainError
from core.forms import ONCE_FIELD, refusal_shown_on, send_once
from core.pagination import keyset_page
from participants.selectors import working_programmes
from programs import policy
from programs.models import Programme
from programs.policy import staff_required

from . import selectors, services
from .filters import MyTicketFilter, TicketFilter
from .forms import (
    AssignForm,
    BulkTriageForm,
    CommentForm,
    StatusForm,
    TicketForm,
)
from .models import Ticket, TicketAttachment

User = get_user_model()


def _back(request, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


# --- Participant portal --------------------------------------------------------------------


@login_required
def my_tickets(request):
    filterset = MyTicketFilter(request.GET, queryset=selectors.my_tickets(request.user))
    page = keyset_page(filterset.qs, request, key="created_at", descending=True, size=30)
    return render(
        request,
        "feedback/mine.html",
        {"page": page, "filter": filterset, "matches": search.result_count(filterset)},
    )


# Similar-ticket checks per person and minute: one per pause in typing is a few a minute.
SIMILAR_PER_MINUTE = 30


def _similar(user, programme, title) -> list[dict]:
    return [
        {
            "id": t.pk,
            "title": t.title,
            "status": t.get_status_display(),
            "url": t.get_absolute_url(),
            "similarity": round(float(t.similarity), 2),
        }
        for t in selectors.similar_tickets(user, programme, title)
    ]


@dataclass
class _Check:
    """A similar-ticket check: the programme to look in, or why not (and its HTTP status)."""

    programme: Programme | None = None
    problem: str = ""
    status: int = 200
    retry_after: int = 0


def _check(user, raw_programme: str, title: str) -> _Check:
    """May this person check `title` for similar tickets in that programme now?

    The programme must be one they take part in; each check, by the script or by the form's
    button, counts against SIMILAR_PER_MINUTE.
    """
    count, left = ratelimit.hit(f"similar-tickets:{user.pk}", window=60)
    if count > SIMILAR_PER_MINUTE:
        wait = int(left) + 1
        return _Check(
            problem=f"Too many checks for similar tickets; try again in {wait} s.",
            status=429,
            retry_after=wait,
        )
    programme = None
    if raw_programme.isdigit() and len(raw_programme) < 19:
        programme = working_programmes(user).filter(pk=int(raw_programme)).first()
    if programme is None:
        return _Check(problem="Choose one of your programmes.", status=400)
    if problem := _title_problem(title):
        return _Check(problem=problem, status=400)
    return _Check(programme=programme)


def _title_problem(title: str) -> str:
    """What is wrong with a title to compare, said as the ticket form would ("" if nothing)."""
    limit = Ticket._meta.get_field("title").max_length
    if len(title) > limit:
        return f"A title has at most {limit} characters."
    if "\x00" in title:
        return "Null characters are not allowed."
    return ""


@login_required
def similar(request):
    """JSON: tickets of one of my programmes that look like the title being typed.

    `?programme=<id>&title=…`. Only tickets this person may open are considered
    (`selectors.similar_tickets`); rate-limited per person.
    """
    title = request.GET.get("title", "")
    check = _check(request.user, request.GET.get("programme", ""), title)
    if check.problem:
        headers = {"Retry-After": str(check.retry_after)} if check.retry_after else None
        return JsonResponse({"detail": check.problem}, status=check.status, headers=headers)
    return JsonResponse({"tickets": _similar(request.user, check.programme, title)})


@login_required
def ticket_new(request):
    initial = {}
    if slug := request.GET.get("programme"):
        initial["programme"] = Programme.objects.filter(slug=slug).first()
    if request.method == "POST" and "check" in request.POST:
        return _ticket_check(request)
    form = TicketForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def file_ticket() -> str:
            ticket = services.ticket_file(
                actor=request.user,
                programme=data["programme"],
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                steps_to_reproduce=data["steps_to_reproduce"],
                expected_result=data["expected_result"],
                actual_result=data["actual_result"],
                severity=data["severity"],
                attachments=data["attachments"],
            )
            messages.success(
                request, gettext("Ticket #%(number)s was filed. Thank you.") % {"number": ticket.pk}
            )
            return ticket.get_absolute_url()

        if (sent := send_once(request, form, file_ticket)) is not None:
            return sent
    return render(request, "feedback/new.html", {"form": form}, status=400 if form.errors else 200)


def _ticket_check(request):
    """Without JavaScript: "Check for similar tickets first" shows them above the form, kept
    as typed (files must be chosen again: a browser never re-sends them), filing nothing."""
    typed = request.POST.dict()
    typed.pop(ONCE_FIELD, None)  # a fresh token: this render is a new form to send once
    form = TicketForm(user=request.user, initial=typed)
    title = typed.get("title", "").strip()
    context = {"form": form, "checked": True, "similar": [], "check_error": ""}
    status = 400
    if not typed.get("programme"):
        context["check_error"] = "Choose the programme first, then check for similar tickets."
    elif len(title) < 3:
        context["check_error"] = "Type a title first (3 characters or more), then check."
    elif (check := _check(request.user, typed["programme"], title)).problem:
        context["check_error"], status = check.problem, check.status
    else:
        context["similar"], status = _similar(request.user, check.programme, title), 200
    return render(request, "feedback/new.html", context, status=status)


def _detail_context(request, ticket: Ticket, **forms):
    staff = policy.can(request.user, "triage", ticket)
    context = {
        "ticket": ticket,
        "is_staff": staff,
        "triage_clock": ticket.triage_clock(),
        "response_clock": ticket.first_response_clock(selectors.first_response_at(ticket)),
        "comments": selectors.comments_for(ticket, request.user),
        "attachments": TicketAttachment.objects.restrict(request.user).filter(ticket=ticket),
        "comment_form": forms.get("comment_form")
        or CommentForm(staff=policy.can(request.user, "staff_comment", ticket)),
    }
    if staff:
        assignable = selectors.assignable_staff([ticket.programme_id])
        context["status_form"] = forms.get("status_form") or StatusForm(
            initial={"status": ticket.status}
        )
        context["assign_form"] = forms.get("assign_form") or AssignForm(
            staff=assignable, initial={"assignee": ticket.assignee_id or ""}
        )
        context["allowed_statuses"] = [
            Ticket.Status(s).label for s in Ticket.TRANSITIONS[Ticket.Status(ticket.status)]
        ]
    return context


def _visible_ticket(request, pk, action: str = "view") -> Ticket:
    return policy.get_or_404(selectors.ticket_details(), request.user, action, pk=pk)


@login_required
def ticket_detail(request, pk):
    ticket = _visible_ticket(request, pk)
    return render(request, "feedback/detail.html", _detail_context(request, ticket))


@login_required
@require_POST
def ticket_comment(request, pk):
    ticket = _visible_ticket(request, pk)
    form = CommentForm(
        request.POST, request.FILES, staff=policy.can(request.user, "staff_comment", ticket)
    )
    if form.is_valid():

        def add_comment() -> str:
            services.ticket_comment(
                author=request.user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                visible_to_reporter=not form.cleaned_data.get("internal", False),
                attachments=form.cleaned_data["attachments"],
            )
            messages.success(request, gettext("Comment added."))
            return ticket.get_absolute_url()

        if (sent := send_once(request, form, add_comment)) is not None:
            return sent
    return render(
        request,
        "feedback/detail.html",
        _detail_context(request, ticket, comment_form=form),
        status=400,
    )


def _staff_ticket(request, pk) -> Ticket:
    """A ticket this person may triage: of their programmes, never their own."""
    return _visible_ticket(request, pk, "triage")


@login_required
@require_POST
def ticket_status(request, pk):
    ticket = _staff_ticket(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        original = None
        number = form.cleaned_data["duplicate_of"]
        with refusal_shown_on(form):
            if number:
                original = Ticket.objects.restrict(request.user).filter(pk=number).first()
                if original is None:
                    raise DomainError(
                        _("There is no ticket #%(number)s you can see.") % {"number": number},
                        field="duplicate_of",
                    )
            services.ticket_set_status(
                actor=request.user,
                ticket=ticket,
                status=form.cleaned_data["status"],
                duplicate_of=original,
                note=form.cleaned_data["note"],
            )
            label = Ticket.Status(form.cleaned_data["status"]).label.lower()
            messages.success(
                request,
                _("Ticket #%(number)s is now %(status)s.") % {"number": ticket.pk, "status": label},
            )
            return redirect(ticket)
    return render(
        request,
        "feedback/detail.html",
        _detail_context(request, ticket, status_form=form),
        status=400,
    )


@login_required
@require_POST
def ticket_assign(request, pk):
    ticket = _staff_ticket(request, pk)
    form = AssignForm(request.POST, staff=selectors.assignable_staff([ticket.programme_id]))
    if form.is_valid():
        value = form.cleaned_data["assignee"]
        with refusal_shown_on(form):
            services.ticket_assign(
                actor=request.user,
                ticket=ticket,
                assignee=User.objects.get(pk=value) if value else None,
            )
            messages.success(request, _("Assignment saved."))
            return redirect(ticket)
    return render(
        request,
        "feedback/detail.html",
        _detail_context(request, ticket, assign_form=form),
        status=400,
    )


# --- Staff: triage ---------------------------------------------------------------------------


def _triage_page(request, bulk_form=None, status=200):
    programmes = Programme.objects.restrict(request.user, "review")
    staff = selectors.assignable_staff(programmes)
    filterset = TicketFilter(
        request.GET, queryset=selectors.triage_queue(request.user), user=request.user, staff=staff
    )
    key, descending = filterset.sort_key()
    queue = selectors.with_awaiting_response(filterset.qs)
    page = keyset_page(queue, request, key=key, descending=descending, size=50)
    return render(
        request,
        "feedback/triage.html",
        {
            "filter": filterset,
            "matches": search.result_count(filterset),
            "page": page,
            "bulk_form": bulk_form or BulkTriageForm(staff=staff),
            "now": timezone.now(),
        },
        status=status,
    )


@staff_required("review")
def triage(request):
    return _triage_page(request)


@staff_required("review")
@require_POST
def triage_bulk(request):
    programmes = Programme.objects.restrict(request.user, "review")
    form = BulkTriageForm(request.POST, staff=selectors.assignable_staff(programmes))
    back = _back(request, reverse("feedback:triage"))
    if not form.is_valid():
        messages.error(request, _("Choose a valid status and assignee."))
        return redirect(back)
    assignee = services.UNCHANGED
    value = form.cleaned_data["assignee"]
    if value == BulkTriageForm.NOBODY:
        assignee = None
    elif value not in ("", BulkTriageForm.KEEP):
        assignee = User.objects.filter(pk=value).first()
    ticket_ids = request.POST.getlist("tickets")
    if not all(i.isdigit() for i in ticket_ids):
        messages.error(request, _("Select tickets by their checkboxes."))
        return redirect(back)
    with refusal_shown_on(request):
        done = services.tickets_bulk_triage(
            actor=request.user,
            ticket_ids=ticket_ids,
            status=form.cleaned_data["status"],
            assignee=assignee,
            note=form.cleaned_data["note"],
        )
        messages.success(
            request,
            ngettext("%(count)s ticket updated.", "%(count)s tickets updated.", len(done))
            % {"count": len(done)},
        )
    return redirect(back)
