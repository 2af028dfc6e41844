"""Reads about publicity: the terms a tester accepted, training use per output, the uses
shown on an output and its proof page, and the programme's public figures."""

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from approvals.models import OutputSubmission
from core.figures import as_text
from participants.models import Consent
from programs.models import Programme, TermsVersion

from .models import Competition, CreditName, PromotionalUse, TrainingChoice


def accepted_terms(user, programme: Programme) -> TermsVersion | None:
    """The newest terms version this tester accepted: what their work may be used for."""
    consent = (
        Consent.objects.filter(participation__user=user, participation__programme=programme)
        .select_related("terms_version")
        .order_by("-terms_version__number", "-accepted_at")
        .first()
    )
    return consent.terms_version if consent else None


# How someone is shown who chose to stay unnamed, and someone who has not chosen a name
# (never their email, never a hash of their output).
UNNAMED = _("a tester who chose to stay unnamed")
NOT_NAMED_YET = _("a tester")


def credit_name_of(user, programme) -> CreditName | None:
    """The tester's choice of how they are named in the programme, if they made one."""
    return CreditName.objects.filter(
        participation__user=user, participation__programme=programme
    ).first()


def names_in(programme, user_ids, *, credit: bool) -> dict:
    """{user id: how the tester is shown}, by their choice, for credit (credit lines, proof
    pages) or for display (competition results)."""
    chosen = {
        c.participation.user_id: c
        for c in CreditName.objects.filter(
            participation__programme=programme, participation__user__in=list(user_ids)
        ).select_related("participation")
    }
    out = {}
    for user_id in user_ids:
        choice = chosen.get(user_id)
        if choice is None:
            out[user_id] = NOT_NAMED_YET
        else:
            out[user_id] = choice.shown(credit=credit) or UNNAMED
    return out


def training_choices(user, programme: Programme) -> dict:
    """The tester's newest choice per output (key: submission id) and default (key: None)."""
    latest: dict = {}
    rows = TrainingChoice.objects.filter(participant=user, programme=programme).order_by(
        "chosen_at", "pk"
    )
    for row in rows:
        latest[row.submission_id] = row.allowed
    return latest


def training_allowed(submission: OutputSubmission, *, terms=None, choices=None) -> bool:
    """Whether this output may be used for training now, under the terms its tester
    accepted and (where the terms make it their choice) their own choice."""
    if submission.status in (
        OutputSubmission.Status.WITHDRAWN,
        OutputSubmission.Status.RESUBMITTED,
    ):
        return False
    if terms is None:
        terms = accepted_terms(submission.participant, submission.programme)
    if terms is None:
        return False
    T = TermsVersion.TrainingUse
    if terms.training_use == T.YES:
        return True
    if terms.training_use == T.NO:
        return False
    if choices is None:
        choices = training_choices(submission.participant, submission.programme)
    if terms.training_use == T.PER_OUTPUT and submission.pk in choices:
        return choices[submission.pk]
    return choices.get(None, False)


def training_list(programme: Programme, user) -> list[dict]:
    """Every output of the programme `user` may see, with whether it may be used for training."""
    submissions = (
        OutputSubmission.objects.restrict(user)
        .filter(programme=programme)
        .exclude(
            status__in=[OutputSubmission.Status.WITHDRAWN, OutputSubmission.Status.RESUBMITTED]
        )
        .select_related("participant", "programme")
        .order_by("pk")
    )
    terms_by, choices_by, out = {}, {}, []
    for submission in submissions:
        who = submission.participant_id
        if who not in terms_by:
            terms_by[who] = accepted_terms(submission.participant, programme)
            choices_by[who] = training_choices(submission.participant, programme)
        out.append(
            {
                "submission": submission.pk,
                "content_hash": submission.content_hash,
                "training_allowed": training_allowed(
                    submission, terms=terms_by[who], choices=choices_by[who]
                ),
                "terms_version": terms_by[who].number if terms_by[who] else None,
            }
        )
    return out


def uses_of(submission: OutputSubmission):
    """The promotional uses of one output that happen (accepted or included): public on its
    proof page, without the tester's name unless the credit line names them."""
    return PromotionalUse.objects.filter(
        submission=submission, status__in=PromotionalUse.IN_USE
    ).order_by("period_start", "pk")


