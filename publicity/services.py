"""Every change to promotional uses, training choices and competitions.

Each service takes the actor and asks the policy (`programs.policy`), locks the row it
changes, checks its state, writes an audit event and notifies through the outbox. Money
goes to the ledger through `compensation.services.accrue_once`, keyed by the record it
pays for, so a use or a prize accrues once whatever happens twice.
"""

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from approvals.models import OutputSubmission
from audit.services import record
from compensation.models import LedgerEntry
from compensation.services import accrue_once
from compensation.services.ledger import checked_amount, checked_currency
from core.errors import DomainError, NotAllowed
from core.languages import language_of
from core.services import notify
from core.text import refuse_control_characters
from participants.models import Participation
from participants.services import require_can_work
from programs import policy, signals
from programs.models import Programme, TermsVersion

from .models import Competition, CompetitionEntry, CreditName, PromotionalUse, TrainingChoice
from .selectors import accepted_terms, credit_name_of

U = PromotionalUse.Status


def _participation(user, programme) -> Participation:
    return Participation.objects.get(user=user, programme=programme)


def _accrue_use(use: PromotionalUse) -> None:
    """The fee of a use that happens, to the ledger once (none for an unpaid use)."""
    if not use.paid or use.ledger_entry_id:
        return
    entry, _ = accrue_once(
        participation=_participation(use.participant, use.programme),
        kind=LedgerEntry.Kind.PROMOTION,
        amount=use.fee,
        currency=use.currency,
        source_type="publicity.promotionaluse",
        source_id=str(use.pk),
        description=(
            f"Promotional use: {use.get_channel_display()}, {use.period_start:%Y-%m-%d} to "
            f"{use.period_end:%Y-%m-%d}, {use.territory}, of “{use.submission.title}”"
        ),
        terms=use.terms_version,
        maker=use.requested_by,
    )
    PromotionalUse.objects.filter(pk=use.pk).update(ledger_entry=entry)
    use.ledger_entry = entry


_ONE_OPEN_REQUEST = (
    "A request to use this output in this channel is waiting for the tester's answer; "
    "one open request at a time."
)


def _promotion_terms(submission: OutputSubmission) -> TermsVersion:
    """The terms the tester accepted, once they allow promotional use of an approved output."""
    if not submission.is_approved:
        raise DomainError(
            f"“{submission.title}” is {submission.get_status_display().lower()}, not approved: "
            "only an approved output can be used in promotion."
        )
    terms = accepted_terms(submission.participant, submission.programme)
    if terms is None or terms.promotional_use == TermsVersion.PromotionalUse.NO:
        version = f"version {terms.number}" if terms else "no version"
        raise DomainError(
            f"The terms the tester accepted ({version}) do not allow promotional use of "
            "their outputs. Publish terms that do; the tester must accept them first."
        )
    return terms


def _check_use(
    *, submission, terms, channel: str, period_start, period_end, territory: str, credit_line: str
) -> tuple[str, str]:
    """(territory, credit line), cleaned, once the request is complete and none is open."""
    if channel not in PromotionalUse.Channel.values:
        raise DomainError(f"“{channel}” is not a channel.", field="channel")
    if not period_start or not period_end or period_end < period_start:
        raise DomainError("The period must end on or after the day it starts.", field="period_end")
    if period_end < timezone.localdate():
        raise DomainError(
            "The period is over already; ask for a period to come.", field="period_end"
        )
    territory = (territory or "").strip()
    if not territory:
        raise DomainError("Say where the output will be shown (territory).", field="territory")
    refuse_control_characters(territory, field="territory", what="territory")
    credit_line = (credit_line or "").strip()
    refuse_control_characters(credit_line, field="credit_line", what="credit line")
    # The tester's own choice of credit name, where they made one, is the credit line.
    chosen = credit_name_of(submission.participant, submission.programme)
    if chosen is not None:
        credit_line = chosen.shown(credit=True)
    elif terms.promotion_credit == TermsVersion.PromotionCredit.NAMED and not credit_line:
        raise DomainError(
            "The terms promise credit with the tester's name: give the credit line.",
            field="credit_line",
        )
    if PromotionalUse.objects.filter(
        submission=submission, channel=channel, status=U.REQUESTED
    ).exists():
        raise DomainError(_ONE_OPEN_REQUEST, field="channel")
    return territory, credit_line


