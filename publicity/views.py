"""Pages: a manager asks to use an output in promotion, the tester answers; training use
per output; competitions with their odds, entries and results."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from approvals.models import OutputSubmission
from core.errors import DomainError
from core.forms import refusal_shown_on, send_once
from participants.models import Participation
from programs import policy
from programs.models import Programme

from . import selectors, services
from .forms import (
    AnswerForm,
    CompetitionForm,
    CreditNameForm,
    EnterForm,
    ResultsForm,
    TrainingForm,
    UseRequestForm,
)
from .models import Competition, CompetitionEntry, PromotionalUse

# An incomplete form is refused (the 400 page, core.middleware) before any service runs.
NOTHING_SAVED = "Nothing was saved."


@login_required
def use_request(request, pk):
    submission = policy.get_or_404(
        OutputSubmission.objects.select_related("programme", "participant"),
        request.user,
        "promote",
        pk=pk,
    )
    form = UseRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def ask() -> str:
            use = services.use_request(
                actor=request.user,
                submission=submission,
                channel=d["channel"],
                period_start=d["period_start"],
                period_end=d["period_end"],
                territory=d["territory"],
                credit_line=d["credit_line"],
            )
            messages.success(request, f"{use.get_status_display()}.")
            return reverse("publicity:uses")

        if (sent := send_once(request, form, ask)) is not None:
            return sent
    terms = selectors.accepted_terms(submission.participant, submission.programme)
    chosen = selectors.credit_name_of(submission.participant, submission.programme)
    return render(
        request,
        "publicity/use_request.html",
        {"form": form, "submission": submission, "terms": terms, "chosen": chosen},
        status=400 if form.errors else 200,
    )


@login_required
def uses(request):
    """The uses asked of me (to answer) and, for staff, their programmes' uses."""
    rows = (
        PromotionalUse.objects.restrict(request.user)
        .select_related("submission", "programme", "participant", "terms_version")
        .order_by("-requested_at", "-pk")[:200]
    )
    return render(request, "publicity/uses.html", {"uses": rows, "answer_form": AnswerForm()})


@login_required
@require_POST
def use_answer(request, pk):
    use = get_object_or_404(PromotionalUse.objects.mine(request.user), pk=pk)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        raise DomainError(f"Choose accept or decline. {NOTHING_SAVED}")
    with refusal_shown_on(request):
        use = services.use_answer(
            actor=request.user, use=use, accept=form.cleaned_data["answer"] == "accept"
        )
        messages.success(request, f"{use.get_status_display()}.")
    return redirect("publicity:uses")


@login_required
@require_POST
def training(request, pk):
    """Set training use for one output (the tester's own)."""
    submission = get_object_or_404(
        OutputSubmission.objects.mine(request.user).select_related("programme"),
        pk=pk,
    )
    form = TrainingForm(request.POST)
    if not form.is_valid():
        raise DomainError(f"Choose whether the output may be used for training. {NOTHING_SAVED}")
    with refusal_shown_on(request):
        services.training_choose(
            actor=request.user,
            programme=submission.programme,
            submission=submission,
            allowed=form.cleaned_data["allowed"],
        )
        messages.success(request, gettext("Training use saved; it applies from now on."))
    return redirect("approvals:output", pk=submission.pk)


@login_required
def training_default(request, slug):
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    terms = selectors.accepted_terms(request.user, programme)
    if terms is None:
        raise Http404("You have not accepted terms in this programme.")
    form = TrainingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.training_choose(
                actor=request.user, programme=programme, allowed=form.cleaned_data["allowed"]
            )
            messages.success(request, gettext("Your default is saved; it applies from now on."))
            return redirect("publicity:training_default", slug=slug)
    choices = selectors.training_choices(request.user, programme)
    return render(
        request,
        "publicity/training.html",
        {
            "programme": programme,
            "terms": terms,
            "form": form,
            "default": choices.get(None),
            "outputs": selectors.training_list(programme, request.user),
        },
        status=400 if form.errors else 200,
    )


