"""Who may do what: the one place that decides.

Three questions, and nothing else anywhere restates them:

1. **Which programmes does a person hold which roles in?** `roles(user)`. Roles are
   per programme (manager, reviewer, finance). With `REQUIRE_STAFF_MFA` on, a person
   without two-factor holds *no effective role* — two-factor is a property of the
   person, so every path (page, API by session or token, download, task acting for
   them) loses the role at once, not a list of URLs.
2. **May this person do this action on this object?** `require(user, action, obj)`
   raises `NotAllowed` with a message a person understands (or `StaffMFARequired`
   when only two-factor is missing); `can(...)` is the same as a bool for pages and
   templates. The roles each action needs are declared on the model's `Visibility`
   (`core.restricted`), next to who sees its rows.
3. **Which rows may this person see, or act on?** `Model.objects.restrict(user)`
   and `restrict(user, action)`: `RestrictedQuerySet` below, the one restricted-queryset
   base every model from `programs` up uses (the algorithm is `core.restricted`'s, given
   this module's answer to question 1).

Separation of duties lives here too: nobody acts as staff on their own records (the
ticket they reported, the output they submitted, the hours they logged, the pay
they are owed). A person *may* hold a staff role and a participation in the same
programme — small programmes dogfood with their own team — and these rules keep
the two hats apart.
"""

from __future__ import annotations

from functools import wraps

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404
from django.urls import resolve, reverse
from django.utils.translation import gettext

from core import restricted
from core.errors import NotAllowed
from core.restricted import Visibility

# Roles, and the groups that the rules are written in.
MANAGER = "manager"
REVIEWER = "reviewer"
FINANCE = "finance"

STAFF = frozenset({MANAGER, REVIEWER, FINANCE})  # anyone on the programme's team
REVIEW = frozenset({MANAGER, REVIEWER})  # triage tickets, review outputs, confirm hours
MONEY = frozenset({MANAGER, FINANCE})  # see, approve and reverse pay
PAYOUTS = frozenset({FINANCE})  # build, download and settle payout batches
MANAGE = frozenset({MANAGER})  # settings, terms, people, awards, reason codes, webhooks

# Models below this layer (audit) and `Visibility` declarations name groups by these keys.
GROUPS = {"staff": STAFF, "review": REVIEW, "money": MONEY, "payouts": PAYOUTS, "manage": MANAGE}


def _group(wanted) -> frozenset[str]:
    """A group's roles, from its name (`"review"`), one role (`"manager"`) or several."""
    if isinstance(wanted, str):
        return GROUPS.get(wanted) or frozenset({wanted})
    return frozenset(wanted)


__all__ = [
    "FINANCE",
    "MANAGE",
    "MANAGER",
    "MONEY",
    "PAYOUTS",
    "REVIEW",
    "REVIEWER",
    "STAFF",
    "RestrictedQuerySet",
    "StaffMFARequired",
    "Visibility",
    "acts_as_superuser",
    "can",
    "get_or_404",
    "has_role",
    "held_roles",
    "needs_two_factor",
    "require",
    "require_two_factor",
    "restrict",
    "roles",
    "staff_of",
    "staff_required",
]


class StaffMFARequired(NotAllowed):
    """The person holds the role, but staff must set up two-factor authentication first."""

    def __init__(self):
        super().__init__(
            "Staff work needs two-factor authentication: set up an authenticator app "
            "under Account → Two-factor authentication.",
            code="mfa_required",
        )


# -- 1. roles ---------------------------------------------------------------------------


def held_roles(user) -> dict[int, frozenset[str]]:
    """{programme id: roles} that the person holds, read once per user object (request)."""
    if user is None or not user.is_authenticated:
        return {}
    cached = getattr(user, "_tt_held_roles", None)
    if cached is None:
        from .models import ProgrammeRole  # the models import the policy: a cycle at import

        out: dict[int, set[str]] = {}
        for programme_id, role in ProgrammeRole.objects.filter(user=user).values_list(
            "programme_id", "role"
        ):
            out.setdefault(programme_id, set()).add(role)
        cached = {pid: frozenset(r) for pid, r in out.items()}
        user._tt_held_roles = cached
    return cached


