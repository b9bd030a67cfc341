"""Periodic upkeep of the change feed (beat: `feed.tasks.feed_prune_task`, hourly)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def feed_prune_task() -> int:
    """Idempotent: a second run finds nothing older than the retention."""
    return services.feed_prune()


@shared_task(acks_late=True)
def feed_position_task() -> int:
    """Position committed changes even when no partner reads (keeps readers' first call short)."""
    return services.positions_assign().last_position