def _tell_tester_of_use(use: PromotionalUse, *, included: bool) -> None:
    submission = use.submission
    words = {"name": submission.programme.name, "title": submission.title}
    with translation.override(language_of(submission.participant, submission.programme)):
        subject = (
            gettext("%(name)s uses “%(title)s” in promotion")
            if included
            else gettext("%(name)s asks to use “%(title)s” in promotion")
        ) % words
        fee = f"{use.fee} {use.currency}" if use.paid else gettext("unpaid, as your terms say")
        body = gettext(
            "Channel: %(channel)s\nPeriod: %(start)s to %(end)s\nTerritory: %(territory)s\n"
            "Credit: %(credit)s\nFee: %(fee)s"
        ) % {
            "channel": use.get_channel_display(),
            "start": use.period_start,
            "end": use.period_end,
            "territory": use.territory,
            "credit": use.credit_line or gettext("none"),
            "fee": fee,
        }
        body += "\n" + (
            gettext("Your terms include this use; no answer is needed.")
            if included
            else gettext("Accept or decline it; declining costs you nothing.")
        )
    notify(
        user=submission.participant,
        subject=subject,
        body=body,
        dedupe_key=f"publicity.use:{use.pk}:asked",
        url=reverse("publicity:uses"),
        programme=submission.programme,
    )


@transaction.atomic
def use_request(
    *,
    actor,
    submission: OutputSubmission,
    channel: str,
    period_start: date,
    period_end: date,
    territory: str,
    credit_line: str = "",
) -> PromotionalUse:
    """A manager asks to use an approved output in the organiser's promotion.

    Refused with the reason when the output is not approved, when the terms the tester
    accepted do not allow promotion, or while a request for the same output and channel
    waits for the tester's answer. Where the terms include promotion the use is recorded
    at once and its fee accrues; otherwise the tester is asked.
    """
    submission = (
        OutputSubmission.objects.select_for_update()
        .select_related("programme", "participant")
        .get(pk=submission.pk)
    )
    policy.require(actor, "promote", submission)
    terms = _promotion_terms(submission)
    territory, credit_line = _check_use(
        submission=submission,
        terms=terms,
        channel=channel,
        period_start=period_start,
        period_end=period_end,
        territory=territory,
        credit_line=credit_line,
    )
    included = terms.promotional_use == TermsVersion.PromotionalUse.INCLUDED
    now = timezone.now()
    try:
        with transaction.atomic():
            use = PromotionalUse.objects.create(
                programme=submission.programme,
                submission=submission,
                participant=submission.participant,
                terms_version=terms,
                channel=channel,
                period_start=period_start,
                period_end=period_end,
                territory=territory[:120],
                credit_line=credit_line[:200],
                fee=terms.promotion_fee or 0,
                currency=terms.currency,
                status=U.INCLUDED if included else U.REQUESTED,
                requested_by=actor,
                requested_at=now,
                answered_at=now if included else None,
            )
    except IntegrityError:
        raise DomainError(_ONE_OPEN_REQUEST, field="channel") from None
    record(
        action="publicity.use.included" if included else "publicity.use.requested",
        obj=use,
        actor=actor,
        programme=submission.programme,
        subject=submission.participant,
        data={
            "submission": submission.pk,
            "channel": channel,
            "period": [period_start, period_end],
            "territory": use.territory,
            "fee": str(use.fee),
            "currency": use.currency,
            "terms_version": terms.number,
        },
    )
    _tell_tester_of_use(use, included=included)
    if included:
        _accrue_use(use)
    return use