def forget(*users) -> None:
    """Drop what was read of these people's roles (after a role is granted or revoked)."""
    for user in users:
        for name in ("_tt_held_roles", "_tt_two_factor"):
            if user is not None and hasattr(user, name):
                delattr(user, name)


def has_two_factor(user) -> bool:
    cached = getattr(user, "_tt_two_factor", None)
    if cached is None:
        cached = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        user._tt_two_factor = cached
    return cached


def has_staff_reach(user) -> bool:
    """Does the person hold a staff role anywhere, or is a superuser (used or not)?"""
    if user is None or not user.is_authenticated:
        return False
    return bool(user.is_superuser or held_roles(user))


def needs_two_factor(user) -> bool:
    """True for a person with staff reach (a role, or superuser) who must still set up 2FA."""
    if not settings.REQUIRE_STAFF_MFA or not has_staff_reach(user):
        return False
    return not has_two_factor(user)


def roles(user) -> dict[int, frozenset[str]]:
    """{programme id: roles} the person may use now: none until two-factor where required."""
    return {} if needs_two_factor(user) else held_roles(user)


def acts_as_superuser(user) -> bool:
    """A superuser who may use it now (two-factor where staff need it): the admin, all rows."""
    return bool(user.is_superuser) and not needs_two_factor(user)


def programmes_with(user, wanted) -> set[int] | None:
    """Ids of the programmes where `user` may use one of `wanted`; None for a superuser."""
    if user is None or not user.is_authenticated:
        return set()
    if acts_as_superuser(user):
        return None
    wanted = _group(wanted)
    return {pid for pid, held in roles(user).items() if held & wanted}


class RestrictedQuerySet(restricted.RestrictedQuerySet):
    """`Model.objects.restrict(user, action)` with the roles this policy answers (question 3);
    every model from `programs` up builds its queryset on this."""

    roles = staticmethod(programmes_with)


def restrict(queryset, user, action: str = "view"):
    """`restrict` for a model below this layer (audit's log), whose own queryset knows no
    roles: the rows its `Visibility` lets `user` see, staff rows included."""
    return restricted.restrict(queryset, user, action, roles=programmes_with)


def has_role(user, programme, wanted) -> bool:
    """Does `user` hold one of `wanted` in `programme` (an object or an id), usable now?"""
    if user is None or not user.is_authenticated:
        return False
    if acts_as_superuser(user):
        return True
    programme_id = getattr(programme, "pk", programme)
    return bool(roles(user).get(programme_id, frozenset()) & _group(wanted))


def staff_of(programmes, wanted):
    """The active people holding a role of `wanted` in a programme (or any of several):
    who to notify, who a ticket may be assigned to."""
    where = (
        {"programme_roles__programme": programmes}
        if isinstance(programmes, Model)
        else {"programme_roles__programme__in": programmes}
    )
    return (
        get_user_model()
        .objects.filter(**where, programme_roles__role__in=_group(wanted), is_active=True)
        .distinct()
        .order_by("pk")
    )


def any_role(user, wanted) -> bool:
    """Does the person hold one of `wanted` in any programme (for menus and staff pages)?"""
    found = programmes_with(user, wanted)
    return found is None or bool(found)


# -- 2. actions -------------------------------------------------------------------------

