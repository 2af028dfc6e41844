"""The participant portal: my programmes and what needs my action (with a section of each
work app), and the download of everything we hold about me."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from participants.models import Application, Invitation
from programs.downloads import Download, send

from .selectors import my_data_archive, where_i_stand


@login_required
def home(request):
    """Where do I stand: per programme the deal in force, my week, my outputs waiting, my
    pay, and what needs me (portal.selectors.where_i_stand: a fixed number of queries)."""
    user = request.user
    invitations = Invitation.objects.filter(
        email__iexact=user.email, status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
    ).select_related("programme")
    applications = Application.objects.restrict(user).filter(user=user).select_related("programme")
    return render(
        request,
        "portal/home.html",
        {
            **where_i_stand(user),
            "invitations": invitations,
            "applications": applications,
        },
    )


@login_required
def my_data(request):
    """What we hold about me, and the archive to download it (the one download path)."""

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