@transaction.atomic
def use_answer(*, actor, use: PromotionalUse, accept: bool) -> PromotionalUse:
    """The tester accepts or declines a request. A decline costs nothing and is final for
    that request; an accepted use accrues its fee once."""
    use = (
        PromotionalUse.objects.select_for_update()
        .select_related("programme", "submission", "participant", "requested_by")
        .get(pk=use.pk)
    )
    if actor is None or use.participant_id != actor.pk:
        raise NotAllowed("Only the tester whose output it is can answer this request.")
    if use.status != U.REQUESTED:
        raise DomainError(f"This request was already answered: {use.get_status_display()}.")
    use.status = U.ACCEPTED if accept else U.DECLINED
    use.answered_at = timezone.now()
    use.save(update_fields=["status", "answered_at"])
    record(
        action="publicity.use.accepted" if accept else "publicity.use.declined",
        obj=use,
        actor=actor,
        programme=use.programme,
        subject=actor,
        data={"submission": use.submission_id, "channel": use.channel},
    )
    notify(
        user=use.requested_by,
        subject=(
            f"{'Accepted' if accept else 'Declined'}: {use.get_channel_display()} use of "
            f"“{use.submission.title}”"
        ),
        body=(
            "The tester accepted the use as asked."
            if accept
            else "The tester declined. The output may not be used in this channel and period."
        ),
        dedupe_key=f"publicity.use:{use.pk}:answered",
        programme=use.programme,
    )
    if accept:
        _accrue_use(use)
    return use


# --- Training use ------------------------------------------------------------------------


@transaction.atomic
def training_choose(
    *, actor, programme: Programme, allowed: bool, submission: OutputSubmission | None = None
) -> TrainingChoice:
    """The tester's choice, from now on, whether an output (or by default their outputs) may
    be used for training, where the terms they accepted make it their choice."""
    if submission is not None:
        submission = OutputSubmission.objects.select_related("programme").get(pk=submission.pk)
        if actor is None or submission.participant_id != actor.pk:
            raise NotAllowed("Only the tester whose output it is can choose its training use.")
        programme = submission.programme
    if actor is None or not actor.is_authenticated:
        raise NotAllowed("Sign in to choose.")
    Participation.objects.select_for_update().filter(user=actor, programme=programme).first()
    terms = accepted_terms(actor, programme)
    if terms is None:
        raise NotAllowed("You have not accepted terms in this programme.")
    T = TermsVersion.TrainingUse
    if not terms.training_is_a_choice:
        raise DomainError(
            f"Under the terms you accepted training use is not a choice: "
            f"{terms.get_training_use_display()}."
        )
    if submission is not None and terms.training_use == T.OPT_IN:
        raise DomainError(
            "Your terms ask for one choice for all your outputs: set your default instead."
        )
    choice = TrainingChoice.objects.create(
        programme=programme,
        participant=actor,
        submission=submission,
        allowed=bool(allowed),
        chosen_at=timezone.now(),
    )
    what = f"“{submission.title}”" if submission else "your outputs by default"
    record(
        action="publicity.training.chosen",
        obj=choice,
        actor=actor,
        programme=programme,
        subject=actor,
        data={"submission": submission.pk if submission else None, "allowed": bool(allowed)},
    )
    # The consent registry and content credentials follow the choice (provenance).
    signals.training_chosen.send(
        TrainingChoice,
        programme=programme,
        payload=signals.TrainingChosen(
            participant=actor.pk,
            submission=submission.pk if submission else None,
            allowed=bool(allowed),
        ),
    )
    notify(
        user=actor,
        subject=f"Training use of {what}: {'allowed' if allowed else 'not allowed'} from now on",
        body=(
            "The product team reads this through the API and honours it from now on; "
            "you may change it again at any time."
        ),
        dedupe_key=f"publicity.training:{choice.pk}",
        programme=programme,
    )
    return choice