# What a person is told when the role is missing, and when the record is their own.
REFUSALS = {
    "manage": "Only the managers of {programme} can do this.",
    "triage": "Only the reviewers and managers of {programme} can triage its tickets.",
    "staff_comment": "Only the reviewers and managers of {programme} can comment as staff.",
    "review": "Only the reviewers and managers of {programme} can review its outputs.",
    "confirm": "Only the reviewers and managers of {programme} can confirm or dispute hours.",
    "approve": "Only finance or a manager of {programme} can approve its pay.",
    "reverse": "Only finance or a manager of {programme} can reverse its pay.",
    "award": "Only a manager of {programme} can award prizes and grants.",
    "payouts": "You are not finance for {programme}.",
    "record_tax": "Only finance for {programme} can record tax statuses.",
    "promote": "Only the managers of {programme} can ask to use testers' outputs in promotion.",
    "judge": "Only the reviewers and managers of {programme} can judge its competitions.",
    "answer_contest": "Only the reviewers and managers of {programme} can answer contests.",
    "answer_pay_contest": "Only finance or a manager of {programme} can answer contests of pay.",
    "owe_fee": "Only finance or a manager of {programme} can owe a fee after a contest.",
    "owe_line": "Only finance or a manager of {programme} can owe what a failed payment cost.",
    "final_word": "Only a manager of {programme} gives the final word on a contest.",
    "answer_award_contest": "Only a manager of {programme} answers a contest of an award.",
}
OWN_RECORD = {
    "triage": "Nobody triages their own tickets.",
    "staff_comment": "Nobody writes internal notes on their own tickets.",
    "review": "You cannot review your own output.",
    "confirm": "Nobody confirms or disputes their own hours.",
    "approve": "You cannot approve your own pay.",
    "reverse": "You cannot reverse your own pay.",
    "award": "You cannot award money to yourself.",
    "record_tax": "Nobody records their own tax status.",
    "manage": "Nobody acts as staff on their own participation or application.",
    "promote": "Nobody asks to use their own output in promotion.",
    "judge": "You have an entry in this competition, so someone else must judge it.",
    "answer_contest": "Nobody answers their own contest.",
    "answer_pay_contest": "Nobody answers their own contest.",
    "owe_fee": "You cannot award money to yourself.",
    "owe_line": "You cannot award money to yourself.",
    "final_word": "Nobody answers their own contest.",
    "answer_award_contest": "Nobody answers their own contest.",
}


MADE_BY_YOU = {
    "approve": "You created or accrued this entry; someone else must approve it.",
    "answer_contest": "You made the decision contested; someone else must answer the contest.",
    "answer_pay_contest": "You made the decision contested; someone else must answer the contest.",
    "final_word": "You made the decision contested; another manager gives the final word.",
}


def _refusal(action: str, programme_id) -> str:
    from .models import Programme  # the models import the policy: a cycle at import

    name = Programme.objects.filter(pk=programme_id).values_list("name", flat=True).first()
    return REFUSALS.get(action, "You may not do this in {programme}.").format(
        programme=name or "this programme"
    )


def _resolve(obj, lookup: str):
    """Follow a Visibility lookup (`"participation__user"`) on an object, to an id."""
    *path, last = lookup.split("__")
    for name in path:
        obj = getattr(obj, name)
        if obj is None:  # a programme-wide pause has no participant
            return None
    return getattr(obj, last if last == "id" or last.endswith("_id") else f"{last}_id")


def _check(user, action: str, obj, *, explain: bool = True) -> str | None:
    """Why `user` may not do `action` on `obj`, or None when they may. Without `explain`
    a refusal is any non-empty text, without the query that names the programme (for
    `can`, which a page may ask once per row)."""
    spec: Visibility = type(obj).visibility
    try:
        wanted = _group(spec.actions[action])
    except KeyError:
        raise ValueError(f"{type(obj).__name__} has no action {action!r}") from None
    programme_id = _resolve(obj, spec.programme)
    if user is None or not user.is_authenticated:
        return _refusal(action, programme_id) if explain else "refused"
    if not has_role(user, programme_id, wanted):
        if needs_two_factor(user) and (
            user.is_superuser or held_roles(user).get(programme_id, frozenset()) & wanted
        ):
            raise StaffMFARequired()
        return _refusal(action, programme_id) if explain else "refused"
    if spec.owner and _resolve(obj, spec.owner) == user.pk:
        return OWN_RECORD.get(action, "Nobody acts as staff on their own records.")
    if spec.maker and action in spec.checks and _resolve(obj, spec.maker) == user.pk:
        return MADE_BY_YOU.get(action, "Nobody checks what they made themselves.")
    return None


