"""Background work of compensation: thin tasks that take ids and call services."""

from celery import shared_task

from . import floor, services


@shared_task(acks_late=True)
def build_batch(batch_id: int) -> str:
    """Write a payout batch's lines and files. Safe to run twice."""
    batch = services.batch_build(batch_id=batch_id)
    return batch.status


@shared_task
def accrue_stipends() -> int:
    """Beat (daily): the stipend of the last complete period for every active participant.

    Idempotent per participant and period, so running it every day accrues each
    period once.
    """
    return services.accrue_stipends().count


@shared_task
def accrue_floor_topups() -> int:
    """Beat: the pay floor's top-up of the last complete month for every participant whose
    confirmed hours earned less than the terms' minimum hourly pay. Once per participant
    and month (`compensation.floor`), so running it every few hours tops up once."""

    return floor.accrue_topups().count


@shared_task
def accrue_from_work() -> int:
    """Beat: hourly pay for confirmed hours and bounties for accepted findings not yet accrued."""
    return services.accrue_hourly().count + services.accrue_bounties().count