# --- Credit names ------------------------------------------------------------------------

CREDIT_NAME_LIMITS = {"display_name": ("display name", 80), "credit_name": ("credit name", 120)}


@transaction.atomic
def credit_name_set(
    *, actor, programme: Programme, display_name: str = "", credit_name: str = "", unnamed=False
) -> CreditName:
    """The tester says how they want to be named in a programme: a display name (competition
    results), a credit name (credit lines, the proof pages of their outputs), or to stay
    unnamed everywhere. From now on; uses already agreed keep the credit line they were
    agreed with."""
    if actor is None or not actor.is_authenticated:
        raise NotAllowed("Sign in to choose how you are named.")
    participation = (
        Participation.objects.select_for_update().filter(user=actor, programme=programme).first()
    )
    if participation is None:
        raise NotAllowed(f"You do not take part in {programme.name}.")
    names = {"display_name": display_name, "credit_name": credit_name}
    for field, (what, limit) in CREDIT_NAME_LIMITS.items():
        names[field] = "" if unnamed else (names[field] or "").strip()
        refuse_control_characters(names[field], field=field, what=what)
        if len(names[field]) > limit:
            raise DomainError(f"The {what} is at most {limit} characters.", field=field)
    if not unnamed and not any(names.values()):
        raise DomainError(
            "Give a display name or a credit name, or choose to stay unnamed.",
            field="display_name",
        )
    chosen, _ = CreditName.objects.update_or_create(
        participation=participation, defaults={**names, "unnamed": bool(unnamed)}
    )
    record(
        action="publicity.credit_name.set",
        obj=chosen,
        actor=actor,
        programme=programme,
        subject=actor,
        data={**names, "unnamed": bool(unnamed)},
    )
    return chosen


# --- Competitions ------------------------------------------------------------------------


def _aware(value) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    raise DomainError("Give a date and time.")


def _check_competition(
    programme,
    *,
    title,
    criteria,
    prize_count,
    prize_amount,
    judges,
    entry_deadline,
    results_by,
    currency,
) -> dict:
    """The competition's fields, cleaned, once everything is stated up front and consistent."""
    title, criteria, judges = (
        (title or "").strip(),
        (criteria or "").strip(),
        (judges or "").strip(),
    )
    if not title:
        raise DomainError("Give the competition a title.", field="title")
    refuse_control_characters(title, field="title", what="competition title")
    refuse_control_characters(judges, field="judges", what="list of judges")
    if not criteria:
        raise DomainError("State the criteria the judges apply.", field="criteria")
    if not judges:
        raise DomainError("Say who judges.", field="judges")
    if not prize_count or int(prize_count) < 1:
        raise DomainError("A competition has at least one prize.", field="prize_count")
    amount = checked_amount(prize_amount, field_name="prize_amount")
    if amount <= 0:
        raise DomainError("A prize is a positive amount.", field="prize_amount")
    currency = checked_currency(currency or programme.currency)
    entry_deadline, results_by = _aware(entry_deadline), _aware(results_by)
    if entry_deadline <= timezone.now():
        raise DomainError("The entry deadline must be in the future.", field="entry_deadline")
    if results_by < entry_deadline:
        raise DomainError("Results come after the entry deadline.", field="results_by")
    return {
        "title": title[:200],
        "criteria": criteria[:4000],
        "prize_count": int(prize_count),
        "prize_amount": amount,
        "currency": currency,
        "judges": judges[:300],
        "entry_deadline": entry_deadline,
        "results_by": results_by,
    }