def transparency_section(programme: Programme) -> dict:
    """Outputs used in promotion, how many uses were paid and how much; competitions with
    entries, prizes and odds; share of outputs cleared for training."""

    uses = PromotionalUse.objects.filter(programme=programme, status__in=PromotionalUse.IN_USE)
    agg = uses.aggregate(
        uses=Count("pk"),
        outputs=Count("submission", distinct=True),
        paid=Count("pk", filter=Q(fee__gt=0)),
        total=Sum("fee", filter=Q(fee__gt=0)),
        asked=Count("pk", filter=Q(status=PromotionalUse.Status.ACCEPTED)),
    )
    declined = PromotionalUse.objects.filter(
        programme=programme, status=PromotionalUse.Status.DECLINED
    ).count()
    unpaid = agg["uses"] - agg["paid"]
    promotion = {
        "outputs_used": agg["outputs"],
        "uses": agg["uses"],
        "uses_paid": agg["paid"],
        "uses_unpaid": unpaid,
        "paid_total": as_text(agg["total"] or 0),
        "declined": declined,
    }
    competitions = []
    for c in Competition.objects.filter(programme=programme).order_by("entry_deadline", "pk"):
        entries = c.entries_at_results if c.entries_at_results is not None else c.entries.count()
        competitions.append(
            {
                "title": c.title,
                "status": c.status,
                "entries": entries,
                "prizes": c.prize_count,
                "prize_amount": as_text(c.prize_amount),
                "currency": c.currency,
                "odds": c.odds(),
            }
        )
    outputs = _training_share(programme)
    rows = [
        ["Outputs used in promotion", agg["outputs"]],
        [
            "Promotional uses",
            f"{agg['uses']}: {agg['paid']} paid ({as_text(agg['total'] or 0)} "
            f"{programme.currency}), {unpaid} unpaid",
        ],
        ["Promotion requests declined by testers", declined],
    ]
    if unpaid:
        rows.append(["Used in promotion, unpaid", f"{unpaid} uses"])
    for c in competitions:
        rows.append(
            [
                f"Competition: {c['title']}",
                f"{c['odds']} ({c['prize_amount']} {c['currency']} each)",
            ]
        )
    rows.append(["Outputs cleared for training", outputs["text"]])
    return {
        "promotion": promotion,
        "competitions": competitions,
        "training": outputs["figures"],
        "sections": [{"title": "Publicity", "rows": rows}],
        "compare": [
            ["Outputs used in promotion", ["promotion", "outputs_used"]],
            ["Promotional uses unpaid", ["promotion", "uses_unpaid"]],
        ],
    }


def _training_share(programme: Programme) -> dict:
    """Outputs cleared for training now, counted per tester (a few queries whatever the
    programme's size; equal to `training_allowed` summed over the outputs, see the test)."""
    T = TermsVersion.TrainingUse
    standing = OutputSubmission.objects.filter(programme=programme).exclude(
        status__in=[OutputSubmission.Status.WITHDRAWN, OutputSubmission.Status.RESUBMITTED]
    )
    per_person = dict(
        standing.order_by()
        .values_list("participant")
        .annotate(n=Count("pk"))
        .values_list("participant", "n")
    )
    regime: dict = {}
    for user_id, training_use in (
        Consent.objects.filter(participation__programme=programme)
        .order_by("participation__user", "-terms_version__number", "-accepted_at")
        .values_list("participation__user", "terms_version__training_use")
    ):
        regime.setdefault(user_id, training_use)
    latest: dict = {}
    for user_id, submission_id, allowed in (
        TrainingChoice.objects.filter(programme=programme)
        .order_by("chosen_at", "pk")
        .values_list("participant", "submission", "allowed")
    ):
        latest[(user_id, submission_id)] = allowed
    own = {key[1]: allowed for key, allowed in latest.items() if key[1] is not None}
    standing_own = dict(standing.filter(pk__in=own).values_list("pk", "participant"))
    cleared = 0
    for user_id, n in per_person.items():
        rule = regime.get(user_id)
        if rule == T.YES:
            cleared += n
        elif rule in TermsVersion.TRAINING_CHOICE:
            default = latest.get((user_id, None), False)
            chosen = (
                [own[pk] for pk, who in standing_own.items() if who == user_id]
                if rule == T.PER_OUTPUT
                else []
            )
            cleared += (n - len(chosen)) * default + sum(chosen)
    total = sum(per_person.values())
    share = f"{round(100 * cleared / total)} %" if total else "—"
    return {
        "figures": {"outputs": total, "cleared": cleared},
        "text": f"{cleared} of {total} ({share})" if total else "no outputs yet",
    }
