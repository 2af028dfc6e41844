"""Pages of output approval: the staff review queue, the participant's outputs, the proof page.

Every object is fetched through the policy (`OutputSubmission.objects.restrict(user)`,
or `restrict(user, "review")` for what a reviewer may act on), so other people's
items are a 404. Every change is a call to `approvals.services`.
"""

from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_lazy, ngettext, pgettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core import search
from core.forms import refusal_shown_on, send_once
from core.links import pk_link
from core.pagination import keyset_page
from participants.selectors import working_programmes
from programs import policy
from programs.models import Programme
from programs.policy import staff_required

from . import selectors, services
from .filters import MySubmissionFilter, SubmissionFilter
from .forms import AppealForm, DecisionForm, ReasonCodeForm, SubmissionForm
from .models import OutputSubmission, ReasonCode
from .templatetags.approvals_tags import review_clock, waited

QUEUE_SORTS = {
    "due": ("clock_at", False, gettext_lazy("Due soonest first")),
    "newest": ("submitted_at", True, gettext_lazy("Newest first")),
    "oldest": ("submitted_at", False, gettext_lazy("Waiting longest first")),
}


# --- Staff: the review queue -----------------------------------------------------------------


def _queue_filter(request, now):
    """The queue as the reviewer filtered and sorted it (its query string): the queue page
    and "open the next item" read it the same way. Returns (filterset, sort)."""
    programmes = selectors.reviewable_programmes(request.user).only("name").order_by("name")
    filterset = SubmissionFilter(
        request.GET,
        queryset=selectors.review_queue(request.user),
        programmes=programmes,
        now=now,
    )
    sort = request.GET.get("sort") if request.GET.get("sort") in QUEUE_SORTS else "due"
    return filterset, sort


