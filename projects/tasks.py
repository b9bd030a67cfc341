"""Periodic upkeep of the dashboard's aggregates (beat: `coverage_refresh_task`, every 20 s)."""

from celery import shared_task

from . import aggregates


@shared_task(acks_late=True, time_limit=110, soft_time_limit=100)
def coverage_refresh_task(full: bool = False) -> dict:
    """Idempotent: recomputes the figures of the projects changed since the last run (nothing
    when none did); a run that overlaps another waits for it, then finds little left to do.
    Builds the store the first time only for a small database (a large one: `manage.py
    coverage_refresh --full`, which no task time limit cuts short)."""
    return aggregates.coverage_refresh(full=full, build_limit=None if full else aggregates.BUILD_IN_TASK)
