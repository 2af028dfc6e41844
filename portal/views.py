"""The participant portal: my programmes and what needs my action (with a section of each
work app), and the download of everything we hold about me."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from participants import services as participant_services
from participants.models import Application, Invitation, Participation
from participants.selectors import coming_changes


@login_required
def home(request):
    user = request.user
    participations = list(
        Participation.objects.restrict(user).filter(user=user).select_related("programme")
    )
    rows = list(
        zip(participations, participant_services.access_checks(user, participations), strict=True)
    )
    invitations = Invitation.objects.filter(
        email__iexact=user.email, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).select_related("programme")
    applications = Application.objects.restrict(user).filter(user=user).select_related("programme")
    coming = coming_changes(participations)
    return render(
        request,
        "portal/home.html",
        {
            "rows": rows,
            "needs_action": [r for r in rows if r[1].code == "consent_required"],
            "coming": [
                (p, coming[p.programme_id]) for p in participations if p.programme_id in coming
            ],
            "invitations": invitations,
            "applications": applications,
        },
    )


@login_required
def my_data(request):
    """What we hold about me, and the archive to download it (the one download path)."""
    from programs.downloads import Download, send

    from .selectors import my_data_archive

    if request.GET.get("download"):
        stamp = timezone.now().strftime("%Y%m%d")
        return send(
            Download(
                filename=f"my-data-{stamp}.zip",
                content_type="application/zip",
                stream=my_data_archive(request.user),
            )
        )
    return render(request, "portal/my_data.html")