def _announce_competition(competition: Competition) -> None:
    """Every active participant of the programme hears of it, with its rules."""
    programme = competition.programme
    for participation in Participation.objects.filter(
        programme=programme, status=Participation.Status.ACTIVE
    ).select_related("user"):
        notify(
            user=participation.user,
            subject=f"Competition in {programme.name}: {competition.title}",
            body=(
                f"{competition.prize_count} prizes of {competition.prize_amount} "
                f"{competition.currency}. Criteria: {competition.criteria}\nJudged by "
                f"{competition.judges}. Enter by {competition.entry_deadline:%Y-%m-%d %H:%M} "
                f"UTC; results by {competition.results_by:%Y-%m-%d}."
            ),
            dedupe_key=f"publicity.competition:{competition.pk}:{participation.user_id}",
            url=reverse("publicity:competition", args=[competition.pk]),
            programme=programme,
        )


@transaction.atomic
def competition_create(
    *,
    actor,
    programme: Programme,
    title: str,
    criteria: str,
    prize_count: int,
    prize_amount,
    judges: str,
    entry_deadline: datetime,
    results_by: datetime,
    currency: str = "",
) -> Competition:
    """A manager announces a competition with everything stated up front: prizes,
    criteria, entry deadline, who judges and when results come."""
    programme = Programme.objects.select_for_update().get(pk=programme.pk)
    policy.require(actor, "manage", programme)
    fields = _check_competition(
        programme,
        title=title,
        criteria=criteria,
        prize_count=prize_count,
        prize_amount=prize_amount,
        judges=judges,
        entry_deadline=entry_deadline,
        results_by=results_by,
        currency=currency,
    )
    competition = Competition.objects.create(programme=programme, created_by=actor, **fields)
    record(
        action="publicity.competition.created",
        obj=competition,
        actor=actor,
        programme=programme,
        data={
            "title": competition.title,
            "prizes": competition.prize_count,
            "prize_amount": str(competition.prize_amount),
            "currency": competition.currency,
            "entry_deadline": competition.entry_deadline,
            "results_by": competition.results_by,
        },
    )
    _announce_competition(competition)
    return competition


def check_can_enter(submission: OutputSubmission) -> None:
    """Only an output approved for public use may enter a competition: the entries are shown
    and judged in public, and an approval for private use only does not allow that."""
    if not submission.is_approved:
        raise DomainError(
            f"“{submission.title}” is {submission.get_status_display().lower()}; only an "
            "approved output may enter a competition.",
            field="submission",
        )
    if submission.intended_use == OutputSubmission.IntendedUse.PRIVATE:
        raise DomainError(
            f"“{submission.title}” was approved for private use only; a competition is public. "
            "Submit it for a public use first.",
            field="submission",
        )


def eligible_outputs(user, competition: Competition):
    """The person's outputs that may enter this competition and are not entered yet."""
    return (
        OutputSubmission.objects.mine(user)
        .filter(programme=competition.programme_id, status__in=OutputSubmission.APPROVED_STATES)
        .exclude(intended_use=OutputSubmission.IntendedUse.PRIVATE)
        .exclude(competition_entries__competition=competition)
        .order_by("-submitted_at")
    )


@transaction.atomic
def competition_entry_withdraw(
    *, actor, competition: Competition, submission: OutputSubmission
) -> None:
    """The tester takes an entry back before the deadline; the audit log keeps that it was
    entered and withdrawn, and the entry no longer counts in the odds."""
    competition = (
        Competition.objects.select_for_update().select_related("programme").get(pk=competition.pk)
    )
    entry = CompetitionEntry.objects.filter(competition=competition, submission=submission).first()
    if entry is None or actor is None or entry.entrant_id != actor.pk:
        raise NotAllowed("Only the tester who entered an output can withdraw it.")
    if not competition.is_open_for_entries:
        raise DomainError(
            "Entries to this competition are closed; an entry can be withdrawn only before the "
            "deadline."
        )
    record(
        action="publicity.competition.entry_withdrawn",
        obj=entry,
        actor=actor,
        programme=competition.programme,
        subject=actor,
        data={"competition": competition.pk, "submission": submission.pk},
    )
    entry.delete()


