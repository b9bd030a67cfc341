"""Every periodic task is in beat's schedule, and every scheduled name is a registered task."""

from celery import current_app
from django.conf import settings

from config.celery import app

# Tasks run by hand or by other tasks, never on a timer.
NOT_PERIODIC = {"notifications.tasks.deliver_event_task", "webhooks.tasks.send_webhook_task"}
APPS = {"feed", "framework", "notifications", "projects", "registry", "webhooks"}


def _our_tasks() -> set:
    app.loader.import_default_modules()
    return {name for name in current_app.tasks if name.split(".")[0] in APPS}


def test_every_scheduled_task_exists():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= _our_tasks()


def test_every_periodic_task_is_scheduled():
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert _our_tasks() - NOT_PERIODIC - scheduled == set()
