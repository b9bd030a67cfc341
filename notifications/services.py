"""Delivering outbox events: fan-out to deliveries, the inbox, e-mail, the sweeper, retries.

Every step is idempotent. Deliveries are unique per (event, recipient, channel), and an
e-mail is sent only by whoever holds its row locked while it is still pending, and marked
sent in that same transaction: a duplicated or retried task finds nothing left to send.
"""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string, select_template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from projects.choices import ProjectStatus
from webhooks import delivery as webhooks_delivery  # webhooks (issue 6)

from . import events
from .models import (
    Channel,
    Delivery,
    DeliveryStatus,
    EventKind,
    Frequency,
    Notification,
    NotificationPreference,
    OutboxEvent,
)
from .recipients import recipients_for

logger = logging.getLogger(__name__)
K = EventKind
SWEEP_BATCH = 500
# How long after its recording an event never queued is left to the on-commit queueing of its
# own transaction before the sweeper queues it (see outbox_sweep).
NOT_QUEUED_GRACE = timedelta(seconds=2)
# Attempts per e-mail, however they were queued (task retries, the sweeper, both).
MAX_ATTEMPTS = 9


# E-mail bodies shared by several kinds (a kind's own `<kind>.txt` comes first, `body.txt` last).
TEMPLATE_GROUPS = {
    K.MILESTONE_DUE_SOON: "reminder",
    K.MILESTONE_OVERDUE: "reminder",
    K.REPORT_DUE_SOON: "reminder",
    K.REPORT_OVERDUE: "reminder",
    K.API_KEY_CREATED: "api_key",
    K.API_KEY_EXPIRING: "api_key",
}


class DeliveryError(Exception):
    """Some e-mails of an event could not be sent yet; the task retries them."""


def _date(value) -> str:
    """An ISO date from a payload, written the active language's way."""
    try:
        return date_format(date.fromisoformat(value), "DATE_FORMAT")
    except (TypeError, ValueError):
        return ""


def _party_name(event: OutboxEvent) -> str:
    if event.participation_id and event.participation:
        return event.participation.party.name
    return event.party.name if event.party_id and event.party else ""


def describe(event: OutboxEvent) -> str:
    """One sentence about the event, in the active language."""
    payload = event.payload
    values = {
        "project": event.project.title if event.project else "",
        "party": _party_name(event),
        "status": ProjectStatus(payload["to"]).label if payload.get("to") in ProjectStatus else "",
        "milestone": payload.get("milestone", ""),
        "key": payload.get("key", ""),
        "due": _date(payload.get("due_on")),
        "count": payload.get("count", 0),
    }
    messages = {
        K.PROJECT_SUBMITTED: _("“%(project)s” was submitted for review."),
        K.PROJECT_RESUBMITTED: _("“%(project)s” was resubmitted for review."),
        K.PROJECT_RETURNED: _("“%(project)s” was returned for changes."),
        K.PROJECT_PUBLISHED: _("“%(project)s” was published."),
        K.PROJECT_STATUS_CHANGED: _("“%(project)s” is now “%(status)s”."),
        K.JOIN_REQUESTED: _("%(party)s asked to join “%(project)s”."),
        K.JOIN_ACCEPTED: _("The participation of %(party)s in “%(project)s” was accepted."),
        K.JOIN_DECLINED: _("The participation of %(party)s in “%(project)s” was declined."),
        K.INVITATION: _("%(party)s is invited to join “%(project)s”."),
        K.REVIEW_COMMENT: _("New review comment on “%(project)s”."),
        K.MILESTONE_DUE_SOON: _("The milestone “%(milestone)s” of “%(project)s” is due on %(due)s."),
        K.MILESTONE_OVERDUE: _("The milestone “%(milestone)s” of “%(project)s” was due on %(due)s and is not done."),
        K.REPORT_DUE_SOON: _("A progress report on “%(project)s” is due by %(due)s."),
        K.REPORT_OVERDUE: _("The progress report on “%(project)s” is overdue: it was due by %(due)s."),
        K.PARTY_JOINED: _("%(party)s joined the framework."),
        K.API_KEY_CREATED: _("An API key “%(key)s” was created for %(party)s; it expires on %(due)s."),
        K.API_KEY_EXPIRING: _("The API key “%(key)s” of %(party)s expires on %(due)s."),
        K.WEEKLY_DIGEST: _("Weekly digest: %(count)s new project(s) published in the last 7 days."),
    }
    return messages.get(event.kind, "%(project)s") % values