@transaction.atomic
def competition_enter(
    *, actor, competition: Competition, submission: OutputSubmission
) -> CompetitionEntry:
    """A tester enters one of their outputs before the deadline."""
    competition = (
        Competition.objects.select_for_update().select_related("programme").get(pk=competition.pk)
    )
    submission = OutputSubmission.objects.get(pk=submission.pk)
    if actor is None or submission.participant_id != actor.pk:
        raise NotAllowed("Only the tester whose output it is can enter it.")
    if submission.programme_id != competition.programme_id:
        raise DomainError("This output belongs to another programme.", field="submission")
    if policy.has_role(actor, competition.programme, "staff"):
        raise NotAllowed(
            f"Staff of {competition.programme.name} cannot enter its competitions: a colleague "
            "would judge them."
        )
    require_can_work(actor, competition.programme)
    if not competition.is_open_for_entries:
        raise DomainError("Entries to this competition are closed.")
    check_can_enter(submission)
    if CompetitionEntry.objects.filter(competition=competition, submission=submission).exists():
        raise DomainError("This output is already entered.", field="submission")
    entry = CompetitionEntry.objects.create(
        competition=competition, submission=submission, entrant=actor, entered_at=timezone.now()
    )
    record(
        action="publicity.competition.entered",
        obj=entry,
        actor=actor,
        programme=competition.programme,
        subject=actor,
        data={"competition": competition.pk, "submission": submission.pk},
    )
    notify(
        user=actor,
        subject=f"Entered in {competition.title}: “{submission.title}”",
        body=f"Results by {competition.results_by:%Y-%m-%d}, with the number of entries.",
        dedupe_key=f"publicity.entry:{entry.pk}",
        url=reverse("publicity:competition", args=[competition.pk]),
        programme=competition.programme,
    )
    return entry


@transaction.atomic
def competition_publish(*, actor, competition: Competition, winners) -> Competition:
    """The judges publish the results: the winners, ranked, and the number of entries, so
    the odds are public. Each prize accrues to the ledger once. Nobody judges a competition
    in which they have an entry."""
    competition = (
        Competition.objects.select_for_update().select_related("programme").get(pk=competition.pk)
    )
    policy.require(actor, "judge", competition)
    if competition.status != Competition.Status.OPEN:
        raise DomainError("The results of this competition are already published.")
    if timezone.now() < competition.entry_deadline:
        raise DomainError("Entries are still open; publish the results after the deadline.")
    entries = list(
        CompetitionEntry.objects.filter(competition=competition).select_related(
            "submission", "entrant", "competition"
        )
    )
    for entry in entries:
        policy.require(actor, "judge", entry)  # nobody judges their own entry
    by_id = {entry.pk: entry for entry in entries}
    winners = [int(w) for w in (winners or [])]
    if len(set(winners)) != len(winners):
        raise DomainError("An entry can win only once.", field="winners")
    unknown = [w for w in winners if w not in by_id]
    if unknown:
        raise DomainError("Winners must be entries of this competition.", field="winners")
    if len(winners) > competition.prize_count:
        raise DomainError(
            f"This competition has {competition.prize_count} prizes, not {len(winners)}.",
            field="winners",
        )
    if entries and not winners:
        raise DomainError("Name the winners.", field="winners")
    competition.status = Competition.Status.PUBLISHED
    competition.published_at = timezone.now()
    competition.published_by = actor
    competition.entries_at_results = len(entries)
    competition.save(update_fields=["status", "published_at", "published_by", "entries_at_results"])
    for rank, entry_id in enumerate(winners, start=1):
        entry = by_id[entry_id]
        _award_prize(
            actor,
            entry,
            competition,
            rank,
            f"Prize {rank} in {competition.title} ({competition.odds()})",
        )
    record(
        action="publicity.competition.published",
        obj=competition,
        actor=actor,
        programme=competition.programme,
        data={"entries": len(entries), "winners": winners, "odds": competition.odds()},
    )
    for entry in entries:
        won = entry.pk in winners
        notify(
            user=entry.entrant,
            subject=f"Results of {competition.title}: {competition.odds()}",
            body=(
                "Your entry won a prize; it is on your statement."
                if won
                else "Your entry did not win a prize this time. Thank you for taking part."
            ),
            dedupe_key=f"publicity.results:{entry.pk}",
            url=reverse("publicity:competition", args=[competition.pk]),
            programme=competition.programme,
        )
    return competition