def _queue_query(request) -> str:
    """The queue's filters and sort as a query string (`?…`, or "" for none), without the
    page cursor, carried from the queue to an item and on to the next one."""
    params = request.GET.copy()
    params.pop("after", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else ""


@staff_required("review")
def queue(request):
    """Pending, in-review and appealed items of my programmes, soonest due first."""
    now = timezone.now()
    filterset, sort = _queue_filter(request, now)
    key, descending, _label = QUEUE_SORTS[sort]
    page = keyset_page(
        filterset.qs, request, key=key, descending=descending, size=50, row=selectors.QueueRow
    )
    return render(
        request,
        "approvals/queue.html",
        {
            "filter": filterset,
            "matches": search.result_count(filterset),
            "page": page,
            "rows": _queue_rows(page.items, now, request.user.pk, _queue_query(request)),
            "sort": sort,
            "sorts": [(k, v[2]) for k, v in QUEUE_SORTS.items()],
            "active_filters": sum(
                1 for k, v in request.GET.items() if v and k in filterset.form.fields
            ),
        },
    )


def _next_in_queue(request, after: OutputSubmission) -> OutputSubmission | None:
    """The first item of the reviewer's queue (same filters, same order) that they may take
    now: not the one just decided, not held by another reviewer's claim, and not an appeal
    of their own decision."""
    now = timezone.now()
    filterset, sort = _queue_filter(request, now)
    key, descending, _label = QUEUE_SORTS[sort]
    order = (f"-{key}", "-pk") if descending else (key, "pk")
    candidates = filterset.qs.select_related("programme").exclude(pk=after.pk).order_by(*order)
    for start in range(0, 500, 25):
        chunk = list(candidates[start : start + 25])
        for item in chunk:
            held = item.claim_active(now) and item.claimed_by_id != request.user.pk
            if not held and policy.review_refusal(request.user, item) is None:
                return item
        if len(chunk) < 25:
            break
    return None


# One row of the queue. Built here rather than in the template: Django's template engine
# resolves and escapes each of a row's 15 values through several layers, a large share of
# the page's budget (the queue's row in the benchmark). Here each value is escaped once with
# `html.escape`, the function behind django.utils.html.escape (without its lazy-string
# wrapper, which cost as much again); links are our own paths and integers.
_ROW = (
    "<tr>"
    '<td data-label="{select}"><input type="checkbox" name="ids" value="{{pk}}" form="bulk" '
    'aria-label="{select_title}"></td>'
    '<td data-label="{clock}">{{clock}}{{escalated}}<br>'
    '<span class="muted">{waiting}</span></td>'
    '<td data-label="{output}"><a href="{{detail}}">{{title}}</a>{{version}}<br>'
    '<span class="muted">{{use}}{{venue}}</span></td>'
    '<td data-label="{programme}">{{programme}}</td>'
    '<td data-label="{participant}">{{participant}}</td>'
    '<td data-label="{status}">{{status}}{{claim}}</td>'
    '<td data-label="{action}">{{action}}</td>'
    "</tr>"
)


def _row_parts() -> dict[str, str]:
    """The row's words in the reader's language, escaped once per page (not once per row);
    the braces of a translation are doubled so the row's own `format` keeps them."""

    def t(text):
        return escape(str(text)).replace("{", "{{").replace("}", "}}")

    return {
        "row": _ROW.format(
            select=t(_("Select")),
            select_title=t(_("Select “%(title)s”") % {"title": "\x00"}).replace("\x00", "{title}"),
            clock=t(_("Review clock")),
            waiting=t(_("waiting %(time)s") % {"time": "\x00"}).replace("\x00", "{waited}"),
            output=t(_("Output")),
            programme=t(_("Programme")),
            participant=t(_("Participant")),
            status=t(_("Status")),
            action=t(_("Action")),
        ),
        "escalated": f'<br><span class="badge bad">{escape(_("escalated"))}</span>',
        "decide": '<a class="button" href="{}">' + t(pgettext("verb", "Decide")) + "</a>",
        "view": '<a class="button secondary" href="{}">' + t(pgettext("verb", "View")) + "</a>",
        "claim": '<button type="submit" form="claim" formaction="{}">'
        + t(pgettext("verb", "Claim"))
        + "</button>",
        "claimed": '<br><span class="muted">'
        + t(_("claimed by %(person)s until %(time)s") % {"person": "\x00", "time": "\x01"})
        .replace("\x00", "{person}")
        .replace("\x01", "{time}")
        + "</span>",
        "you": escape(_("you")),
    }


def _choices(choices) -> dict[str, str]:
    return {k: escape(str(v)) for k, v in choices}


def _queue_rows(items, now, me, query="") -> list[str]:
    """The HTML of each row of the queue (see _ROW); `query` (the queue's filters and sort,
    already URL-encoded) goes with every link, so "open the next item" follows the same queue."""
    detail, claim = pk_link("approvals:detail"), pk_link("approvals:claim")
    query = escape(query)
    words = _row_parts()
    row = words["row"]
    uses = _choices(OutputSubmission.IntendedUse.choices)
    statuses = _choices(OutputSubmission.Status.choices)
    appeal = escape(pgettext("output status", "Appeal"))
    statuses[OutputSubmission.Status.APPEALED] = f'<span class="badge warn">{appeal}</span>'
    rows = []
    for s in items:
        claimed = s.claim_active(now)
        mine = claimed and s.claimed_by_id == me
        url = detail(s.pk) + query
        if mine:
            action = words["decide"].format(url)
        elif claimed:
            action = words["view"].format(url)
        else:
            action = words["claim"].format(claim(s.pk) + query)
        venue = s.intended_venue
        rows.append(
            mark_safe(
                row.format(
                    pk=int(s.pk),
                    title=escape(s.title),
                    clock=review_clock(s, now),  # already safe HTML
                    escalated=words["escalated"] if s.escalated_at else "",
                    waited=escape(waited(s, now)),
                    detail=url,
                    version=f" v{int(s.version)}" if s.version > 1 else "",
                    use=uses.get(s.intended_use) or escape(s.intended_use),
                    venue=f" · {escape(Truncator(venue).chars(40))}" if venue else "",
                    programme=escape(s.programme_name),
                    participant=escape(s.participant_email),
                    status=statuses.get(s.status) or escape(s.status),
                    claim=words["claimed"].format(
                        person=words["you"] if mine else escape(s.claimed_by_email),
                        time=timezone.localtime(s.claim_expires_at).strftime("%H:%M"),
                    )
                    if claimed
                    else "",
                    action=action,
                )
            )
        )
    return rows


def _reviewable(request, pk) -> OutputSubmission:
    return policy.get_or_404(
        OutputSubmission.objects.select_related(
            "programme", "participant", "terms_version", "claimed_by"
        ),
        request.user,
        "review",
        pk=pk,
    )


def _output_parts(request, submission, parts, *, public=False) -> str:
    """What apps above add to an output's page (see `approvals.urls`), as HTML."""
    return mark_safe("".join(part(request, submission, public=public) for part in parts))


@staff_required("review")
def detail(request, pk, parts=()):
    """The item, and its decision form, which posts back to this address: a refused
    decision is shown here, and reloading it shows the item again."""
    if request.method == "POST":
        return decide(request, pk, parts)
    submission = _reviewable(request, pk)
    return _render_detail(request, submission, DecisionForm(submission=submission), parts=parts)


def _render_detail(request, submission, form, status=200, parts=()):
    # A missing reverse one-to-one raises an AttributeError subclass: None then.
    appeal = getattr(submission, "appeal", None)
    return render(
        request,
        "approvals/detail.html",
        {
            "queue_query": _queue_query(request),
            "submission": submission,
            "form": form,
            "decisions": selectors.decisions_of(submission),
            "versions": selectors.history(submission),
            "appeal": appeal,
            "now": timezone.now(),
            "has_reasons": form.fields["reason"].queryset.exists(),
            "refusal": policy.review_refusal(request.user, submission),
            "claim_active": submission.claim_active(timezone.now()),
            "output_parts": _output_parts(request, submission, parts),
        },
        status=status,
    )


@staff_required("review")
@require_POST
def claim(request, pk):
    submission = _reviewable(request, pk)
    with refusal_shown_on(request):
        services.submission_claim(actor=request.user, submission=submission)
        return redirect(reverse("approvals:detail", args=[pk]) + _queue_query(request))
    return redirect(reverse("approvals:queue") + _queue_query(request))


@staff_required("review")
@require_POST
def release(request, pk):
    submission = _reviewable(request, pk)
    with refusal_shown_on(request):
        services.submission_release(actor=request.user, submission=submission)
        messages.success(
            request, _("“%(title)s” is back in the queue.") % {"title": submission.title}
        )
    return redirect(reverse("approvals:queue") + _queue_query(request))


@staff_required("review")
@require_POST
def decide(request, pk, parts=()):
    submission = _reviewable(request, pk)
    form = DecisionForm(request.POST, submission=submission)
    if form.is_valid():
        with refusal_shown_on(form):
            decision = services.submission_decide(
                submission=submission,
                actor=request.user,
                outcome=form.cleaned_data["outcome"],
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
            messages.success(
                request,
                _("“%(title)s”: %(outcome)s.")
                % {"title": submission.title, "outcome": decision.get_outcome_display().lower()},
            )
            query = _queue_query(request)
            if "next" in request.POST:
                following = _next_in_queue(request, submission)
                if following is not None:
                    return redirect(reverse("approvals:detail", args=[following.pk]) + query)
                messages.info(request, _("Nothing else in your queue is waiting for you."))
            return redirect(reverse("approvals:queue") + query)
    submission.refresh_from_db()
    return _render_detail(request, submission, form, status=400, parts=parts)


@staff_required("review")
@require_POST
def bulk_approve(request):
    ids = [i for i in request.POST.getlist("ids") if i.isdigit()][:200]
    if not ids:
        messages.error(request, _("Tick the items to approve first."))
        return redirect(reverse("approvals:queue") + _queue_query(request))
    items = list(
        OutputSubmission.objects.restrict(request.user, "review").filter(pk__in=ids).order_by("pk")
    )
    approved, problems = services.submissions_bulk_approve(actor=request.user, submissions=items)
    if approved:
        messages.success(
            request,
            ngettext("%(count)s item approved.", "%(count)s items approved.", approved)
            % {"count": approved},
        )
    for problem in problems:
        messages.error(request, problem)
    return redirect(reverse("approvals:queue") + _queue_query(request))


# --- Managers: reason codes ------------------------------------------------------------------


@staff_required("manage")
def reasons(request):
    """The reasons reviewers may give, per programme I manage."""
    programmes = Programme.objects.restrict(request.user, "manage").order_by("name")
    form = ReasonCodeForm(request.POST or None, programmes=programmes)
    if request.method == "POST":
        if "defaults" in request.POST:
            programme = get_object_or_404(programmes, pk=request.POST.get("programme"))
            added = services.reason_codes_add_defaults(actor=request.user, programme=programme)
            messages.success(
                request,
                ngettext(
                    "%(count)s standard reason added to %(programme)s.",
                    "%(count)s standard reasons added to %(programme)s.",
                    len(added),
                )
                % {"count": len(added), "programme": programme},
            )
            return redirect("approvals:reasons")
        if form.is_valid():
            with refusal_shown_on(form):
                services.reason_code_create(
                    actor=request.user,
                    programme=form.cleaned_data["programme"],
                    label=form.cleaned_data["label"],
                    code=form.cleaned_data["code"],
                )
                messages.success(request, _("Reason added."))
                return redirect("approvals:reasons")
    codes = (
        ReasonCode.objects.restrict(request.user)
        .filter(programme__in=programmes)
        .select_related("programme")
        .order_by("programme__name", "-active", "label")
    )
    return render(
        request,
        "approvals/reasons.html",
        {"form": form, "codes": codes, "programmes": programmes},
        status=400 if form.errors else 200,
    )


@staff_required("manage")
@require_POST
def reason_toggle(request, pk):
    reason = get_object_or_404(
        ReasonCode.objects.restrict(request.user).filter(
            programme__in=Programme.objects.restrict(request.user, "manage")
        ),
        pk=pk,
    )
    with refusal_shown_on(request):
        services.reason_code_set_active(actor=request.user, reason=reason, active=not reason.active)
    return redirect("approvals:reasons")


# --- Public: proof of permission -------------------------------------------------------------


def verify(request, token, parts=()):
    """Anyone holding the link can check that an output was approved, and under which terms."""
    submission = selectors.approved_by_token(token)
    if submission is None:
        raise Http404("No approved output has this verification link.")
    decision = (
        submission.decisions.filter(outcome__in=["approved", "deemed_approved", "not_required"])
        .order_by("-decided_at")
        .first()
    )
    return render(
        request,
        "approvals/verify.html",
        {
            "submission": submission,
            "decision": decision,
            "output_parts": _output_parts(request, submission, parts, public=True),
        },
    )


# --- Participants: my outputs (mounted at /outputs/ by portal_urls) ------------------------


def _mine(request, pk) -> OutputSubmission:
    return get_object_or_404(
        OutputSubmission.objects.mine(request.user).select_related("programme", "terms_version"),
        pk=pk,
    )


@login_required
def mine(request):
    filterset = MySubmissionFilter(request.GET, queryset=selectors.my_submissions(request.user))
    page = keyset_page(filterset.qs, request, key="submitted_at", descending=True, size=50)
    return render(
        request,
        "approvals/mine.html",
        {
            "page": page,
            "now": timezone.now(),
            "filter": filterset,
            "matches": search.result_count(filterset),
        },
    )


@login_required
def submit(request):
    programmes = working_programmes(request.user)
    initial = {}
    if request.GET.get("programme"):
        initial["programme"] = programmes.filter(slug=request.GET["programme"]).first()
    form = SubmissionForm(
        request.POST or None, request.FILES or None, programmes=programmes, initial=initial
    )
    if request.method == "POST" and form.is_valid():

        def submit_output() -> str:
            submission = services.submission_create(
                actor=request.user,
                programme=form.cleaned_data["programme"],
                **form.service_kwargs(),
            )
            messages.success(request, _submitted_message(submission))
            return reverse("approvals:output", args=[submission.pk])

        if (sent := send_once(request, form, submit_output)) is not None:
            return sent
    chosen = initial.get("programme")
    return render(
        request,
        "approvals/submit.html",
        {
            "form": form,
            "programmes": programmes,
            "deadlines": selectors.deadline_before_submitting([chosen] if chosen else programmes),
        },
        status=400 if form.errors else 200,
    )


def _submitted_message(submission) -> str:
    if submission.is_approved:
        return gettext(
            "Submitted. The terms need no approval for this use, so you may share it now."
        )
    if submission.due_at:
        return gettext("Submitted. The terms promise a decision by %(when)s UTC.") % {
            "when": f"{submission.due_at:%d %b %Y %H:%M}"
        }
    return gettext("Submitted. These terms set no deadline for the review.")


@login_required
def my_detail(request, pk, parts=()):
    submission = _mine(request, pk)
    return render(
        request,
        "approvals/my_detail.html",
        {
            "submission": submission,
            "decisions": selectors.decisions_of(submission),
            "versions": selectors.history(submission),
            "appeal": getattr(submission, "appeal", None),
            "appeal_form": AppealForm(),
            "now": timezone.now(),
            "output_parts": _output_parts(request, submission, parts),
        },
    )


@login_required
@require_POST
def withdraw(request, pk):
    submission = _mine(request, pk)
    with refusal_shown_on(request):
        services.submission_withdraw(actor=request.user, submission=submission)
        messages.success(
            request, gettext("“%(title)s” was withdrawn.") % {"title": submission.title}
        )
    return redirect("approvals:output", pk=pk)


@login_required
def resubmit(request, pk):
    previous = _mine(request, pk)
    initial = {
        "title": previous.title,
        "prompt": previous.prompt,
        "url": previous.url,
        "intended_use": previous.intended_use,
        "intended_venue": previous.intended_venue,
        "intended_date": previous.intended_date,
    }
    form = SubmissionForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def resubmit_output() -> str:
            submission = services.submission_resubmit(
                actor=request.user, previous=previous, **form.service_kwargs()
            )
            messages.success(request, _submitted_message(submission))
            return reverse("approvals:output", args=[submission.pk])

        if (sent := send_once(request, form, resubmit_output)) is not None:
            return sent
    return render(
        request,
        "approvals/submit.html",
        {"form": form, "previous": previous},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def appeal(request, pk):
    submission = _mine(request, pk)
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why the decision should change."))
        return redirect("approvals:output", pk=pk)
    with refusal_shown_on(request):
        services.submission_appeal(
            actor=request.user, submission=submission, note=form.cleaned_data["note"]
        )
        messages.success(
            request, gettext("Your appeal is filed. A different reviewer will decide it.")
        )
    return redirect("approvals:output", pk=pk)