def _frequencies(kind: str, user_ids) -> dict[int, str]:
    rows = NotificationPreference.objects.filter(kind=kind, user_id__in=user_ids)
    return dict(rows.values_list("user_id", "frequency"))


def _fan_out(event: OutboxEvent) -> None:
    """Create the deliveries and inbox entries, once: a re-run or a retry keeps the first
    fan-out's recipients (two racing runs both insert, and the unique keys keep one of each)."""
    if event.deliveries.exists():
        return
    people = list(recipients_for(event))
    frequencies = _frequencies(event.kind, [person.pk for person in people])
    now = timezone.now()
    deliveries, inbox = [], []
    for person in people:
        frequency = frequencies.get(person.pk, Frequency.IMMEDIATE)
        if frequency == Frequency.OFF:
            continue
        inbox.append(Notification(event=event, recipient=person))
        deliveries.append(
            Delivery(event=event, recipient=person, channel=Channel.IN_APP, status=DeliveryStatus.SENT, sent_at=now)
        )
        if person.email:
            status = DeliveryStatus.PENDING if frequency == Frequency.IMMEDIATE else DeliveryStatus.DIGEST
            deliveries.append(Delivery(event=event, recipient=person, channel=Channel.EMAIL, status=status))
    with transaction.atomic():
        Notification.objects.bulk_create(inbox, ignore_conflicts=True)
        Delivery.objects.bulk_create(deliveries, ignore_conflicts=True)


def site_url(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def language_of(person) -> str:
    return person.preferred_language if person.preferred_language in ("zh-hans", "en") else "en"


def email_context(recipient, **extra) -> dict:
    """What every e-mail shows besides its message: greeting and the links to inbox and preferences."""
    return {
        "recipient": recipient,
        "inbox_url": site_url(reverse("notifications:inbox")),
        "preferences_url": site_url(reverse("notifications:preferences")),
        **extra,
    }


def email_message(delivery: Delivery) -> EmailMessage:
    """The e-mail for one delivery, written in the recipient's language from that language's template:
    `email/<language>/<kind>.txt` when the kind has its own body, `body.txt` otherwise."""
    recipient, event = delivery.recipient, delivery.event
    language = language_of(recipient)
    with translation.override(language):
        context = email_context(
            recipient,
            event=event,
            message=describe(event),
            project_url=site_url(event.project.get_absolute_url()) if event.project else "",
        )
        if event.kind == K.WEEKLY_DIGEST:
            from .digests import weekly_context

            context.update(weekly_context(event))
        subject = render_to_string(f"notifications/email/{language}/subject.txt", context)
        folder = f"notifications/email/{language}"
        names = [event.kind, TEMPLATE_GROUPS.get(event.kind), "body"]
        body = select_template([f"{folder}/{name}.txt" for name in names if name]).render(context)
    return EmailMessage(" ".join(subject.split()), body, to=[recipient.email])


def email_send(*, delivery_id: int, final: bool = False) -> bool:
    """Send one pending e-mail once. False when it failed (dead when `final`)."""
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("recipient", "event__project", "event__participation__party", "event__party")
            .filter(pk=delivery_id, status=DeliveryStatus.PENDING, channel=Channel.EMAIL)
            .first()
        )
        if delivery is None:  # sent, held or dead already: a duplicate run sends nothing
            return True
        delivery.attempts += 1
        try:
            email_message(delivery).send()
        except Exception as error:  # any mail failure: keep the row pending (or dead) and say why
            logger.warning("E-mail delivery %s failed: %s", delivery_id, error)
            delivery.last_error = repr(error)[:2000]
            dead = final or delivery.attempts >= MAX_ATTEMPTS
            delivery.status = DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING
            delivery.save(update_fields=["attempts", "last_error", "status"])
            return False
        delivery.status, delivery.sent_at = DeliveryStatus.SENT, timezone.now()
        delivery.save(update_fields=["attempts", "status", "sent_at"])
        return True


