"""Who may open a staff surface. Object visibility is decided by each model's `visible_to`."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from programs.models import ProgrammeRole


def staff_required(*roles):
    """The view needs a signed-in person with one of `roles` in at least one programme."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (
                user.is_superuser
                or ProgrammeRole.objects.filter(user=user, role__in=roles).exists()
            ):
                raise PermissionDenied("This page is for programme staff.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


MANAGER = ProgrammeRole.Role.MANAGER
REVIEWER = ProgrammeRole.Role.REVIEWER
FINANCE = ProgrammeRole.Role.FINANCE
