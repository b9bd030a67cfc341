"""Thin tasks: fetch by id, call a service."""

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from . import services
from .models import OutboxEvent
from .services import DeliveryError

MAX_RETRIES = 8
BACKOFF_MAX = 3600


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(DeliveryError,),
    retry_backoff=True,
    retry_backoff_max=BACKOFF_MAX,
    max_retries=MAX_RETRIES,
)
def deliver_event_task(self, event_id: int) -> None:
    event = (
        OutboxEvent.objects.select_related("project", "participation__party", "party")
        .filter(pk=event_id, delivered_at__isnull=True)
        .first()
    )
    if event is None:  # already delivered, or gone: a duplicate run does nothing
        return
    retries = self.request.retries
    try:
        services.event_deliver(event=event, final=retries >= self.max_retries)
    except DeliveryError:
        # The retry below waits up to 2**retries seconds (jittered): keep the sweeper off until then.
        due = timezone.now() + timedelta(seconds=min(2**retries, BACKOFF_MAX))
        OutboxEvent.objects.filter(pk=event_id).update(dispatched_at=due)
        raise


@shared_task(acks_late=True)
def sweep_outbox_task() -> int:
    return len(services.outbox_sweep())


@shared_task(acks_late=True)
def send_reminders_task() -> dict:
    """Daily: record the reminders due (each once only, however often this runs)."""
    from .reminders import reminders_run

    return dict(reminders_run())


@shared_task(acks_late=True)
def send_daily_digests_task() -> int:
    from .digests import daily_digests_send

    return daily_digests_send()


@shared_task(acks_late=True)
def record_weekly_digest_task() -> bool:
    from .digests import weekly_digest_record

    return weekly_digest_record() is not None
