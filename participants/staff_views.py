"""Staff pages about the participants of a programme: the list (pause, resume, remove),
invitations, applications and access pauses. Managers only; changes go through
`participants.services`.
"""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import refusal_shown_on, send_once
from core.links import list_query
from core.pagination import keyset_page
from programs import policy
from programs.models import Programme
from programs.policy import staff_required
from programs.selectors import required_terms

from . import services
from .filters import ApplicationFilter, ParticipationFilter
from .forms import DecisionForm, ExtendForm, InviteCsvForm, InviteForm, PauseForm
from .models import AccessPause, Application, Invitation, Participation
from .selectors import active_programme_pause, consent_covers


def _managed(request, slug) -> Programme:
    return policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)


# --- Participants -------------------------------------------------------------------------


@staff_required("manage")
def participants(request, slug):
    programme = _managed(request, slug)
    needed = required_terms(programme)
    qs = (
        Participation.objects.restrict(request.user)
        .filter(programme=programme)
        .select_related("user")
    )
    if needed is not None:
        qs = qs.annotate(consented=consent_covers(needed))
    filterset = ParticipationFilter(request.GET or None, queryset=qs, required_terms=needed)
    page = keyset_page(filterset.qs, request, key="joined_at", descending=True, size=50)
    return render(
        request,
        "participants/staff/participants.html",
        {"programme": programme, "filter": filterset, "page": page, "pause_form": PauseForm()},
    )


@staff_required("manage")
@require_POST
def participant_action(request, slug, pk):
    programme = _managed(request, slug)
    participation = policy.get_or_404(
        Participation.objects, request.user, "manage", programme=programme, pk=pk
    )
    reason = request.POST.get("reason", "")
    action = request.POST.get("action")
    with refusal_shown_on(request):
        if action == "remove":
            services.participation_remove(
                actor=request.user, participation=participation, reason=reason
            )
            messages.success(request, f"{participation.user.email} was removed.")
        elif action == "pause":
            services.pause_start(
                actor=request.user,
                programme=programme,
                participation=participation,
                reason=reason,
            )
            messages.success(request, f"Access of {participation.user.email} is paused.")
        elif action == "resume":
            pause = AccessPause.objects.filter(
                participation=participation, ended_at__isnull=True
            ).first()
            if pause is None:
                raise DomainError("This participant is not paused.")
            services.pause_end(actor=request.user, pause=pause)
            messages.success(request, f"Access of {participation.user.email} resumed.")
        else:
            raise DomainError("Unknown action.")
    return redirect(reverse("participants:staff_participants", args=[slug]) + list_query(request))


# --- Invitations and applications ---------------------------------------------------------


def _invitations_page(request, programme, *, form=None, csv_form=None, csv_errors=()):
    qs = Invitation.objects.restrict(request.user).filter(programme=programme)
    page = keyset_page(qs, request, key="created_at", descending=True, size=50)
    form = form or InviteForm()
    csv_form = csv_form or InviteCsvForm(prefix="csv")
    return render(
        request,
        "participants/staff/invitations.html",
        {
            "programme": programme,
            "form": form,
            "csv_form": csv_form,
            "csv_errors": csv_errors,
            "page": page,
            "now": timezone.now(),
            "max_sends": Invitation.MAX_SENDS,
        },
        status=400 if form.errors or csv_form.errors else 200,
    )


@staff_required("manage")
def invitations(request, slug):
    programme = _managed(request, slug)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        valid, invalid = services.parse_emails(form.cleaned_data["emails"])
        if invalid:
            form.add_error(
                "emails", f"Not email addresses: {', '.join(invalid)}. Nothing was sent."
            )
        else:
            with refusal_shown_on(form):
                created = services.invitations_create(
                    actor=request.user,
                    programme=programme,
                    emails=valid,
                    days_valid=form.cleaned_data["days_valid"],
                )
                skipped = len(valid) - len(created)
                note = f" {skipped} already invited or in the programme." if skipped else ""
                messages.success(request, f"{len(created)} invitation(s) sent.{note}")
                return redirect("participants:staff_invitations", slug=slug)
    return _invitations_page(request, programme, form=form)


def _import_summary(result) -> str:
    parts = [f"{len(result.created)} invitation(s) sent."]
    if result.members:
        parts.append(f"Already in the programme: {', '.join(result.members)}.")
    if result.pending:
        parts.append(f"Already invited: {', '.join(result.pending)}.")
    for line, email, first in result.duplicates:
        parts.append(f"Line {line}: {email} repeats line {first}, invited once.")
    return " ".join(parts)


