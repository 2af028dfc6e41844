"""The personal API tokens page (`/portal/tokens/`): create (shown once), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.forms import ALREADY_SENT, refusal_shown_on
from core.services import submit_once

from ..forms import TokenForm
from ..models import ApiToken
from ..services import token_create, token_revoke


@login_required
def tokens(request):
    """Personal API tokens: create (shown once), list, revoke."""
    form = TokenForm(request.POST or None)
    created = None
    if request.method == "POST" and "revoke" in request.POST:
        mine = ApiToken.objects.mine(request.user)
        token = get_object_or_404(mine, pk=request.POST.get("revoke"))
        token_revoke(actor=request.user, token=token)
        messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
        return redirect("api:tokens")
    if request.method == "POST" and form.is_valid():
        made = {}

        def make() -> str:
            made["token"], made["plain"] = token_create(
                actor=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"]
            )
            return reverse("api:tokens")

        with refusal_shown_on(form):
            address, first = submit_once(user=request.user, token=form.once_token, create=make)
            if not first:  # the same form sent again: its token exists, its secret was shown once
                messages.info(
                    request,
                    _("%(already)s The token it made is listed below.") % {"already": ALREADY_SENT},
                )
                return redirect(address)
            created = made["plain"]
            form = TokenForm()
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": ApiToken.objects.mine(request.user),
        },
    )
