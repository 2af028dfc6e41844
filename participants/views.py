"""The participant's pages of participation: a programme, consent, joining and leaving."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.forms import refusal_shown_on, send_once
from core.languages import supported, use_programme_language
from programs.models import Programme
from programs.selectors import coming_versions, current_terms, upcoming_terms
from programs.services import terms_diff

from . import services
from .forms import ApplicationForm, ConsentForm, ReasonForm, hashes
from .models import Consent, Invitation, Participation, hash_token
from .selectors import coming_changes


def _my_participation(request, slug) -> Participation:
    return get_object_or_404(
        Participation.objects.mine(request.user).select_related("programme"),
        programme__slug=slug,
    )


@login_required
def programme(request, slug):
    participation = _my_participation(request, slug)
    consents = (
        Consent.objects.restrict(request.user)
        .filter(participation=participation)
        .select_related("terms_version")
        .order_by("-accepted_at")
    )
    return render(
        request,
        "participants/programme.html",
        {
            "participation": participation,
            "programme": participation.programme,
            "access": services.access_check(request.user, participation.programme),
            "terms": current_terms(participation.programme),
            "coming": coming_changes([participation]).get(participation.programme_id),
            "consents": consents,
        },
    )


@login_required
def consent(request, slug):
    """The consent screen: key facts on top, the full terms, what changed since my last consent."""
    participation = _my_participation(request, slug)
    programme = participation.programme
    use_programme_language(request, programme)
    in_force = current_terms(programme)
    last = (
        Consent.objects.filter(participation=participation)
        .select_related("terms_version")
        .order_by("-terms_version__number")
        .first()
    )
    # Someone who has not accepted the terms in force accepts those, and acknowledges what is
    # coming; someone who has may accept the coming version early.
    if in_force is not None and (last is None or last.terms_version.number < in_force.number):
        terms = in_force
    else:
        terms = upcoming_terms(programme) or in_force
    if terms is None:
        messages.info(request, _("This programme has no published terms yet."))
        return redirect("participants:programme", slug=slug)
    coming = [c for c in coming_versions(programme) if c["terms"].number > terms.number]
    already = last is not None and last.terms_version_id == terms.pk
    shown = _shown_text(request, terms)
    form = ConsentForm(
        request.POST or None,
        initial={
            "terms_hash": terms.content_hash,
            "coming_hashes": ",".join(c["terms"].content_hash for c in coming),
            "shown_language": shown.language if shown else terms.binding_language,
            "shown_hash": shown.content_hash if shown else terms.content_hash,
        },
    )
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.consent_accept(
                actor=request.user,
                programme=programme,
                terms=terms,
                seen_hash=form.cleaned_data["terms_hash"],
                ip=request.META.get("REMOTE_ADDR"),
                acknowledged=hashes(form.cleaned_data["coming_hashes"]),
                shown_language=form.cleaned_data["shown_language"],
                shown_hash=form.cleaned_data["shown_hash"] or None,
            )
            messages.success(
                request,
                _("You accepted version %(number)s of the terms.") % {"number": terms.number},
            )
            return redirect("participants:programme", slug=slug)
    diff = (
        terms_diff(last.terms_version, terms)
        if last and last.terms_version.number < terms.number
        else None
    )
    return render(
        request,
        "participants/consent.html",
        {
            "programme": programme,
            "terms": terms,
            "form": form,
            "already": already,
            "diff": diff,
            "coming": coming,
            "participation": participation,
            "now": timezone.now(),
            "shown": shown,
            "shown_facts": terms.key_facts(shown.text() if shown else None),
            "texts": _texts(terms),
        },
    )


def _shown_text(request, terms):
    """The text the consent screen shows: the one asked for (`?text=fr`), else the translation
    into the page's language if the version has one, else (None) the binding text."""
    asked = supported(request.GET.get("text")) if request.GET.get("text") else None
    return terms.translation(asked or get_language())


def _texts(terms) -> list[dict]:
    """The texts of a version a reader may choose between: the binding one, its translations."""
    names = dict(settings.LANGUAGES)
    return [
        {
            "language": terms.binding_language,
            "name": names.get(terms.binding_language, terms.binding_language),
            "binding": True,
        }
    ] + [
        {"language": t.language, "name": names.get(t.language, t.language), "binding": False}
        for t in terms.translations.all()
    ]


def invitation(request, token):
    """Open to anyone with the link: read the key facts, then accept (signed in) or decline."""
    invite = Invitation.objects.select_related("programme").filter(token_hash=hash_token(token))
    invite = invite.first()
    if invite is None:
        raise Http404("This invitation link is not valid.")
    terms = current_terms(invite.programme)
    decline_form = ReasonForm(request.POST or None, prefix="decline")
    if request.method == "POST":
        with refusal_shown_on(request):
            if "accept" in request.POST:
                if not request.user.is_authenticated:
                    return redirect(f"/accounts/login/?next={request.path}")
                services.invitation_accept(
                    actor=request.user,
                    token=token,
                    acknowledged=hashes(request.POST.get("coming_hashes", "")),
                )
                messages.success(
                    request,
                    _("Welcome to %(name)s. Read and accept the terms.")
                    % {"name": invite.programme.name},
                )
                return redirect("participants:consent", slug=invite.programme.slug)
            if "decline" in request.POST and decline_form.is_valid():
                services.invitation_decline(
                    token=token,
                    reason=decline_form.cleaned_data["reason"],
                    actor=request.user if request.user.is_authenticated else None,
                )
                messages.info(request, _("You declined the invitation. Thank you for telling us."))
                return redirect("transparency:detail", slug=invite.programme.slug)
    return render(
        request,
        "participants/invitation.html",
        {
            "invite": invite,
            "programme": invite.programme,
            "terms": terms,
            "coming": coming_versions(invite.programme),
            "decline_form": decline_form,
            "expired": invite.is_expired(timezone.now()),
        },
    )


@login_required
def apply(request, slug):
    programme = get_object_or_404(Programme.objects.restrict(request.user), slug=slug)
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():

        def send() -> str:
            services.application_submit(
                actor=request.user,
                programme=programme,
                motivation=form.cleaned_data["motivation"],
                portfolio_url=form.cleaned_data["portfolio_url"],
            )
            messages.success(request, _("Your application was sent. You will hear back by email."))
            return reverse("portal:home")

        if (sent := send_once(request, form, send)) is not None:
            return sent
    return render(
        request,
        "participants/apply.html",
        {
            "programme": programme,
            "form": form,
            "terms": current_terms(programme),
            "coming": coming_versions(programme),
        },
    )


@login_required
@require_POST
def withdraw(request, slug):
    participation = _my_participation(request, slug)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    with refusal_shown_on(request):
        services.participation_withdraw(
            actor=request.user, participation=participation, reason=reason
        )
        messages.success(
            request,
            _("You withdrew from %(name)s. Your records, pay and pending reviews are kept.")
            % {"name": participation.programme.name},
        )
    return redirect("participants:programme", slug=slug)