@login_required
def credit_name(request, slug):
    """The tester's display and credit name in one programme, or their wish to stay unnamed."""
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    if not Participation.objects.mine(request.user).filter(programme=programme).exists():
        raise Http404("You do not take part in this programme.")
    current = selectors.credit_name_of(request.user, programme)
    fields = ("display_name", "credit_name", "unnamed")
    initial = {name: getattr(current, name) for name in fields} if current else {}
    form = CreditNameForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.credit_name_set(actor=request.user, programme=programme, **form.cleaned_data)
            messages.success(request, gettext("Saved; it applies from now on."))
            return redirect("publicity:credit_name", slug=slug)
    return render(
        request,
        "publicity/credit_name.html",
        {
            "programme": programme,
            "terms": selectors.accepted_terms(request.user, programme),
            "current": current,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


# --- Competitions --------------------------------------------------------------------------


def competitions(request, slug):
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    rows = Competition.objects.filter(programme=programme).order_by("-entry_deadline")
    return render(
        request,
        "publicity/competitions.html",
        {
            "programme": programme,
            "competitions": rows,
            "may_create": policy.can(request.user, "manage", programme),
        },
    )


@login_required
def competition_new(request, slug):
    programme = policy.get_or_404(Programme.objects.all(), request.user, "manage", slug=slug)
    form = CompetitionForm(request.POST or None, initial={"currency": programme.currency})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data

        def create() -> str:
            competition = services.competition_create(
                actor=request.user,
                programme=programme,
                **{k: d[k] for k in CompetitionForm.Meta.fields},
            )
            return reverse("publicity:competition", args=[competition.pk])

        if (sent := send_once(request, form, create)) is not None:
            return sent
    return render(
        request,
        "publicity/competition_new.html",
        {"form": form, "programme": programme},
        status=400 if form.errors else 200,
    )


def competition(request, pk):
    """The public page of a competition: prizes, criteria, judges, deadlines; once published,
    the winners and the odds. Testers enter here; judges publish the results here."""
    c = get_object_or_404(
        Competition.objects.filter(
            programme__in=Programme.objects.restrict(request.user)
        ).select_related("programme"),
        pk=pk,
    )
    entries = c.entries.select_related("submission").order_by("pk")
    mine = services.eligible_outputs(request.user, c)
    may_judge = (
        c.status == Competition.Status.OPEN
        and policy.can(request.user, "judge", c)
        and all(policy.can(request.user, "judge", e) for e in entries)
    )
    winners = list(entries.filter(prize_rank__isnull=False).order_by("prize_rank"))
    # Winners by the name each chose to be shown by (never a hash of their output).
    names = selectors.names_in(c.programme, {w.entrant_id for w in winners}, credit=False)
    for winner in winners:
        winner.shown_as = names[winner.entrant_id]
    return render(
        request,
        "publicity/competition.html",
        {
            "c": c,
            "winners": winners,
            "entry_count": entries.count(),
            "enter_form": EnterForm(submissions=mine) if mine.exists() else None,
            "results_form": ResultsForm(entries=entries) if may_judge else None,
            "my_entries": entries.mine(request.user),
            "staff_of_programme": policy.has_role(request.user, c.programme, "staff"),
        },
    )


@login_required
@require_POST
def competition_withdraw(request, pk):
    c = get_object_or_404(Competition, pk=pk)
    form = EnterForm(
        request.POST,
        submissions=OutputSubmission.objects.mine(request.user).filter(
            competition_entries__competition=c
        ),
    )
    if not form.is_valid():
        raise DomainError(f"Choose one of your entries. {NOTHING_SAVED}")
    with refusal_shown_on(request):
        services.competition_entry_withdraw(
            actor=request.user, competition=c, submission=form.cleaned_data["submission"]
        )
        messages.success(request, gettext("Your entry was withdrawn."))
    return redirect("publicity:competition", pk=pk)


@login_required
@require_POST
def competition_enter(request, pk):
    c = get_object_or_404(Competition, pk=pk)
    form = EnterForm(
        request.POST,
        submissions=OutputSubmission.objects.mine(request.user).filter(programme_id=c.programme_id),
    )
    if not form.is_valid():
        raise DomainError(f"Choose one of your outputs. {NOTHING_SAVED}")
    with refusal_shown_on(request):
        services.competition_enter(
            actor=request.user, competition=c, submission=form.cleaned_data["submission"]
        )
        messages.success(request, gettext("Entered."))
    return redirect("publicity:competition", pk=pk)


@login_required
@require_POST
def competition_results(request, pk):
    c = policy.get_or_404(Competition.objects.all(), request.user, "judge", pk=pk)
    form = ResultsForm(request.POST, entries=CompetitionEntry.objects.filter(competition=c))
    if not form.is_valid():
        raise DomainError(f"Tick the winning entries. {NOTHING_SAVED}")
    with refusal_shown_on(request):
        services.competition_publish(
            actor=request.user,
            competition=c,
            winners=[e.pk for e in sorted(form.cleaned_data["winners"], key=lambda e: e.pk)],
        )
        messages.success(request, "Results published.")
    return redirect("publicity:competition", pk=pk)
