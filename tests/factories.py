"""factory-boy factories for the domain records tests build on."""

from datetime import timedelta
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone

from audit.services import record
from participants.models import Consent, Participation
from programs.models import Programme, ProgrammeRole, TermsVersion

PASSWORD = "demo-pass-2024"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.LazyAttribute(lambda o: o.email)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])
            EmailAddress.objects.get_or_create(
                user=self, email=self.email, defaults={"verified": True, "primary": True}
            )


class ProgrammeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Programme {n}")
    slug = factory.Sequence(lambda n: f"programme-{n}")
    product = "Video model"
    status = Programme.Status.RUNNING
    currency = "EUR"


class TermsFactory(factory.django.DjangoModelFactory):
    """Published, fair terms: hourly pay, 72 h review with deemed approval."""

    class Meta:
        model = TermsVersion
        skip_postgeneration_save = True

    programme = factory.SubFactory(ProgrammeFactory)
    number = 1
    status = TermsVersion.Status.PUBLISHED
    expected_activities = ["bug_testing", "feedback"]
    expected_hours_per_week = Decimal("5")
    pay_model = TermsVersion.PayModel.HOURLY
    hourly_rate = Decimal("25.00")
    currency = "EUR"
    approval_scope = TermsVersion.ApprovalScope.PUBLIC_SHARING
    review_deadline_hours = 72
    on_missed_deadline = TermsVersion.OnMissedDeadline.DEEMED_APPROVED
    material_change = True
    body = "These are the terms."
    published_at = factory.LazyFunction(timezone.now)
    effective_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))

    @factory.post_generation
    def hashed(self, create, extracted, **kwargs):
        if self.status == TermsVersion.Status.PUBLISHED:
            self.content_hash = self.compute_hash()
            if create:
                TermsVersion.objects.filter(pk=self.pk).update(content_hash=self.content_hash)
        if create:  # as terms_draft_create and terms_publish do: the event binding the version
            published = self.status == TermsVersion.Status.PUBLISHED
            record(
                action="programs.terms.published" if published else "programs.terms.drafted",
                obj=self,
                programme=self.programme,
                data={"number": self.number},
            )


JOINED_DAYS_AGO = 60


def make_participant(programme, user=None, *, consent=True, **user_kwargs):
    """An active participant who (by default) accepted the terms in force."""
    from programs.selectors import current_terms

    user = user or UserFactory(**user_kwargs)
    participation, created = Participation.objects.get_or_create(
        user=user, programme=programme, defaults={"status": Participation.Status.ACTIVE}
    )
    # They joined and accepted weeks ago, so tests may log past hours (work before joining
    # or before consenting is refused).
    since = timezone.now() - timedelta(days=JOINED_DAYS_AGO)
    if created:
        Participation.objects.filter(pk=participation.pk).update(joined_at=since)
        participation.joined_at = since
    terms = current_terms(programme)
    if consent and terms is not None:
        accepted, made = Consent.objects.get_or_create(
            participation=participation,
            terms_version=terms,
            defaults={"terms_hash": terms.content_hash, "accepted_at": since},
        )
        if made:  # as consent_accept does: the event that binds the consent (audit.binding)
            record(
                action="participants.consent.accepted",
                obj=accepted,
                actor=user,
                programme=programme,
                subject=user,
                data={"terms_version": terms.number, "terms_hash": terms.content_hash},
            )
    return user


def make_staff(programme, role, user=None, **user_kwargs):
    user = user or UserFactory(**user_kwargs)
    ProgrammeRole.objects.get_or_create(programme=programme, user=user, role=role)
    return user