def require_two_factor(user) -> None:
    """Raise `StaffMFARequired` for a person with staff reach who must set up two-factor
    first (for staff-only services that act on a selection, before looking at it)."""
    if needs_two_factor(user):
        raise StaffMFARequired()


def require(user, action: str, obj) -> None:
    """Raise `NotAllowed` (or `StaffMFARequired`) unless `user` may do `action` on `obj`."""
    reason = _check(user, action, obj)
    if reason:
        raise NotAllowed(reason)


def can(user, action: str, obj) -> bool:
    """`require` as a bool, for pages, forms and templates."""
    try:
        return _check(user, action, obj, explain=False) is None
    except StaffMFARequired:
        return False


# -- 3. rows ----------------------------------------------------------------------------


def get_or_404(queryset, user, action: str = "view", **lookup):
    """The one row `user` may see (or act on) matching `lookup`, else 404.

    A person who would see it through a role they hold but may not use until they set
    up two-factor is told so instead of seeing a 404.
    """
    try:
        return queryset.restrict(user, action).get(**lookup)
    except queryset.model.DoesNotExist:
        if needs_two_factor(user):
            spec: Visibility = queryset.model.visibility
            wanted = _group(spec.staff if action == "view" else spec.actions[action])
            held = {pid for pid, r in held_roles(user).items() if r & wanted}
            hidden = queryset.filter(**lookup, **{f"{spec.programme}__in": held})
            if user.is_superuser or hidden.exists():
                raise StaffMFARequired() from None
        raise Http404("Not found.") from None


# Role names as a refusal says them, in the order a sentence lists them.
ROLE_NAMES = {MANAGER: "managers", REVIEWER: "reviewers", FINANCE: "finance staff"}


def missing_role(user, wanted) -> str:
    """The sentence of the 403 page when a staff page needs a role the person lacks: which
    role opens it, and which roles the person holds, so nobody reads "this page is for
    programme staff" while being staff."""
    needed = " or ".join(ROLE_NAMES[r] for r in ROLE_NAMES if r in wanted)
    held = {role for roles_here in roles(user).values() for role in roles_here}
    if not held:
        return f"This page is for a programme's {needed}; you hold no staff role."
    mine = ", ".join(ROLE_NAMES[r] for r in ROLE_NAMES if r in held)
    return f"This page is for a programme's {needed}; your roles are: {mine}."


def staff_required(*wanted):
    """A view for people holding one of `wanted` in at least one programme. The roles are
    kept on the view (`staff_roles`), so `may_open` decides whether to show a link to it
    by the same rule."""
    wanted = frozenset().union(*map(_group, wanted)) if wanted else STAFF

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                from django.contrib.auth.views import redirect_to_login  # needs apps ready

                return redirect_to_login(request.get_full_path())
            if not any_role(user, wanted):
                if needs_two_factor(user):
                    raise StaffMFARequired()
                raise PermissionDenied(missing_role(user, wanted))
            return view(request, *args, **kwargs)

        wrapped.staff_roles = wanted
        return wrapped

    return decorator


def page_roles(viewname: str, *args) -> frozenset[str] | None:
    """The staff roles the page at `viewname` requires (its `staff_required`), or None."""
    func = resolve(reverse(viewname, args=args)).func
    while func is not None:
        if hasattr(func, "staff_roles"):
            return func.staff_roles
        func = getattr(func, "__wrapped__", None)
    return None


