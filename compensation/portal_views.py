"""The participant's own statement `/statement/`: entries, totals, hours, CSV."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from core.forms import refusal_shown_on
from core.pagination import keyset_page
from participants.models import Participation
from programs.models import Programme

from . import selectors, services
from .forms import PayoutDetailsForm, TaxFormSendForm
from .models import LedgerEntry, PayoutDetails
from .selectors import entry_in_words, payments_back, statement, tax_waits
from .views import _stream_entries


def _mine(request):
    # The statement is only ever one's own (restrict would add finance's programmes).
    return LedgerEntry.objects.mine(request.user).select_related(
        "programme", "participation__user", "terms_version", "batch"
    )


@login_required
def home(request):
    page = keyset_page(_mine(request), request, key="created_at", descending=True, size=50)
    today = timezone.localdate()
    for entry in page.items:
        entry.in_words = entry_in_words(entry, today)
    return render(
        request,
        "compensation/statement.html",
        {
            "page": page,
            "summary": statement(request.user),
            "tax_waits": tax_waits(request.user),
            "payments_back": payments_back(request.user),
        },
    )


@login_required
def statement_csv(request):
    qs = _mine(request).select_related("batch").order_by("pk")
    return _stream_entries(qs, "my-statement.csv", staff=False)


@login_required
def tax_form(request, slug):
    """The payee sends, in the product, the tax form the terms of a programme ask for."""
    participation = get_object_or_404(
        Participation.objects.mine(request.user).select_related("programme", "tax_status"),
        programme__slug=slug,
    )
    programme = participation.programme
    asked = selectors.forms_asked(participation)
    form = TaxFormSendForm(request.POST or None, request.FILES or None, forms=asked)
    if request.method == "POST" and form.is_valid():
        with refusal_shown_on(form):
            services.tax_form_send(actor=request.user, programme=programme, **form.cleaned_data)
            messages.success(
                request,
                f"Your form is sent to {programme.name}'s finance team; pay held for it goes "
                "into the next payout.",
            )
            return redirect("compensation:statement")
    return render(
        request,
        "compensation/tax_form.html",
        {
            "programme": programme,
            "asked": [str(Programme.TaxForm(k).label) for k in asked],
            "current": getattr(participation, "tax_status", None),
            "form": form,
            "today": timezone.localdate(),
        },
        status=400 if form.errors else 200,
    )


@login_required
def payout_details(request):
    """How I want to be paid: shown masked, changed through the service (validated, encrypted)."""
    current = PayoutDetails.objects.mine(request.user).first()
    if request.method == "POST":
        form = PayoutDetailsForm(request.POST)
        if form.is_valid():
            with refusal_shown_on(form):
                services.payout_details_set(actor=request.user, **form.cleaned_data)
                messages.success(request, "Your payout details are saved.")
                return redirect("compensation:payout_details")
    else:
        initial = {"method": current.method, "country": current.country} if current else {}
        form = PayoutDetailsForm(initial=initial)
    return render(
        request,
        "compensation/payout_details.html",
        {"form": form, "current": current},
        status=400 if form.errors else 200,
    )
