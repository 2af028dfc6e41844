"""The one restricted-queryset base: which rows of a model a person may see or act on.

Every model whose rows belong to a programme declares a `Visibility`: where its
programme is, whose record a row is (the participant it belongs to), and which
staff roles see every row of their programmes. `Model.objects.restrict(user)` is
then the rows this person may see, and `restrict(user, action)` the rows they may
act on as staff (never their own: nobody acts as staff on their own records).

Which programmes a person holds which roles in is the policy's answer
(`programs.policy`), below which this layer sits: the policy registers it once at
start-up (`set_role_lookup`), so this module imports no app and no rule is
restated here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import Q

# (user, group) -> the ids of the programmes where `user` holds a role of `group`
# ("staff", "review", "money", "payouts", "manage": the policy's role groups) and may
# use it now (two-factor where required), or None when the user is above programme
# roles (a superuser with two-factor).
RoleLookup = Callable[[object, str], "set[int] | None"]
_role_lookup: RoleLookup | None = None


def set_role_lookup(lookup: RoleLookup) -> None:
    global _role_lookup
    _role_lookup = lookup


def programmes_with(user, group: str) -> set[int] | None:
    if _role_lookup is None:  # pragma: no cover - programs.policy registers it on import
        raise ImproperlyConfigured("No role lookup registered: is `programs` installed?")
    return _role_lookup(user, group)


@dataclass(frozen=True)
class Visibility:
    """Who sees the rows of a model, as lookups from the model.

    - `programme`: the lookup to the programme's id (`"programme_id"`, `"ticket__programme_id"`);
    - `owner`: the lookup to the user whose record a row is (the reporter, the participant);
    - `owner_sees`: what of their own rows the owner sees (default: all of them);
    - `staff`: the role group that sees every row of its programmes (`"review"`);
    - `staff_sees_own`: False where staff must not see, on their own records, what
      the owner may not (internal notes on a ticket they reported);
    - `actions`: staff actions on rows and the role group each needs (`{"triage": "review"}`);
    - `maker`: the lookup to the person who created the row (`"created_by"`), and
      `checks`: the actions that person may not take on it (maker–checker: `("approve",)`).
    """

    programme: str
    staff: str
    owner: str | None = None
    owner_sees: Q | None = None
    staff_sees_own: bool = True
    actions: dict[str, str] = field(default_factory=dict)
    maker: str | None = None
    checks: tuple[str, ...] = ()


class RestrictedQuerySet(models.QuerySet):
    """`restrict(user, action="view")`: the rows `user` may see, or act on with `action`."""

    def restrict(self, user, action: str = "view"):
        if user is None or not user.is_authenticated:
            return self.none()
        spec: Visibility = self.model.visibility
        if action == "view":
            staffed = programmes_with(user, spec.staff)
            if staffed is None:
                return self
            mine = Q(pk__in=[])
            if spec.owner:
                mine = Q(**{spec.owner: user.pk})
                if spec.owner_sees is not None:
                    mine &= spec.owner_sees
            if not staffed:
                return self.filter(mine)
            theirs = Q(**{f"{spec.programme}__in": staffed})
            if spec.owner and not spec.staff_sees_own:
                theirs &= ~Q(**{spec.owner: user.pk})
            return self.filter(mine | theirs)
        try:
            group = spec.actions[action]
        except KeyError:
            raise ValueError(f"{self.model.__name__} has no action {action!r}") from None
        staffed = programmes_with(user, group)
        qs = self if staffed is None else self.filter(**{f"{spec.programme}__in": staffed})
        # Separation of duties: nobody acts as staff on their own records, nor checks (approves)
        # what they made themselves: the same rules as the policy's answer for one object.
        if spec.owner:
            qs = qs.exclude(**{spec.owner: user.pk})
        if spec.maker and action in spec.checks:
            qs = qs.exclude(**{spec.maker: user.pk})
        return qs
