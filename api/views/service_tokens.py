"""A programme's service-account tokens (`/staff/programmes/<slug>/service-tokens/`): its
managers make one for the model team's pipeline (shown once) and revoke it."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.forms import ALREADY_SENT, refusal_shown_on
from core.services import submit_once
from programs import policy
from programs.models import Programme
from programs.policy import staff_required
from provenance import selectors

from ..forms import ServiceTokenForm
from ..models import ServiceToken
from ..services import service_token_create, service_token_revoke


@staff_required("manage")
def service_tokens(request, slug):
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    form = ServiceTokenForm(request.POST or None)
    if request.method == "POST" and "revoke" in request.POST:
        token = get_object_or_404(ServiceToken, programme=programme, pk=request.POST.get("revoke"))
        service_token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("api:service_tokens", slug=slug)
    created = None
    if request.method == "POST" and form.is_valid():
        made = {}

        def make() -> str:
            made["token"], made["plain"] = service_token_create(
                actor=request.user, programme=programme, name=form.cleaned_data["name"]
            )
            return reverse("api:service_tokens", args=[slug])

        with refusal_shown_on(form) as refused:
            address, first = submit_once(user=request.user, token=form.once_token, create=make)
        if not refused.error:
            if not first:
                messages.info(
                    request,
                    _("%(already)s The token it made is listed below.") % {"already": ALREADY_SENT},
                )
                return redirect(address)
            created = made["plain"]
            form = ServiceTokenForm()
    return render(
        request,
        "api/service_tokens.html",
        {
            "programme": programme,
            "form": form,
            "created": created,
            "tokens": ServiceToken.objects.filter(programme=programme),
            "sentence": selectors.check_sentence(selectors.check_counts(programme)),
        },
        status=400 if form.errors else 200,
    )
