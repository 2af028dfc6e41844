"""The restricted-queryset base: which rows of a model a person may see or act on.

Every model whose rows belong to a programme declares a `Visibility`: where its
programme is, whose record a row is (the participant it belongs to), and which
staff roles see every row of their programmes. `Model.objects.restrict(user)` is
then the rows this person may see, `restrict(user, action)` the rows they may act on
as staff (never their own: nobody acts as staff on their own records), and
`mine(user)` the rows that are their own records.

Which programmes a person holds which roles in is the policy's answer, and the policy
(`programs.policy`) sits above this layer. So the algorithm is here, taking that answer
as `roles`, and the queryset every model from `programs` up uses is the policy's
subclass, `programs.policy.RestrictedQuerySet`, which passes its own. Nothing registers
anything at start-up. A model below the policy (audit's log) uses this base as it is:
there nobody's roles are known, so a person sees their own rows only, and a page above
that shows staff more asks the policy (`programs.policy.restrict(queryset, user)`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q

# (user, group) -> the ids of the programmes where `user` holds a role of `group`
# ("staff", "review", "money", "payouts", "manage": the policy's role groups) and may
# use it now (two-factor where required), or None when the user is above programme
# roles (a superuser with two-factor).
RoleLookup = Callable[[object, str], "set[int] | None"]


def no_roles(user, group: str) -> set[int]:
    """Below the policy nobody's programme roles are known: nobody sees rows as staff."""
    return set()


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

    A person's record outside any programme (an API token, payout details, a notification)
    names only its `owner`: its owner sees it, and no staff role does.
    """

    programme: str | None = None
    staff: str | None = None
    owner: str | None = None
    owner_sees: Q | None = None
    staff_sees_own: bool = True
    actions: dict[str, str] = field(default_factory=dict)
    maker: str | None = None
    checks: tuple[str, ...] = ()


def restrict(queryset, user, action: str = "view", *, roles: RoleLookup):
    """The rows of `queryset` that `user` may see (`action="view"`) or act on with `action`,
    by its model's `Visibility`, with `roles` answering which programmes they staff."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    spec: Visibility = queryset.model.visibility
    if action == "view":
        staffed = roles(user, spec.staff) if spec.staff else set()
        if staffed is None:
            return queryset
        mine = _own(spec, user)
        if not staffed:
            return queryset.filter(mine)
        theirs = Q(**{f"{spec.programme}__in": staffed})
        if spec.owner and not spec.staff_sees_own:
            theirs &= ~Q(**{spec.owner: user.pk})
        return queryset.filter(mine | theirs)
    try:
        group = spec.actions[action]
    except KeyError:
        raise ValueError(f"{queryset.model.__name__} has no action {action!r}") from None
    staffed = roles(user, group)
    qs = queryset if staffed is None else queryset.filter(**{f"{spec.programme}__in": staffed})
    # Separation of duties: nobody acts as staff on their own records, nor checks (approves)
    # what they made themselves: the same rules as the policy's answer for one object.
    if spec.owner:
        qs = qs.exclude(**{spec.owner: user.pk})
    if spec.maker and action in spec.checks:
        qs = qs.exclude(**{spec.maker: user.pk})
    return qs


def _own(spec: Visibility, user) -> Q:
    """A person's own rows, as much of them as an owner sees (nothing without an owner)."""
    if not spec.owner:
        return Q(pk__in=[])
    mine = Q(**{spec.owner: user.pk})
    return mine & spec.owner_sees if spec.owner_sees is not None else mine


class RestrictedQuerySet(models.QuerySet):
    """`restrict(user, action="view")`: the rows `user` may see, or act on with `action`;
    `mine(user)`: the rows that are `user`'s own records ("my outputs", "my statement").

    `roles` answers which programmes a person staffs; here, below the policy, nobody's
    (`no_roles`). Models from `programs` up use `programs.policy.RestrictedQuerySet`.
    """

    roles: RoleLookup = staticmethod(no_roles)

    def restrict(self, user, action: str = "view"):
        return restrict(self, user, action, roles=type(self).roles)

    def mine(self, user):
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(_own(self.model.visibility, user))
