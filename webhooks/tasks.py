"""Thin tasks, routed to the `webhooks` queue (see CELERY_TASK_ROUTES)."""

from celery import shared_task

from . import delivery


@shared_task(acks_late=True)
def send_webhook_task(message_id: int) -> str:
    """One attempt of one message; a duplicate run finds it locked or no longer due."""
    return delivery.message_send(message_id=message_id)


@shared_task(acks_late=True)
def send_due_webhooks_task() -> int:
    """Beat, every 30 s: queue the messages whose next attempt is due."""
    return len(delivery.messages_due_queue())
