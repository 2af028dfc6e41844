from programs.selectors import roles_by_programme


def navigation(request):
    """Which surfaces the signed-in person's roles open, for the navigation bar."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}
    roles = set().union(*roles_by_programme(user).values()) if user.is_authenticated else set()
    return {
        "nav": {
            "signed_in": True,
            "review": user.is_superuser or bool(roles & {"reviewer", "manager"}),
            "finance": user.is_superuser or bool(roles & {"finance", "manager"}),
            "staff": user.is_superuser or "manager" in roles,
            "admin": user.is_superuser,
        }
    }
