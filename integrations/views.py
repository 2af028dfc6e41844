"""The staff webhooks page of a programme (`/staff/programmes/<slug>/webhooks/`)."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from core.forms import ALREADY_SENT, refusal_shown_on
from core.services import submit_once
from programs import policy
from programs.models import Programme
from programs.policy import staff_required

from . import webhooks as hooks
from .forms import WebhookForm
from .models import WebhookDelivery, WebhookEndpoint


@staff_required("manage")
def webhooks(request, slug):
    """Register endpoints, read every delivery with its attempts, redeliver by hand."""
    # For the managers of this programme only, as every staff page (404 for anyone else).
    programme = policy.get_or_404(Programme.objects, request.user, "manage", slug=slug)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and "redeliver" in request.POST:
        delivery = get_object_or_404(
            WebhookDelivery, endpoint__programme=programme, pk=request.POST.get("redeliver")
        )
        hooks.redeliver(actor=request.user, delivery=delivery)
        messages.success(request, f"Delivery {delivery.pk} was sent again.")
        return redirect("integrations:webhooks", slug=slug)
    created = None
    if request.method == "POST" and form.is_valid():
        made = {}

        def register() -> str:
            made["endpoint"] = hooks.endpoint_create(
                actor=request.user,
                programme=programme,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
            return reverse("integrations:webhooks", args=[slug])

        with refusal_shown_on(form):
            address, first = submit_once(user=request.user, token=form.once_token, create=register)
            if not first:  # sent twice: one endpoint, its secret was shown once
                messages.info(request, f"{ALREADY_SENT} The endpoint it made is listed below.")
                return redirect(address)
            created = made["endpoint"]
            form = WebhookForm()
    endpoints = WebhookEndpoint.objects.filter(programme=programme).order_by("-created_at")
    deliveries = (
        WebhookDelivery.objects.filter(endpoint__programme=programme)
        .select_related("endpoint")
        .prefetch_related("attempt_log")
        .order_by("-created_at")[:50]
    )
    return render(
        request,
        "integrations/webhooks.html",
        {
            "programme": programme,
            "form": form,
            "created": created,
            "endpoints": endpoints,
            "deliveries": deliveries,
        },
        status=400 if form.errors else 200,
    )
