"""Demo data for `python -m demo`: people, the two contrasting programmes, terms, memberships.

The other modules of this package (`demo.feedback`, `demo.approvals`,
`demo.compensation`) each have `seed(ctx)`; `demo.seed()` calls them in that order
after this one, with `ctx` holding what this module created. Every seeder
is idempotent: it returns at once when its data is already there.
"""

import contextlib
from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from participants import services as participant_services
from participants.models import Participation
from programs import services as programme_services
from programs.models import Programme, ProgrammeRole, TermsVersion
from programs.selectors import current_terms

PASSWORD = "demo-pass-2024"
LOGINS = [
    ("participant@example.com", "participant in both programmes"),
    ("participant2@example.com", "another participant in both programmes"),
    ("reviewer@example.com", "reviewer of both programmes"),
    ("finance@example.com", "finance for both programmes"),
    ("manager@example.com", "manager of every programme"),
    ("admin@example.com", "superuser (Django admin)"),
]
FIRST_NAMES = ["Ada", "Bo", "Cleo", "Dev", "Eli", "Fen", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST_NAMES = ["Moreau", "Okafor", "Silva", "Tanaka", "Novak", "Haddad", "Berg", "Quinn"]

CRITICISED = dict(
    expected_activities=["bug_testing", "feedback", "creative_work"],
    expected_hours_per_week=Decimal("6"),
    pay_model=TermsVersion.PayModel.UNPAID,
    in_kind_benefits="free access to the model; a few films may be chosen for a screening",
    approval_scope=TermsVersion.ApprovalScope.EVERY_OUTPUT,
    review_deadline_hours=None,
    on_missed_deadline="",
    appeals_allowed=False,
    nda=True,
    nda_until_text="until launch",
    nda_public_scope="nothing without written approval",
    training_use=TermsVersion.TrainingUse.YES,
    credit_attribution="none promised",
    # "We are not your PR puppets": used in the company's promotion, unasked and unpaid.
    promotional_use=TermsVersion.PromotionalUse.INCLUDED,
    promotion_fee=None,
    promotion_credit=TermsVersion.PromotionCredit.UNNAMED,
    voluntary=True,
    right_to_withdraw=True,
    notice_period_days=0,
    pause_policy="at any time, for any reason",
    body=(
        "Participants test the model, report bugs and give feedback.\n"
        "Every output must be approved by the company before it is shared anywhere.\n"
        "Participants are bound by a non-disclosure agreement until the public launch."
    ),
)

# The criticised terms in French, published with their version: English binds, French helps.
CRITICISED_FR = dict(
    in_kind_benefits="accès gratuit au modèle ; quelques films pourront être choisis pour une "
    "projection",
    nda_until_text="jusqu’au lancement",
    nda_public_scope="rien sans accord écrit",
    credit_attribution="aucune mention promise",
    pause_policy="à tout moment, pour n’importe quelle raison",
    body=(
        "Les participants testent le modèle, signalent les bogues et donnent leur avis.\n"
        "Chaque œuvre doit être validée par l’entreprise avant d’être partagée où que "
        "ce soit.\n"
        "Les participants sont tenus par un accord de confidentialité jusqu’au lancement public."
    ),
)

FAIR = dict(
    expected_activities=["bug_testing", "feedback", "creative_work"],
    expected_hours_per_week=Decimal("5"),
    pay_model=TermsVersion.PayModel.HOURLY,
    hourly_rate=Decimal("30.00"),
    payment_schedule="paid monthly",
    approval_scope=TermsVersion.ApprovalScope.PUBLIC_SHARING,
    review_deadline_hours=72,
    on_missed_deadline=TermsVersion.OnMissedDeadline.DEEMED_APPROVED,
    appeals_allowed=True,
    nda=True,
    nda_until=date(date.today().year + 1, 6, 30),
    nda_public_scope="that you take part, and any approved output",
    training_use=TermsVersion.TrainingUse.NO,
    credit_attribution="named credit on every published output",
    promotional_use=TermsVersion.PromotionalUse.CONSENT,
    promotion_fee=Decimal("200.00"),
    promotion_credit=TermsVersion.PromotionCredit.NAMED,
    voluntary=True,
    right_to_withdraw=True,
    notice_period_days=14,
    pause_policy="only for a security incident, with the reason stated",
    body=(
        "Participants test the model and give feedback, paid by the hour.\n"
        "Outputs need approval only before public sharing, decided within 72 hours;\n"
        "a missed deadline means the output is approved.\n"
        "Your outputs are never used as training data."
    ),
)

BOUNTY = dict(
    expected_activities=["red_teaming"],
    expected_hours_per_week=None,
    pay_model=TermsVersion.PayModel.BOUNTY,
    bounty_table={"low": "50.00", "medium": "150.00", "high": "500.00", "critical": "2000.00"},
    payment_schedule="paid within 30 days of acceptance",
    approval_scope=TermsVersion.ApprovalScope.PUBLIC_SHARING,
    review_deadline_hours=120,
    on_missed_deadline=TermsVersion.OnMissedDeadline.ESCALATED,
    appeals_allowed=True,
    nda=True,
    nda_until_text="until the finding is fixed",
    nda_public_scope="the finding, once it is fixed",
    training_use=TermsVersion.TrainingUse.PER_OUTPUT,
    voluntary=True,
    right_to_withdraw=True,
    notice_period_days=7,
    body="Red teamers look for harms and risks; each accepted finding is paid by severity.",
)


_HASH = {}


def _user(email, first="", last="", superuser=False):
    """A verified demo account. The password is hashed once and shared (hashing is slow)."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=email, defaults={"email": email, "first_name": first, "last_name": last}
    )
    if created:
        if "hash" not in _HASH:
            _HASH["hash"] = make_password(PASSWORD)
        user.password = _HASH["hash"]
        user.is_superuser = user.is_staff = superuser
        user.save()
        EmailAddress.objects.get_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
    return user


# The programmes started this many days before the demo is seeded: the participants
# joined and accepted the terms then, so the weeks of hours the demo logs are work done
# under terms they had accepted (hours before joining or consenting are refused).
HISTORY_DAYS = 35


@contextlib.contextmanager
def _history_clock(days: int):
    """Seed the start of the demo's history `days` ago (Django reads the time through
    `django.utils.timezone.now`, so every service sees the same earlier clock)."""

    real_now = timezone.now
    offset = timedelta(days=days)
    with mock.patch("django.utils.timezone.now", lambda: real_now() - offset):
        yield


def _programme(admin, manager, slug, name, product, terms, *, status, summary, rate=None):
    programme = Programme.objects.filter(slug=slug).first()
    if programme is None:
        programme = programme_services.programme_create(
            actor=admin,
            manager=manager,
            name=name,
            slug=slug,
            product=product,
            summary=summary,
            currency="EUR",
            reference_hourly_rate=rate,
            approval_threshold=Decimal("1000.00"),
        )
    if current_terms(programme) is None:
        draft = programme_services.terms_draft_create(actor=manager, programme=programme)
        draft = programme_services.terms_draft_update(actor=manager, terms=draft, **terms)
        # The demo's full texts say what their structured terms say (training included).
        programme_services.terms_publish(actor=manager, terms=draft, passages_agree=True)
        programme = programme_services.programme_set_status(
            actor=manager, programme=programme, status=status
        )
    return programme


def _translate(programme, manager, language: str, texts: dict) -> None:
    """A translation of the terms in force, unless it has one in that language already."""
    terms = current_terms(programme)
    if not terms.translations.filter(language=language).exists():
        programme_services.terms_translation_publish(
            actor=manager, terms=terms, language=language, texts=texts
        )


def _join(programme, user, manager):
    if Participation.objects.filter(programme=programme, user=user).exists():
        return
    inv = participant_services.invitations_create(
        actor=manager, programme=programme, emails=[user.email]
    )[0]
    participant_services.invitation_accept(actor=user, token=inv.plain_token)
    terms = current_terms(programme)
    participant_services.consent_accept(
        actor=user, programme=programme, terms=terms, seen_hash=terms.content_hash
    )


def _people() -> dict:
    """The demo logins and the 48 testers."""
    return {
        "admin": _user("admin@example.com", "Ada", "Admin", superuser=True),
        "manager": _user("manager@example.com", "Mia", "Manager"),
        "reviewer": _user("reviewer@example.com", "Rui", "Reviewer"),
        "finance": _user("finance@example.com", "Fay", "Finance"),
        "participant": _user("participant@example.com", "Pat", "Participant"),
        "participant2": _user("participant2@example.com", "Sam", "Second"),
        "testers": [
            _user(
                f"tester{i:02d}@example.com",
                FIRST_NAMES[i % len(FIRST_NAMES)],
                LAST_NAMES[i % len(LAST_NAMES)],
            )
            for i in range(1, 49)
        ],
    }


def _programmes(admin, manager) -> dict:
    """The three programmes: the criticised terms, the fair ones, an open call."""
    return {
        "criticised": _programme(
            admin,
            manager,
            "artist-alpha",
            "Artist Alpha (the criticised terms)",
            "Unreleased text-to-video model",
            CRITICISED,
            status=Programme.Status.RUNNING,
            summary="The deal the protesting artists described: unpaid, every output approved "
            "by the company, no review deadline, NDA until launch, outputs used for training.",
        ),
        "fair": _programme(
            admin,
            manager,
            "fair-beta",
            "Fair Creative Beta",
            "Unreleased text-to-video model",
            FAIR,
            status=Programme.Status.RUNNING,
            summary="The same product tested on fair terms: paid hourly, 72-hour review with "
            "deemed approval, limited NDA, no training on participants' work.",
            rate=Decimal("30.00"),
        ),
        "redteam": _programme(
            admin,
            manager,
            "red-team-open-call",
            "Red Team Open Call",
            "Unreleased text-to-video model",
            BOUNTY,
            status=Programme.Status.OPEN,
            summary="Open to applications: red teamers paid per accepted finding.",
            rate=Decimal("60.00"),
        ),
    }


def _staff_and_members(ctx: dict) -> None:
    """Reviewer and finance in every programme; the two demo participants in both running
    programmes, the testers shared between them."""
    manager = ctx["manager"]
    for programme in (ctx["criticised"], ctx["fair"], ctx["redteam"]):
        for person, role in (
            (ctx["reviewer"], ProgrammeRole.Role.REVIEWER),
            (ctx["finance"], ProgrammeRole.Role.FINANCE),
        ):
            programme_services.role_grant(
                actor=manager, programme=programme, user=person, role=role
            )
    for person in (ctx["participant"], ctx["participant2"]):
        _join(ctx["criticised"], person, manager)
        _join(ctx["fair"], person, manager)
    for i, person in enumerate(ctx["testers"]):
        _join(ctx["criticised"] if i % 2 == 0 else ctx["fair"], person, manager)


def _later_history(ctx: dict) -> None:
    """A second version of the fair terms, the story's pause, and something pending in each
    queue of the staff area."""
    manager, criticised, fair, redteam = (
        ctx["manager"],
        ctx["criticised"],
        ctx["fair"],
        ctx["redteam"],
    )
    # A second, non-material version of the fair terms (only the text), so history and
    # diffs show; a change of any term of the deal would be material.
    if not TermsVersion.objects.filter(programme=fair, number=2).exists():
        draft = programme_services.terms_draft_create(actor=manager, programme=fair)
        draft = programme_services.terms_draft_update(
            actor=manager,
            terms=draft,
            material_change=False,
            change_summary="Clarified credit in the text.",
            body=FAIR["body"] + "\nCredit is given by name unless you ask to stay anonymous.",
        )
        # A change of the full text is editorial only when a second manager confirms it.
        programme_services.terms_editorial_request(actor=manager, terms=draft)
        programme_services.terms_editorial_confirm(actor=ctx["admin"], terms=draft)
        programme_services.terms_publish(actor=manager, terms=draft)
    # What happened in the story: access paused for everyone after the protest.
    if not criticised.pauses.exists():
        pause = participant_services.pause_start(
            actor=manager,
            programme=criticised,
            reason="Access paused for everyone while we look into a leak of access.",
            expected_end=timezone.now() + timedelta(days=3),
        )
        participant_services.pause_end(actor=manager, pause=pause)
    pending_email = "invitee@example.com"
    if not fair.invitations.filter(email=pending_email).exists():
        participant_services.invitations_create(
            actor=manager, programme=fair, emails=[pending_email]
        )
    applicant = _user("applicant@example.com", "Avi", "Applicant")
    if not redteam.applications.exists():
        participant_services.application_submit(
            actor=applicant,
            programme=redteam,
            motivation="I red-team image models for a living and want to test video.",
            portfolio_url="https://example.org/avi",
        )


def seed():
    ctx = _people()
    with _history_clock(HISTORY_DAYS):
        ctx.update(_programmes(ctx["admin"], ctx["manager"]))
        _translate(ctx["criticised"], ctx["manager"], "fr", CRITICISED_FR)
        _staff_and_members(ctx)
    _later_history(ctx)
    return ctx
