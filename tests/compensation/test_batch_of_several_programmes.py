"""A batch of several programmes belongs to finance of every one of them (the policy's rule
for records of several programmes): anyone else neither sees nor settles it."""

import pytest
from django.urls import reverse
from django.utils import timezone

from compensation import services
from compensation.models import PayoutBatch
from core.errors import NotAllowed
from programs.models import ProgrammeRole
from tests.factories import make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_batch(programme, other_programme, finance, participation, award, approve, make_batch):
    make_staff(other_programme, ProgrammeRole.Role.FINANCE, user=finance)
    approve(award(participation, "25.00"))
    return make_batch(programmes=[programme, other_programme])


def test_finance_of_only_one_of_its_programmes_neither_sees_nor_settles_a_batch(
    programme, shared_batch, client
):
    half = make_staff(programme, ProgrammeRole.Role.FINANCE, email="half-finance@example.com")
    assert not PayoutBatch.objects.restrict(half).filter(pk=shared_batch.pk).exists()
    assert not PayoutBatch.objects.restrict(half, "payouts").filter(pk=shared_batch.pk).exists()
    client.force_login(half)
    assert client.get(reverse("compensation:batch", args=[shared_batch.pk])).status_code == 404
    with pytest.raises(NotAllowed):
        services.batch_mark_paid(
            actor=half, batch=shared_batch, reference="PAY-1", paid_on=timezone.localdate()
        )
    shared_batch.refresh_from_db()
    assert shared_batch.status == PayoutBatch.Status.READY


def test_finance_of_every_one_of_its_programmes_sees_and_settles_it(finance, shared_batch, client):
    assert PayoutBatch.objects.restrict(finance, "payouts").filter(pk=shared_batch.pk).exists()
    client.force_login(finance)
    assert client.get(reverse("compensation:batch", args=[shared_batch.pk])).status_code == 200
    paid = services.batch_mark_paid(
        actor=finance, batch=shared_batch, reference="PAY-1", paid_on=timezone.localdate()
    )
    assert paid.status == PayoutBatch.Status.PAID
