"""The second manager's look at a change of the terms' full text: the diff, then a
confirmation that it is editorial (wording only), or nothing, and the change stays material.

Kept apart from the terms editor (`staff_views.terms_edit`): one page, two actions (the
drafting manager asks, another manager confirms), both through `programs.services`.
"""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render

from core.forms import refusal_shown_on
from programs import policy
from programs.policy import staff_required

from . import services
from .models import EditorialConfirmation, Programme, TermsVersion
from .selectors import current_terms


@staff_required("manage")
def terms_editorial(request, slug, number):
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    terms = get_object_or_404(TermsVersion, programme=programme, number=number)
    if terms.is_published:
        return redirect("programs:terms", slug=slug, number=number)
    if request.method == "POST":
        with refusal_shown_on(request):
            if "confirm" in request.POST:
                services.terms_editorial_confirm(actor=request.user, terms=terms)
                messages.success(request, "Confirmed: the change of the full text is editorial.")
            else:
                services.terms_editorial_request(actor=request.user, terms=terms)
                messages.success(
                    request,
                    "Asked the programme's other managers to confirm the change is editorial.",
                )
                return redirect("programs:staff_terms_edit", slug=slug, number=number)
        return redirect("programs:staff_terms_editorial", slug=slug, number=number)
    in_force = current_terms(programme)
    request_row = EditorialConfirmation.objects.filter(terms=terms).first()
    return render(
        request,
        "programs/staff/terms_editorial.html",
        {
            "programme": programme,
            "terms": terms,
            "in_force": in_force,
            "body": services.body_diff(in_force, terms) if in_force else [],
            "request_row": request_row,
            "current": request_row is not None
            and in_force is not None
            and request_row.is_about(in_force.body, terms.body),
            "may_confirm": request_row is not None
            and request_row.requested_by_id != request.user.pk,
        },
    )