def may_open(user, viewname: str, *args, obj=None, action: str | None = None) -> bool:
    """Show a link, a menu entry or a button to `viewname` only when the person may open it:
    the page's own staff roles (read from its view, so the menu and the page cannot
    disagree), and `action` on `obj` when the page acts on one record. The one question
    templates ask (`{% may_open "compensation:award_new" as show %}`)."""
    if user is None or not user.is_authenticated:
        return False
    wanted = page_roles(viewname, *args)
    if wanted is not None and not any_role(user, wanted):
        return False
    return obj is None or action is None or can(user, action, obj)


# -- 4. records of several programmes (a payout batch) ----------------------------------
#
# A payout batch spans programmes: a person acts on it only with the role in every one of
# them, so nobody settles pay of a programme they are not finance for.


def restrict_to_every_programme(queryset, user, action: str = "view"):
    """The rows of a model spanning programmes (`Visibility.programme` names its many-to-many,
    `"programmes"`) that `user` may see (`"view"`: the `staff` group) or act on (an action of
    `Visibility.actions`): those whose every programme is one where the person holds a role
    of the group."""
    if user is None or not user.is_authenticated:
        return queryset.none()
    spec: Visibility = queryset.model.visibility
    try:
        group = spec.staff if action == "view" else spec.actions[action]
    except KeyError:
        raise ValueError(f"{queryset.model.__name__} has no action {action!r}") from None
    staffed = programmes_with(user, group)
    if staffed is None:
        return queryset
    from .models import Programme  # the models import the policy: a cycle at import

    others = Programme.objects.exclude(pk__in=staffed)
    return (
        queryset.filter(**{f"{spec.programme}__in": staffed})
        .exclude(**{f"{spec.programme}__in": others})
        .distinct()
    )


def require_in_every(user, action: str, programmes) -> None:
    """Raise `NotAllowed` unless `user` may do `action` in every one of `programmes` (a batch
    is built and settled by a person who is finance of all its programmes)."""
    for programme in programmes:
        require(user, action, programme)


OWN_PAY = (
    "This batch holds your own pay{where}: nobody builds, exports, settles or reconciles a "
    "batch that pays themselves. It is left for someone else in finance."
)


def require_not_paid_by(user, payee_ids, *, where: str = "") -> None:
    """Raise `NotAllowed` when `user` is one of the payees of a batch (`payee_ids`: the user
    ids it pays, or would pay): nobody acts as finance on money that pays themselves."""
    if user is not None and user.pk in set(payee_ids):
        raise NotAllowed(OWN_PAY.format(where=where))


# -- 5. may a participant work now ------------------------------------------------------
#
# The rule, in its order. The facts are read by `participants` (one person and programme at
# a time, or every programme of a person at once), which sits above this module: `facts`
# answers each question when it is first asked, so a refusal reads no more than it needs.


# The answer for anyone outside the programme, with an account or without one: the access
# check never tells whether an address has an account.
NOT_A_PARTICIPANT = ("not_a_participant", "You are not a participant of this programme.")