def event_deliver(*, event: OutboxEvent, final: bool = False) -> None:
    """Deliver an event on every channel. Raises DeliveryError while some e-mail is still due,
    unless `final` (the last retry), when failures are marked dead instead."""
    _fan_out(event)
    webhooks_delivery.event_webhooks_create(event=event)  # webhooks (issue 6): one message per endpoint, idempotent
    pending = event.deliveries.filter(status=DeliveryStatus.PENDING, channel=Channel.EMAIL)
    failed = [pk for pk in pending.values_list("pk", flat=True) if not email_send(delivery_id=pk, final=final)]
    if event.deliveries.filter(pk__in=failed, status=DeliveryStatus.PENDING).exists():
        raise DeliveryError(f"{len(failed)} e-mail(s) of event {event.pk} not sent yet")
    OutboxEvent.objects.filter(pk=event.pk).update(delivered_at=timezone.now())


def event_record_once(
    kind: str, *, dedupe_key: str, project=None, party=None, actor=None, payload: dict | None = None
) -> OutboxEvent | None:
    """Record an event unless one with `dedupe_key` exists already; None when it does.

    The unique key decides, not a check beforehand: of two concurrent callers, the second one's
    insert waits for the first transaction and then fails, and it finds the first one's row."""
    event, created = OutboxEvent.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={"kind": kind, "project": project, "party": party, "actor": actor, "payload": payload or {}},
    )
    if not created:
        return None
    transaction.on_commit(lambda: events.dispatch(event.pk))
    return event


def outbox_sweep(*, grace: timedelta | None = None, now=None) -> list[int]:
    """Queue again the undelivered events that are not queued (their queueing failed, or never
    ran) or were queued longer than the grace period ago. Rows another sweeper holds are skipped
    (SKIP LOCKED), so two sweepers never take the same event.

    An event not queued is taken NOT_QUEUED_GRACE after it was recorded (or sooner if `grace` is
    shorter), only to leave its own transaction the time to queue it after its commit."""
    grace = grace if grace is not None else timedelta(seconds=getattr(settings, "NOTIFICATIONS_SWEEP_GRACE", 120))
    now = now or timezone.now()
    cutoff = now - grace
    with transaction.atomic():
        due = (
            OutboxEvent.objects.select_for_update(skip_locked=True)
            .filter(delivered_at__isnull=True)
            .filter(
                Q(dispatched_at__isnull=True, created_at__lt=now - min(grace, NOT_QUEUED_GRACE))
                | Q(dispatched_at__lt=cutoff)
            )
            .order_by("pk")
        )
        ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        OutboxEvent.objects.filter(pk__in=ids).update(dispatched_at=now)
        if ids:
            transaction.on_commit(lambda: _dispatch_until_refused(ids, swept_at=now))
    return ids


def _dispatch_until_refused(ids: list[int], *, swept_at) -> None:
    """Queue the swept events in turn. Once the broker refuses one, the rest are marked not
    queued without trying (each try costs a publish's retries): the next sweep takes them."""
    for position, pk in enumerate(ids):
        if not events.dispatch(pk):
            rest = ids[position + 1 :]
            OutboxEvent.objects.filter(pk__in=rest, dispatched_at=swept_at).update(dispatched_at=None)
            return


@transaction.atomic
def deliveries_retry(*, deliveries) -> int:
    """Give dead deliveries another go (the admin's retry action)."""
    dead = Delivery.objects.filter(pk__in=[d.pk for d in deliveries], status=DeliveryStatus.DEAD)
    event_ids = set(dead.values_list("event_id", flat=True))
    count = dead.update(status=DeliveryStatus.PENDING, attempts=0)
    OutboxEvent.objects.filter(pk__in=event_ids).update(delivered_at=None)
    for pk in event_ids:
        transaction.on_commit(lambda pk=pk: events.dispatch(pk))
    return count


def notification_mark_read(*, notification: Notification, actor) -> None:
    if notification.recipient_id != actor.pk:  # views look it up by recipient; this is the guard
        raise PermissionDenied
    Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=timezone.now())


def notifications_mark_all_read(*, actor) -> int:
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def preferences_save(*, actor, frequencies: dict[str, str]) -> None:
    """Store one frequency per event kind; "immediately" is the default and needs no row."""
    for kind, frequency in frequencies.items():
        if kind not in EventKind.values or frequency not in Frequency.values:
            continue
        if frequency == Frequency.IMMEDIATE:
            NotificationPreference.objects.filter(user=actor, kind=kind).delete()
        else:
            NotificationPreference.objects.update_or_create(user=actor, kind=kind, defaults={"frequency": frequency})