@staff_required("manage")
@require_POST
def invitations_csv(request, slug):
    """Invite everyone in an uploaded CSV list, or nobody if a line is bad (each bad line is
    named, with its number and what is wrong)."""
    programme = _managed(request, slug)
    form = InviteCsvForm(request.POST, request.FILES, prefix="csv")
    errors: list[str] = []
    if form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > services.MAX_CSV_BYTES:
            form.add_error(
                "file",
                f"The file is {upload.size // 1024} KB; at most "
                f"{services.MAX_CSV_BYTES // 1024} KB. Nothing was sent.",
            )
        else:
            content = upload.read()

            def invite() -> str:
                try:
                    result = services.invitations_import(
                        actor=request.user,
                        programme=programme,
                        content=content,
                        days_valid=form.cleaned_data["days_valid"],
                    )
                except services.InvitationFileError as exc:
                    errors.extend(exc.lines)  # send_once shows the summary on the form
                    raise
                messages.success(request, _import_summary(result))
                return reverse("participants:staff_invitations", args=[slug])

            if (sent := send_once(request, form, invite)) is not None:
                return sent
    return _invitations_page(request, programme, csv_form=form, csv_errors=errors)


def _pending_invitation(request, slug, pk):
    programme = _managed(request, slug)
    return policy.get_or_404(Invitation.objects, request.user, "manage", programme=programme, pk=pk)


@staff_required("manage")
@require_POST
def invitation_resend(request, slug, pk):
    invitation = _pending_invitation(request, slug, pk)
    with refusal_shown_on(request):
        services.invitation_resend(actor=request.user, invitation=invitation)
        messages.success(
            request,
            f"The invitation of {invitation.email} was mailed again with a new link "
            "(the earlier link no longer works).",
        )
    return redirect("participants:staff_invitations", slug=slug)


@staff_required("manage")
@require_POST
def invitation_extend(request, slug, pk):
    invitation = _pending_invitation(request, slug, pk)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the new expiry as a number of days from now, 1 to 90.")
        return redirect("participants:staff_invitations", slug=slug)
    with refusal_shown_on(request):
        extended = services.invitation_extend(
            actor=request.user, invitation=invitation, days=form.cleaned_data["days"]
        )
        messages.success(
            request,
            f"The invitation of {invitation.email} now runs until "
            f"{extended.expires_at:%Y-%m-%d %H:%M} UTC.",
        )
    return redirect("participants:staff_invitations", slug=slug)


@staff_required("manage")
@require_POST
def invitation_revoke(request, slug, pk):
    invitation = _pending_invitation(request, slug, pk)
    with refusal_shown_on(request):
        services.invitation_revoke(actor=request.user, invitation=invitation)
        messages.success(request, f"The invitation of {invitation.email} was revoked.")
    return redirect("participants:staff_invitations", slug=slug)


@staff_required("manage")
def applications(request, slug):
    programme = _managed(request, slug)
    qs = (
        Application.objects.restrict(request.user)
        .filter(programme=programme)
        .select_related("user")
    )
    filterset = ApplicationFilter(request.GET or None, queryset=qs)
    page = keyset_page(filterset.qs, request, key="created_at", descending=True, size=50)
    return render(
        request,
        "participants/staff/applications.html",
        {"programme": programme, "filter": filterset, "page": page, "form": DecisionForm()},
    )


@staff_required("manage")
@require_POST
def application_decide(request, slug, pk):
    programme = _managed(request, slug)
    application = policy.get_or_404(
        Application.objects, request.user, "manage", programme=programme, pk=pk
    )
    form = DecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    with refusal_shown_on(request):
        services.application_decide(
            actor=request.user,
            application=application,
            accept=request.POST.get("decision") == "accept",
            reason=reason,
        )
        messages.success(request, f"The application of {application.user.email} was decided.")
    return redirect(reverse("participants:staff_applications", args=[slug]) + list_query(request))


# --- Pauses-----------------------------------------------------------------------


@staff_required("manage")
def pauses(request, slug):
    programme = _managed(request, slug)
    form = PauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def pause() -> str:
            services.pause_start(
                actor=request.user,
                programme=programme,
                reason=form.cleaned_data["reason"],
                expected_end=form.cleaned_data["expected_end"],
            )
            messages.success(request, "Access to the programme is paused for everyone.")
            return reverse("participants:pauses", args=[slug])

        if (sent := send_once(request, form, pause)) is not None:
            return sent
    history = (
        AccessPause.objects.filter(programme=programme)
        .select_related("participation__user", "created_by")
        .order_by("-starts_at")[:200]
    )
    return render(
        request,
        "participants/staff/pauses.html",
        {
            "programme": programme,
            "form": form,
            "history": history,
            "active": active_programme_pause(programme),
        },
        status=400 if form.errors else 200,
    )


@staff_required("manage")
@require_POST
def pause_end(request, slug, pk):
    programme = _managed(request, slug)
    pause = policy.get_or_404(
        AccessPause.objects, request.user, "manage", programme=programme, pk=pk
    )
    with refusal_shown_on(request):
        services.pause_end(actor=request.user, pause=pause)
        messages.success(request, "The pause has ended.")
    return redirect("participants:pauses", slug=slug)