def work_refusal(user, programme, facts) -> tuple[str, str] | None:
    """Why `user` may not do new work (tickets, outputs, hours) in `programme` now, as
    (code, message), or None when they may.

    `facts` has, read when first asked: `participation` (the person's, or None),
    `programme_pause` (the programme-wide pause in force, or None), `own_pause` (the
    person's own open pause, or None), `terms` (the version in force, or None), `needed`
    (the version the person must have accepted) and `accepted` (the number of the newest
    version they accepted, or None).
    """
    from .models import Programme  # the models import the policy: a cycle at import

    if not user.is_authenticated:
        return "not_signed_in", gettext("Sign in first.")
    participation = facts.participation
    if participation is None:
        return NOT_A_PARTICIPANT
    status = type(participation).Status
    if participation.status == status.WITHDRAWN:
        return "withdrawn", gettext("You have withdrawn from this programme.")
    if participation.status == status.REMOVED:
        removed = gettext("You were removed from this programme.")
        if participation.status_reason:
            removed += " " + gettext("Reason: %(reason)s") % {"reason": participation.status_reason}
        return "removed", removed
    pause = facts.programme_pause
    if pause is not None:
        return "programme_paused", gettext(
            "Access to the whole programme is paused: %(reason)s"
        ) % {"reason": pause.reason}
    if programme.status not in Programme.WORKING:
        return (
            "programme_not_running",
            gettext("The programme is %(status)s; no new work is accepted.")
            % {"status": programme.get_status_display().lower()},
        )
    if participation.status == status.PAUSED:
        own = facts.own_pause
        why = own.reason if own else participation.status_reason
        return "participant_paused", gettext("Your access is paused: %(reason)s") % {"reason": why}
    terms = facts.terms
    if terms is None:
        return "no_terms", gettext("The programme has no published terms yet.")
    needed, accepted = facts.needed, facts.accepted
    if accepted is None or accepted < needed.number:
        return (
            "consent_required",
            gettext("Accept the terms (version %(number)s) before doing any further work.")
            % {"number": terms.number},
        )
    return None


# -- 6. appeals are decided by someone else ---------------------------------------------


def appeal_conflict(user, submission) -> str | None:
    """An appeal is never claimed or decided by the reviewer whose decision it appeals.

    Read on the output submission received (approvals sits above this module): its status
    and its first review decision."""
    if submission.status != type(submission).Status.APPEALED:
        return None
    decisions = submission.decisions
    first = decisions.filter(stage=decisions.model.Stage.REVIEW).order_by("pk").first()
    if first is not None and first.reviewer_id == getattr(user, "pk", None):
        return (
            "An appeal must be decided by a different reviewer or a manager than the one "
            "who rejected it."
        )
    return None


def review_refusal(user, submission) -> str | None:
    """Why `user` may not claim or decide this output now, or None when they may: a reviewer
    or manager of its programme, never on their own output, and for an appeal, never the
    reviewer whose decision is appealed."""
    try:
        require(user, "review", submission)
    except NotAllowed as exc:
        return exc.message
    return appeal_conflict(user, submission)


def require_review(user, submission) -> None:
    """Raise `NotAllowed` unless `user` may claim or decide this output now."""
    require(user, "review", submission)
    conflict = appeal_conflict(user, submission)
    if conflict:
        raise NotAllowed(conflict)


# -- 7. contests are answered by someone else -------------------------------------------


def contest_action(contest) -> str:
    """The action answering `contest` needs: the final word is a manager's; a first contest
    of pay, a fee or a payment that failed is answered by finance or a manager, one of a ticket
    or hours by a reviewer or a manager."""
    if contest.round > 1:
        return "final_word"
    if contest.kind == "award":
        return "answer_award_contest"  # awards are a manager's
    return "answer_pay_contest" if contest.kind in ("pay", "fee", "payout") else "answer_contest"


def contest_refusal(user, contest) -> str | None:
    """Why `user` may not answer this contest, or None when they may: a reviewer or manager
    answers a first contest, a manager gives the final word; never the tester, never the
    person whose decision is contested, and the final word never from who answered the first.

    Read on the contest received (recourse sits above this module)."""
    try:
        require(user, contest_action(contest), contest)
    except NotAllowed as exc:
        return exc.message
    if contest.round > 1:
        first = type(contest).objects.filter(decision_id=contest.decision_id, round=1)
        if first.filter(decided_by_id=getattr(user, "pk", None)).exists():
            return "You answered the first contest; another manager gives the final word."
    return None


def require_contest_answer(user, contest) -> None:
    """Raise `NotAllowed` unless `user` may answer this contest now (`StaffMFARequired`, the
    refusal that leads to setting up two-factor, for staff without it)."""
    require(user, contest_action(contest), contest)
    refusal = contest_refusal(user, contest)
    if refusal:
        raise NotAllowed(refusal)
