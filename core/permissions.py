"""Who may open a staff surface. Object visibility is decided by each model's `visible_to`."""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from programs.models import ProgrammeRole
from programs.selectors import roles_by_programme


def my_roles(request) -> set[str]:
    """The signed-in person's staff roles in any programme, read once per request.

    The staff check of the view and the navigation bar both need them.
    """
    if not hasattr(request, "_tt_roles"):
        roles = roles_by_programme(request.user) if request.user.is_authenticated else {}
        request._tt_roles = set().union(*roles.values())
    return request._tt_roles


def staff_required(*roles):
    """The view needs a signed-in person with one of `roles` in at least one programme."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not (user.is_superuser or my_roles(request) & set(roles)):
                raise PermissionDenied("This page is for programme staff.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


MANAGER = ProgrammeRole.Role.MANAGER
REVIEWER = ProgrammeRole.Role.REVIEWER
FINANCE = ProgrammeRole.Role.FINANCE
