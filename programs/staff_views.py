"""The staff area where managers run their programmes.

Every page here is for the managers of one programme: `_managed` fetches the
programme through `Programme.objects.restrict(user, "manage")` (404 for anyone else),
and every change goes through a service.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import refusal_shown_on
from programs import policy
from programs.policy import staff_required

from . import services
from .forms import (
    ProgrammeForm,
    ProgrammeSettingsForm,
    RoleForm,
    StatusForm,
    TermsForm,
)
from .models import Programme, ProgrammeRole, TermsVersion
from .selectors import current_terms, open_threshold_change, upcoming_terms


def _managed(request, slug) -> Programme:
    return policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)


def _active_programme_pause(programme: Programme):
    """As `participants.selectors.active_programme_pause`, through `programme.pauses`."""
    now = timezone.now()
    return (
        programme.pauses.filter(participation__isnull=True, starts_at__lte=now)
        .exclude(ended_at__lte=now)
        .order_by("-starts_at")
        .first()
    )


@staff_required("manage")
def programme_new(request):
    form = ProgrammeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            data = dict(form.cleaned_data)
            programme = services.programme_create(
                actor=request.user,
                name=data.pop("name"),
                slug=data.pop("slug"),
                product=data.pop("product"),
                **data,
            )
            messages.success(request, _("Programme created as a draft. Write its terms next."))
            return redirect("programs:staff_programme", slug=programme.slug)
    return render(request, "programs/staff/programme_form.html", {"form": form})


@staff_required("manage")
def programme(request, slug):
    programme = _managed(request, slug)
    context = {
        "programme": programme,
        "terms": current_terms(programme),
        "upcoming": upcoming_terms(programme),
        "draft": TermsVersion.objects.filter(
            programme=programme, status=TermsVersion.Status.DRAFT
        ).first(),
        # Read through the reverse relations: programs imports no participants code.
        "pause": _active_programme_pause(programme),
        "status_form": StatusForm(initial={"status": programme.status}),
        "settings_form": ProgrammeSettingsForm(instance=programme),
        "threshold_change": open_threshold_change(programme),
        "pending_applications": programme.applications.filter(status="pending").exists(),
    }
    return render(request, "programs/staff/programme.html", context)


@staff_required("manage")
@require_POST
def programme_settings(request, slug):
    programme = _managed(request, slug)
    form = ProgrammeSettingsForm(request.POST, instance=Programme.objects.get(pk=programme.pk))
    if form.is_valid():
        with refusal_shown_on(form):
            saved = services.programme_update(
                actor=request.user, programme=programme, **form.cleaned_data
            )
            messages.success(request, _("Settings saved."))
            wanted = form.cleaned_data.get("approval_threshold")
            if "approval_threshold" in form.cleaned_data and saved.approval_threshold != wanted:
                messages.info(
                    request,
                    _(
                        "The two-person threshold change is proposed; it takes effect once "
                        "another manager of the programme confirms it."
                    ),
                )
            return redirect("programs:staff_programme", slug=slug)
    return render(
        request,
        "programs/staff/programme.html",
        {
            "programme": programme,
            "settings_form": form,
            "status_form": StatusForm(),
            "threshold_change": open_threshold_change(programme),
        },
        status=400,
    )


@staff_required("manage")
@require_POST
def threshold_confirm(request, slug, pk):
    """A second manager confirms the proposed change of the two-person threshold."""
    programme = _managed(request, slug)
    change = get_object_or_404(programme.threshold_changes, pk=pk)
    with refusal_shown_on(request):
        services.threshold_confirm(actor=request.user, change=change)
        messages.success(request, _("The two-person threshold change is confirmed and in force."))
    return redirect("programs:staff_programme", slug=slug)


@staff_required("manage")
@require_POST
def programme_status(request, slug):
    programme = _managed(request, slug)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
    else:
        with refusal_shown_on(request):
            services.programme_set_status(
                actor=request.user, programme=programme, status=form.cleaned_data["status"]
            )
            messages.success(request, _("Status changed."))
    return redirect("programs:staff_programme", slug=slug)


# --- Terms ------------------------------------------------------------------------------


@staff_required("manage")
def terms_list(request, slug):
    programme = _managed(request, slug)
    versions = TermsVersion.objects.filter(programme=programme).order_by("-number")
    return render(
        request, "programs/staff/terms_list.html", {"programme": programme, "versions": versions}
    )


@staff_required("manage")
@require_POST
def terms_new(request, slug):
    programme = _managed(request, slug)
    with refusal_shown_on(request):
        draft = services.terms_draft_create(actor=request.user, programme=programme)
        return redirect("programs:staff_terms_edit", slug=slug, number=draft.number)
    return redirect("programs:staff_terms", slug=slug)


@staff_required("manage")
def terms_edit(request, slug, number):
    """Edit a draft, preview its key-facts box, publish it. Published versions are read-only.

    The preview runs the checks publishing runs (`services.check_terms`), so a preview of
    terms that cannot be published lists the reasons, each linked to its field."""
    programme = _managed(request, slug)
    terms = get_object_or_404(TermsVersion, programme=programme, number=number)
    if terms.is_published:
        messages.info(
            request,
            _("Version %(number)s is published and can never change.") % {"number": number},
        )
        return redirect("programs:terms", slug=slug, number=number)
    form = TermsForm(request.POST or None, instance=terms)
    preview = terms
    if request.method == "POST" and form.is_valid():
        values = form.terms_values()
        # The terms' own checks name their fields (a ValidationError); a refusal of the
        # change itself is a DomainError. Both go on the form.
        try:
            agree = form.cleaned_data["passages_agree"]
            with refusal_shown_on(form):
                if "preview" in request.POST:
                    preview = TermsVersion(programme=programme, number=number, **values)
                    services.check_publishable(preview, agree=agree)
                else:
                    saved = services.terms_draft_update(actor=request.user, terms=terms, **values)
                    if "publish" in request.POST:
                        services.terms_publish(
                            actor=request.user, terms=saved, passages_agree=agree
                        )
                        messages.success(
                            request, _("Version %(number)s is published.") % {"number": number}
                        )
                        return redirect("programs:staff_terms", slug=slug)
                    messages.success(request, _("Draft saved."))
                    return redirect("programs:staff_terms_edit", slug=slug, number=number)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                target = field if field in form.fields else None
                if field == "bounty_table":
                    target = "bounty_low"
                for error in errors:
                    form.add_error(target, error)
        if "preview" not in request.POST:
            preview = TermsVersion(programme=programme, number=number, **values)
    in_force = current_terms(programme)
    return render(
        request,
        "programs/staff/terms_edit.html",
        {
            "programme": programme,
            "terms": preview,
            "form": form,
            "number": number,
            **services.terms_review(in_force, preview),  # diff, passages, editorial request
            "in_force": in_force,
            "previewed": request.method == "POST" and "preview" in request.POST,
        },
        status=400 if form.errors else 200,
    )


# --- Roles ---------------------------------------------------------------------------------


@staff_required("manage")
def roles(request, slug):
    programme = _managed(request, slug)
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = get_user_model().objects.filter(email__iexact=form.cleaned_data["email"]).first()
        if user is None:
            form.add_error("email", _("No account has this email; ask them to sign up first."))
        else:
            with refusal_shown_on(form):
                services.role_grant(
                    actor=request.user,
                    programme=programme,
                    user=user,
                    role=form.cleaned_data["role"],
                )
                messages.success(
                    request,
                    _("%(email)s is now %(role)s.")
                    % {
                        "email": user.email,
                        "role": ProgrammeRole.Role(form.cleaned_data["role"]).label,
                    },
                )
                return redirect("programs:staff_roles", slug=slug)
    staff = ProgrammeRole.objects.filter(programme=programme).select_related("user")
    return render(
        request,
        "programs/staff/roles.html",
        {"programme": programme, "form": form, "staff": staff},
        status=400 if form.errors else 200,
    )


@staff_required("manage")
@require_POST
def role_revoke(request, slug, pk):
    programme = _managed(request, slug)
    role = get_object_or_404(ProgrammeRole, programme=programme, pk=pk)
    with refusal_shown_on(request):
        services.role_revoke(actor=request.user, role=role)
        messages.success(request, _("Role removed."))
    return redirect("programs:staff_roles", slug=slug)
