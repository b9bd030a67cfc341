"""Recording events: the one call the library's services make when something happens.

    events.record(EventKind.PROJECT_PUBLISHED, project=project, actor=actor)

The row is written in the caller's transaction; its delivery is queued only once that
transaction commits, so a rolled-back change leaves neither a row nor a task.
"""

import logging

from django.db import transaction
from django.utils import timezone

from .models import EventKind, OutboxEvent

logger = logging.getLogger(__name__)

__all__ = ["EventKind", "dispatch", "record"]


def record(kind: str, *, project=None, participation=None, actor=None, payload: dict | None = None) -> OutboxEvent:
    """Write an outbox row now and queue its delivery after the surrounding transaction commits."""
    event = OutboxEvent.objects.create(
        kind=kind, project=project, participation=participation, actor=actor, payload=payload or {}
    )
    transaction.on_commit(lambda: dispatch(event.pk))
    return event


def dispatch(event_id: int) -> bool:
    """Queue the delivery task; False when the broker could not take it. A broker outage must not
    fail the change that was already committed: the event is marked not queued again, and the
    next sweep queues it (without waiting for the grace period, which is for queued messages)."""
    from .tasks import deliver_event_task

    queued_at = timezone.now()
    OutboxEvent.objects.filter(pk=event_id).update(dispatched_at=queued_at)
    try:
        deliver_event_task.delay(event_id)
    except Exception:
        logger.exception("Could not queue the delivery of outbox event %s; the sweeper will retry", event_id)
        OutboxEvent.objects.filter(pk=event_id, dispatched_at=queued_at).update(dispatched_at=None)
        return False
    return True


_TRANSITION_KINDS = {
    "submit": EventKind.PROJECT_SUBMITTED,
    "resubmit": EventKind.PROJECT_RESUBMITTED,
    "return": EventKind.PROJECT_RETURNED,
    "publish": EventKind.PROJECT_PUBLISHED,
}


def transition_kind(action: str) -> str:
    """The event a lifecycle action records (start, complete, withdraw, cancel: a status change)."""
    return _TRANSITION_KINDS.get(action, EventKind.PROJECT_STATUS_CHANGED)


def record_answer(participation, *, actor, accept: bool, by: str) -> OutboxEvent:
    """A request or invitation answered, `by` the lead party or by the joining party itself."""
    kind = EventKind.JOIN_ACCEPTED if accept else EventKind.JOIN_DECLINED
    return record(kind, project=participation.project, participation=participation, actor=actor, payload={"by": by})
