"""Periodic housekeeping of the registry app.

Beat entry (in CELERY_BEAT_SCHEDULE):
    "prune-idempotency-keys": {"task": "registry.tasks.prune_idempotency_records_task", "schedule": 3600.0}
"""

from celery import shared_task


@shared_task
def prune_idempotency_records_task() -> int:
    """Forget Idempotency-Key answers older than API_IDEMPOTENCY_TTL (24 hours at least)."""
    from config.api.idempotency import idempotency_records_prune

    return idempotency_records_prune()