def _award_prize(actor, entry, competition, rank: int, description: str) -> None:
    """Accrue `competition`'s prize to `entry` once, ranked `rank`, made by `actor`."""
    ledger, _ = accrue_once(
        participation=_participation(entry.entrant, competition.programme),
        kind=LedgerEntry.Kind.PRIZE,
        amount=competition.prize_amount,
        currency=competition.currency,
        source_type="publicity.competitionentry",
        source_id=str(entry.pk),
        description=description[:300],
        terms=accepted_terms(entry.entrant, competition.programme),
        maker=actor,
    )
    CompetitionEntry.objects.filter(pk=entry.pk).update(prize_rank=rank, ledger_entry=ledger)


@transaction.atomic
def competition_entry_award(*, actor, entry: CompetitionEntry, why: str) -> CompetitionEntry:
    """A prize for an entry whose result its entrant contested and won (`recourse`): ranked
    after the published winners, accrued like theirs, once. Judged by someone without an
    entry, as the results are."""
    entry = (
        CompetitionEntry.objects.select_for_update()
        .select_related("competition__programme", "entrant")
        .get(pk=entry.pk)
    )
    competition = entry.competition
    policy.require(actor, "judge", entry)
    if competition.status != Competition.Status.PUBLISHED:
        raise DomainError("The results of this competition are not published yet.")
    if entry.prize_rank is not None:
        raise DomainError("This entry already won a prize.")
    ranks = CompetitionEntry.objects.filter(competition=competition, prize_rank__isnull=False)
    rank = max(ranks.values_list("prize_rank", flat=True), default=0) + 1
    _award_prize(
        actor,
        entry,
        competition,
        rank,
        f"Prize {rank} in {competition.title}, after a contest: {why}",
    )
    record(
        action="publicity.competition.prize_added",
        obj=competition,
        actor=actor,
        programme=competition.programme,
        subject=entry.entrant,
        data={"entry": entry.pk, "rank": rank},
    )
    return entry


@transaction.atomic
def use_fee_owed(*, actor, use: PromotionalUse, owed, why: str) -> LedgerEntry:
    """The fee a won contest (`recourse`) says the terms promise for `use`: the difference
    between it and the fee set accrues to the ledger once, made by the contest's answerer."""
    use = (
        PromotionalUse.objects.select_for_update()
        .select_related("programme", "submission", "participant")
        .get(pk=use.pk)
    )
    policy.require(actor, "owe_fee", use)
    owed = checked_amount(owed)
    if owed <= use.fee:
        raise DomainError(
            f"The fee set was {use.fee} {use.currency}: state an amount owed above it.",
            field="owed",
        )
    entry, _ = accrue_once(
        participation=_participation(use.participant, use.programme),
        kind=LedgerEntry.Kind.PROMOTION,
        amount=owed - use.fee,
        currency=use.currency,
        source_type="publicity.promotionaluse.fee",
        source_id=str(use.pk),
        description=(
            f"Promotional-use fee owed after a contest ({owed} {use.currency}, "
            f"{use.fee} set) for “{use.submission.title}”: {why}"
        )[:300],
        terms=use.terms_version,
        maker=actor,
    )
    record(
        action="publicity.use.fee_owed",
        obj=use,
        actor=actor,
        programme=use.programme,
        subject=use.participant,
        data={"owed": str(owed), "fee": str(use.fee), "entry": entry.pk},
    )
    return entry
