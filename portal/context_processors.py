from programs import policy


def navigation(request):
    """Which surfaces the signed-in person's roles open, for the navigation bar (the policy's
    answer, so it matches what the pages let them do)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": {"signed_in": False}}
    return {
        "nav": {
            "signed_in": True,
            "review": policy.any_role(user, "review"),
            "finance": policy.any_role(user, "money"),
            "staff": policy.any_role(user, "staff"),
            "manage": policy.any_role(user, "manage"),
            "admin": policy.acts_as_superuser(user),
        }
    }
