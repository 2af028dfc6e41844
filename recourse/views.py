"""Pages of contests: the tester contests and follows; staff answer.

Records are fetched through `restrict(user)` (404 for anyone else's); every change goes
through `recourse.services`; a refused post is shown on the form at the page's own address.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from compensation.models import LedgerEntry, PayoutLine
from core.forms import refusal_shown_on, send_once
from feedback.models import Ticket
from labour.models import TimeEntry
from participants.models import Consent
from programs import policy
from programs.models import Programme
from programs.policy import staff_required
from publicity.models import CompetitionEntry, PromotionalUse

from . import selectors, services
from .filters import ContestFilter
from .forms import AnswerForm, ContestForm, ContestReasonForm
from .models import Contest, ContestReason
from .reasons import DEFAULT_REASONS, reasons_for


@login_required
def mine(request):
    return render(
        request,
        "recourse/mine.html",
        {
            "contests": selectors.my_contests(request.user),
            "promised": selectors.promised_awards(request.user),
        },
    )


@staff_required("staff")
def open_list(request):
    filterset = ContestFilter(
        request.GET, queryset=selectors.open_contests(request.user), user=request.user
    )
    return render(request, "recourse/open.html", {"filter": filterset, "contests": filterset.qs})


def _new(
    request, *, ticket=None, entry=None, pay=None, result=None, fee=None, line=None, consent=None
):
    record = ticket or entry or pay or result or fee or line or consent
    form = ContestForm(request.POST or None, reasons=reasons_for(record.programme))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data

        def file_contest() -> str:
            contest = services.contest_open(
                actor=request.user,
                ticket=ticket,
                entry=entry,
                pay=pay,
                result=result,
                fee=fee,
                line=line,
                consent=consent,
                reason=data["reason"],
                text=data["text"],
                evidence=data["evidence"],
            )
            if contest.due_at:
                done = _("Your contest is filed; an answer is due by %(due)s.") % {
                    "due": f"{contest.due_at:%Y-%m-%d}"
                }
            else:
                done = _("Your contest is filed.")
            messages.success(request, done)
            return contest.get_absolute_url()

        if (sent := send_once(request, form, file_contest)) is not None:
            return sent
    earlier = selectors.contests_of(
        ticket=ticket, entry=entry, pay=pay, result=result, fee=fee, line=line, consent=consent
    )
    return render(
        request,
        "recourse/new.html",
        {
            "form": form,
            "ticket": ticket,
            "entry": entry,
            "pay": pay,
            "result": result,
            "fee": fee,
            "line": line,
            "consent": consent,
            "record": record,
            "earlier": earlier,
        },
        status=400 if form.errors else 200,
    )


@login_required
def new_for_ticket(request, pk):
    ticket = get_object_or_404(
        Ticket.objects.filter(reporter=request.user).select_related("programme"), pk=pk
    )
    return _new(request, ticket=ticket)


@login_required
def new_for_hours(request, pk):
    entry = get_object_or_404(
        TimeEntry.objects.filter(user=request.user).select_related("programme"), pk=pk
    )
    return _new(request, entry=entry)


@login_required
def new_for_pay(request, pk):
    pay = get_object_or_404(
        LedgerEntry.objects.filter(participation__user=request.user).select_related("programme"),
        pk=pk,
    )
    return _new(request, pay=pay)


@login_required
def new_for_result(request, pk):
    result = get_object_or_404(
        CompetitionEntry.objects.filter(entrant=request.user).select_related(
            "competition__programme", "submission"
        ),
        pk=pk,
    )
    result.programme = result.competition.programme
    return _new(request, result=result)


@login_required
def new_for_fee(request, pk):
    use = get_object_or_404(
        PromotionalUse.objects.filter(participant=request.user).select_related(
            "programme", "submission"
        ),
        pk=pk,
    )
    return _new(request, fee=use)


@login_required
def new_for_line(request, pk):
    line = get_object_or_404(
        PayoutLine.objects.filter(participation__user=request.user).select_related(
            "participation__programme", "batch"
        ),
        pk=pk,
    )
    line.programme = line.participation.programme
    return _new(request, line=line)


@login_required
def new_for_award(request, pk):
    consent = get_object_or_404(
        Consent.objects.filter(participation__user=request.user).select_related(
            "participation__programme", "terms_version"
        ),
        pk=pk,
    )
    consent.programme = consent.participation.programme
    return _new(request, consent=consent)


@login_required
def detail(request, pk):
    """A contest as both sides see it (due date, answer); the answer form for who may give it."""
    contest = policy.get_or_404(
        Contest.objects.select_related("programme", "tester", "decided_by", "decision__actor"),
        request.user,
        pk=pk,
    )
    may_answer = contest.status == Contest.Status.OPEN and (
        policy.contest_refusal(request.user, contest) is None
    )
    form = AnswerForm(request.POST or None, kind=contest.kind) if may_answer else None
    if request.method == "POST":
        if form is None:
            policy.require_contest_answer(request.user, contest)
            messages.error(request, _("Contest #%(pk)s was already answered.") % {"pk": contest.pk})
            return redirect(contest.get_absolute_url())
        if form.is_valid():
            with refusal_shown_on(form):
                services.contest_decide(
                    actor=request.user,
                    contest=contest,
                    upheld=form.cleaned_data["outcome"] == "upheld",
                    answer=form.cleaned_data["answer"],
                    owed=form.cleaned_data.get("owed"),
                )
                messages.success(request, _("Answer sent to the tester."))
                return redirect(contest.get_absolute_url())
    final = None
    if contest.tester_id == request.user.pk and contest.status == Contest.Status.DISMISSED:
        final = not contest.is_final
    return render(
        request,
        "recourse/detail.html",
        {
            "contest": contest,
            "clock": contest.clock(),
            "form": form,
            "may_ask_final": final,
            "is_tester": contest.tester_id == request.user.pk,
        },
        status=400 if form is not None and form.errors else 200,
    )


def _managed(request):
    return Programme.objects.restrict(request.user, "manage").order_by("name")


@staff_required("manage")
def reasons(request):
    """The reasons testers may give when they contest, per programme I manage."""
    programmes = _managed(request)
    form = ContestReasonForm(request.POST or None, programmes=programmes)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.contest_reason_create(
                actor=request.user,
                programme=form.cleaned_data["programme"],
                label=form.cleaned_data["label"],
                code=form.cleaned_data["code"],
            )
            messages.success(request, _("Reason added."))
            return redirect("recourse:reasons")
    own = (
        ContestReason.objects.restrict(request.user)
        .filter(programme__in=programmes)
        .select_related("programme")
        .order_by("programme__name", "-active", "label")
    )
    keeping = {reason.programme_id for reason in own}
    return render(
        request,
        "recourse/reasons.html",
        {
            "form": form,
            "reasons": own,
            "standard": DEFAULT_REASONS,
            "on_standard": [p for p in programmes if p.pk not in keeping],
        },
        status=400 if form.errors else 200,
    )


@staff_required("manage")
@require_POST
def reason_toggle(request, pk):
    reason = get_object_or_404(
        ContestReason.objects.restrict(request.user).filter(programme__in=_managed(request)),
        pk=pk,
    )
    with refusal_shown_on(request):
        services.contest_reason_set_active(
            actor=request.user, reason=reason, active=not reason.active
        )
    return redirect("recourse:reasons")
