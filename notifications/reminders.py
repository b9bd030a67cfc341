"""Daily reminders: milestones and progress reports due soon or overdue, API keys about to expire.

Each reminder is an outbox event recorded once per (object, kind, due date), whatever the number
of runs: its `dedupe_key` is unique, so a second run — or a concurrent one — records nothing.
When a due date moves (a milestone rescheduled, a new progress report, a key renewed), the key
changes and the new date gets its own reminders.

- A milestone is "due soon" from `MILESTONE_NOTICE` (7 days) before its due date, and overdue
  from the day after, until it is done; only for published and ongoing projects.
- A progress report follows the reporting health of `projects.models.reporting_health`: due soon
  once the health turns amber (no report for 6 months), overdue once it turns red (none for
  12 months). It is due 12 months after the last report, or after the project's start when there
  is no report yet; ongoing projects without either date get no reminder (no date to give).
- An API key is "about to expire" from `KEY_NOTICE` (14 days) before its expiry, unless revoked.
"""

from collections import Counter
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from projects.choices import ProjectStatus
from projects.models import HEALTH_RED_AFTER, Health, Milestone, Project, reporting_health
from registry.models import PartnerKey

from .models import EventKind
from .services import event_record_once

MILESTONE_NOTICE = timedelta(days=7)
KEY_NOTICE = timedelta(days=14)
MILESTONE_STATUSES = (ProjectStatus.PUBLISHED, ProjectStatus.ONGOING)
K = EventKind


def _once(kind, *, key: str, due, **fields) -> bool:
    """Record the reminder in its own transaction; False when it was recorded before."""
    payload = {"due_on": due.isoformat(), **fields.pop("payload", {})}
    dedupe_key = f"{kind}:{key}:{due.isoformat()}"
    with transaction.atomic():
        return event_record_once(kind, dedupe_key=dedupe_key, payload=payload, **fields) is not None


def milestone_reminders(*, today) -> Counter:
    recorded: Counter = Counter()
    open_milestones = Milestone.objects.filter(
        done_on__isnull=True, project__status__in=MILESTONE_STATUSES, due_on__lte=today + MILESTONE_NOTICE
    ).select_related("project")
    for milestone in open_milestones:
        kind = K.MILESTONE_OVERDUE if milestone.due_on < today else K.MILESTONE_DUE_SOON
        payload = {"milestone": milestone.title, "milestone_id": milestone.pk}
        key = f"milestone-{milestone.pk}"
        if _once(kind, key=key, due=milestone.due_on, project=milestone.project, payload=payload):
            recorded[kind] += 1
    return recorded


def report_reminders(*, today) -> Counter:
    recorded: Counter = Counter()
    kinds = {Health.AMBER: K.REPORT_DUE_SOON, Health.RED: K.REPORT_OVERDUE}
    for project in Project.objects.filter(status=ProjectStatus.ONGOING).with_reporting().order_by("pk"):
        reference = project.last_report_on or project.start_on
        if reference is None:
            continue
        # Milestones have reminders of their own: here only the time since the last report counts.
        health = reporting_health(
            status=project.status, last_report_on=reference, has_overdue_milestone=False, today=today
        )
        kind = kinds.get(health)
        if kind and _once(kind, key=f"project-{project.pk}", due=reference + HEALTH_RED_AFTER, project=project):
            recorded[kind] += 1
    return recorded


def key_reminders(*, now) -> Counter:
    recorded: Counter = Counter()
    expiring = PartnerKey.objects.filter(
        revoked=False, expiry_date__gt=now, expiry_date__lte=now + KEY_NOTICE
    ).select_related("account__party")
    for key in expiring:
        due = timezone.localdate(key.expiry_date)
        payload = {"key": key.name or key.prefix, "prefix": key.prefix}
        if _once(K.API_KEY_EXPIRING, key=f"key-{key.prefix}", due=due, party=key.account.party, payload=payload):
            recorded[K.API_KEY_EXPIRING] += 1
    return recorded


def reminders_run(*, now=None) -> Counter:
    """Record every reminder due at `now` that was not recorded before; the counts of new ones."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    return milestone_reminders(today=today) + report_reminders(today=today) + key_reminders(now=now)
