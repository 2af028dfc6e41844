"""The staff area where managers run their programmes.

Every page here is for the managers of one programme: `_managed` fetches the
programme through `Programme.objects.managed_by(user)` (404 for anyone else),
and every change goes through a service.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.pagination import keyset_page
from core.permissions import MANAGER, staff_required
from participants import services as participant_services
from participants.models import Application, Consent, Invitation, Participation

from . import services
from .filters import ParticipationFilter
from .forms import (
    DecisionForm,
    InviteForm,
    PauseForm,
    ProgrammeForm,
    ProgrammeSettingsForm,
    RoleForm,
    StatusForm,
    TermsForm,
)
from .models import AccessPause, Programme, ProgrammeRole, TermsVersion
from .selectors import active_programme_pause, current_terms, required_terms, upcoming_terms


def _managed(request, slug) -> Programme:
    return get_object_or_404(Programme.objects.managed_by(request.user), slug=slug)


def _apply_domain_error(form, exc: DomainError):
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@staff_required(MANAGER)
def home(request):
    programmes = Programme.objects.managed_by(request.user).order_by("name")
    return render(request, "programs/staff/home.html", {"programmes": programmes})


@staff_required(MANAGER)
def programme_new(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            data = dict(form.cleaned_data)
            programme = services.programme_create(
                actor=request.user,
                name=data.pop("name"),
                slug=data.pop("slug"),
                product=data.pop("product"),
                **data,
            )
        except DomainError as exc:
            _apply_domain_error(form, exc)
        else:
            messages.success(request, "Programme created as a draft. Write its terms next.")
            return redirect("staff:programme", slug=programme.slug)
    return render(request, "programs/staff/programme_form.html", {"form": form})


@staff_required(MANAGER)
def programme(request, slug):
    programme = _managed(request, slug)
    context = {
        "programme": programme,
        "terms": current_terms(programme),
        "upcoming": upcoming_terms(programme),
        "draft": TermsVersion.objects.filter(
            programme=programme, status=TermsVersion.Status.DRAFT
        ).first(),
        "pause": active_programme_pause(programme),
        "status_form": StatusForm(initial={"status": programme.status}),
        "settings_form": ProgrammeSettingsForm(instance=programme),
        "pending_applications": Application.objects.filter(
            programme=programme, status=Application.Status.PENDING
        ).exists(),
    }
    return render(request, "programs/staff/programme.html", context)


@staff_required(MANAGER)
@require_POST
def programme_settings(request, slug):
    programme = _managed(request, slug)
    form = ProgrammeSettingsForm(request.POST, instance=Programme.objects.get(pk=programme.pk))
    if form.is_valid():
        services.programme_update(actor=request.user, programme=programme, **form.cleaned_data)
        messages.success(request, "Settings saved.")
        return redirect("staff:programme", slug=slug)
    return render(
        request,
        "programs/staff/programme.html",
        {"programme": programme, "settings_form": form, "status_form": StatusForm()},
        status=400,
    )


@staff_required(MANAGER)
@require_POST
def programme_status(request, slug):
    programme = _managed(request, slug)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a valid status.")
    else:
        try:
            services.programme_set_status(
                actor=request.user, programme=programme, status=form.cleaned_data["status"]
            )
            messages.success(request, "Status changed.")
        except DomainError as exc:
            messages.error(request, exc.message)
    return redirect("staff:programme", slug=slug)


# --- Terms ------------------------------------------------------------------------------


@staff_required(MANAGER)
def terms_list(request, slug):
    programme = _managed(request, slug)
    versions = TermsVersion.objects.filter(programme=programme).order_by("-number")
    return render(
        request, "programs/staff/terms_list.html", {"programme": programme, "versions": versions}
    )


@staff_required(MANAGER)
@require_POST
def terms_new(request, slug):
    programme = _managed(request, slug)
    try:
        draft = services.terms_draft_create(actor=request.user, programme=programme)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("staff:terms", slug=slug)
    return redirect("staff:terms_edit", slug=slug, number=draft.number)


@staff_required(MANAGER)
def terms_edit(request, slug, number):
    """Edit a draft, preview its key-facts box, publish it. Published versions are read-only."""
    programme = _managed(request, slug)
    terms = get_object_or_404(TermsVersion, programme=programme, number=number)
    if terms.is_published:
        messages.info(request, f"Version {number} is published and can never change.")
        return redirect("programs:terms", slug=slug, number=number)
    form = TermsForm(request.POST or None, instance=terms)
    preview = terms
    if request.method == "POST" and form.is_valid():
        values = form.terms_values()
        if "preview" in request.POST:
            preview = TermsVersion(programme=programme, number=number, **values)
        else:
            try:
                saved = services.terms_draft_update(actor=request.user, terms=terms, **values)
                if "publish" in request.POST:
                    services.terms_publish(actor=request.user, terms=saved)
                    messages.success(request, f"Version {number} is published.")
                    return redirect("staff:terms", slug=slug)
                messages.success(request, "Draft saved.")
                return redirect("staff:terms_edit", slug=slug, number=number)
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    target = field if field in form.fields else None
                    if field == "bounty_table":
                        target = "bounty_low"
                    for error in errors:
                        form.add_error(target, error)
            except DomainError as exc:
                _apply_domain_error(form, exc)
            preview = TermsVersion(programme=programme, number=number, **values)
    return render(
        request,
        "programs/staff/terms_edit.html",
        {"programme": programme, "terms": preview, "form": form, "number": number},
        status=400 if form.errors else 200,
    )


# --- Participants -------------------------------------------------------------------------


@staff_required(MANAGER)
def participants(request, slug):
    programme = _managed(request, slug)
    needed = required_terms(programme)
    qs = (
        Participation.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("user")
    )
    if needed is not None:
        qs = qs.annotate(
            consented=Exists(
                Consent.objects.filter(
                    participation=OuterRef("pk"),
                    terms_version__programme=programme,
                    terms_version__number__gte=needed.number,
                )
            )
        )
    filterset = ParticipationFilter(request.GET or None, queryset=qs, required_terms=needed)
    page = keyset_page(filterset.qs, request, key="joined_at", descending=True, size=50)
    return render(
        request,
        "programs/staff/participants.html",
        {"programme": programme, "filter": filterset, "page": page, "pause_form": PauseForm()},
    )


@staff_required(MANAGER)
@require_POST
def participant_action(request, slug, pk):
    programme = _managed(request, slug)
    participation = get_object_or_404(
        Participation.objects.visible_to(request.user), programme=programme, pk=pk
    )
    reason = request.POST.get("reason", "")
    action = request.POST.get("action")
    try:
        if action == "remove":
            participant_services.participation_remove(
                actor=request.user, participation=participation, reason=reason
            )
            messages.success(request, f"{participation.user.email} was removed.")
        elif action == "pause":
            participant_services.pause_start(
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
            participant_services.pause_end(actor=request.user, pause=pause)
            messages.success(request, f"Access of {participation.user.email} resumed.")
        else:
            raise DomainError("Unknown action.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:participants", slug=slug)


# --- Invitations and applications ---------------------------------------------------------


@staff_required(MANAGER)
def invitations(request, slug):
    programme = _managed(request, slug)
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        valid, invalid = participant_services.parse_emails(form.cleaned_data["emails"])
        if invalid:
            form.add_error(
                "emails", f"Not email addresses: {', '.join(invalid)}. Nothing was sent."
            )
        else:
            try:
                created = participant_services.invitations_create(
                    actor=request.user,
                    programme=programme,
                    emails=valid,
                    days_valid=form.cleaned_data["days_valid"],
                )
            except DomainError as exc:
                _apply_domain_error(form, exc)
            else:
                skipped = len(valid) - len(created)
                note = f" {skipped} already invited or in the programme." if skipped else ""
                messages.success(request, f"{len(created)} invitation(s) sent.{note}")
                return redirect("staff:invitations", slug=slug)
    qs = Invitation.objects.visible_to(request.user).filter(programme=programme)
    page = keyset_page(qs, request, key="created_at", descending=True, size=50)
    return render(
        request,
        "programs/staff/invitations.html",
        {"programme": programme, "form": form, "page": page, "now": timezone.now()},
        status=400 if form.errors else 200,
    )


@staff_required(MANAGER)
@require_POST
def invitation_revoke(request, slug, pk):
    programme = _managed(request, slug)
    invitation = get_object_or_404(
        Invitation.objects.visible_to(request.user), programme=programme, pk=pk
    )
    try:
        participant_services.invitation_revoke(actor=request.user, invitation=invitation)
        messages.success(request, f"The invitation of {invitation.email} was revoked.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:invitations", slug=slug)


@staff_required(MANAGER)
def applications(request, slug):
    programme = _managed(request, slug)
    qs = (
        Application.objects.visible_to(request.user)
        .filter(programme=programme)
        .select_related("user")
    )
    page = keyset_page(qs, request, key="created_at", descending=True, size=50)
    return render(
        request,
        "programs/staff/applications.html",
        {"programme": programme, "page": page, "form": DecisionForm()},
    )


@staff_required(MANAGER)
@require_POST
def application_decide(request, slug, pk):
    programme = _managed(request, slug)
    application = get_object_or_404(
        Application.objects.visible_to(request.user), programme=programme, pk=pk
    )
    form = DecisionForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        participant_services.application_decide(
            actor=request.user,
            application=application,
            accept=request.POST.get("decision") == "accept",
            reason=reason,
        )
        messages.success(request, f"The application of {application.user.email} was decided.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:applications", slug=slug)


# --- Pauses and roles -----------------------------------------------------------------------


@staff_required(MANAGER)
def pauses(request, slug):
    programme = _managed(request, slug)
    form = PauseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            participant_services.pause_start(
                actor=request.user,
                programme=programme,
                reason=form.cleaned_data["reason"],
                expected_end=form.cleaned_data["expected_end"],
            )
            messages.success(request, "Access to the programme is paused for everyone.")
            return redirect("staff:pauses", slug=slug)
        except DomainError as exc:
            _apply_domain_error(form, exc)
    history = (
        AccessPause.objects.filter(programme=programme)
        .select_related("participation__user", "created_by")
        .order_by("-starts_at")[:200]
    )
    return render(
        request,
        "programs/staff/pauses.html",
        {
            "programme": programme,
            "form": form,
            "history": history,
            "active": active_programme_pause(programme),
        },
        status=400 if form.errors else 200,
    )


@staff_required(MANAGER)
@require_POST
def pause_end(request, slug, pk):
    programme = _managed(request, slug)
    pause = get_object_or_404(AccessPause, programme=programme, pk=pk)
    try:
        participant_services.pause_end(actor=request.user, pause=pause)
        messages.success(request, "The pause has ended.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:pauses", slug=slug)


@staff_required(MANAGER)
def roles(request, slug):
    programme = _managed(request, slug)
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if user is None:
            form.add_error("email", "No account has this email; ask them to sign up first.")
        else:
            services.role_grant(
                actor=request.user, programme=programme, user=user, role=form.cleaned_data["role"]
            )
            messages.success(request, f"{user.email} is now {form.cleaned_data['role']}.")
            return redirect("staff:roles", slug=slug)
    staff = ProgrammeRole.objects.filter(programme=programme).select_related("user")
    return render(
        request,
        "programs/staff/roles.html",
        {"programme": programme, "form": form, "staff": staff},
        status=400 if form.errors else 200,
    )


@staff_required(MANAGER)
@require_POST
def role_revoke(request, slug, pk):
    programme = _managed(request, slug)
    role = get_object_or_404(ProgrammeRole, programme=programme, pk=pk)
    try:
        services.role_revoke(actor=request.user, role=role)
        messages.success(request, "Role removed.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("staff:roles", slug=slug)
