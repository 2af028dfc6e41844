from core.permissions import my_roles


def navigation(request):
    """Which surfaces the signed-in person's roles open, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}
    roles = my_roles(request)
    return {
        "nav": {
            "signed_in": True,
            "review": user.is_superuser or bool(roles & {"reviewer", "manager"}),
            "finance": user.is_superuser or bool(roles & {"finance", "manager"}),
            "staff": user.is_superuser or "manager" in roles,
            "admin": user.is_superuser,
        }
    }
