"""Turning outbox events into webhook messages, sending them, retrying them.

Never lost, never doubled:
- a message is created once per (event, endpoint) (unique key; `event_webhooks_create` is
  called by every run of the outbox delivery, so a crash before it is simply redone);
- a message is sent only by whoever holds its row locked while it is still due, and its new
  state is saved in that same transaction: a duplicate task finds it locked (and skips it)
  or no longer due;
- retries wait in `next_attempt_at`, not in Celery countdowns (which Redis would redeliver
  after its visibility timeout): `messages_due_queue`, run by beat, queues what is due.
"""

import json
import logging
import random
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import EventKind, OutboxEvent
from projects.models import Project

from . import signing
from .models import DUE_STATUSES, DisabledReason, MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage
from .urlguard import check_url

logger = logging.getLogger(__name__)

# Wait after the 1st, 2nd, … failed attempt (each ±20 % jitter): about three days in all
# (71.6 h), ten attempts. After the last one the message is dead.
RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 20 * 3600]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
JITTER = 0.2
# Dead messages in a row (no delivery in between) after which an endpoint is disabled.
DISABLE_AFTER_DEAD_MESSAGES = 5
# A queued send that has not run after this long is queued again by the sweeper.
QUEUE_LEASE = timedelta(minutes=2)
SWEEP_BATCH = 500
EXCERPT_BYTES = 1024
# Kinds any party that may see the project hears about; the others (review, joining) only
# reach the lead party, active participants and the joining party itself.
PUBLIC_KINDS = {EventKind.PROJECT_PUBLISHED, EventKind.PROJECT_STATUS_CHANGED}


def retry_delay(attempts: int) -> timedelta:
    """The jittered wait after `attempts` failed attempts (1-based)."""
    base = RETRY_DELAYS[min(attempts, len(RETRY_DELAYS)) - 1]
    return timedelta(seconds=base * random.uniform(1 - JITTER, 1 + JITTER))  # noqa: S311 (jitter, not crypto)


def _site(path: str) -> str:
    return getattr(settings, "SITE_URL", "").rstrip("/") + path


def event_payload(event: OutboxEvent) -> dict:
    project = event.project
    data = {
        "id": project.pk,
        "reference": project.reference_code or None,
        "status": event.payload.get("to") or project.status,
        "title": {"zh-hans": project.title_zh_hans, "en": project.title_en},
        "lead_party": project.lead_party.code,
        "url": _site(reverse("api:project-detail", kwargs={"pk": project.pk})),
        "event_id": event.pk,
    }
    if event.participation_id:
        data["participation"] = {"party": event.participation.party.code, "status": event.participation.status}
    return {"type": event.kind, "timestamp": event.created_at.isoformat(), "data": data}


def _may_see(owner, event: OutboxEvent) -> bool:
    """Whether the endpoint's party may hear of this event: never another party's draft or review."""
    if not Project.objects.visible_to(owner).filter(pk=event.project_id).exists():
        return False
    if event.kind in PUBLIC_KINDS:
        return True
    if event.participation_id and event.participation.party_id == owner.party_id:
        return True
    return owner.has_perm("projects.view_restricted", event.project)


def event_webhooks_create(*, event: OutboxEvent) -> list[int]:
    """Create the messages of an event for every subscribed endpoint whose party may see it,
    and queue them after commit. Idempotent; endpoints created after the event are left out."""
    if event.project_id is None:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(
            is_active=True, owner__is_active=True, created_at__lte=event.created_at
        ).select_related("owner")
        if event.kind in endpoint.event_types
    ]
    if not endpoints:
        return []
    seen: dict[int, bool] = {}  # the answer depends on the party only
    for endpoint in endpoints:
        if endpoint.party_id not in seen:
            seen[endpoint.party_id] = _may_see(endpoint.owner, event)
    chosen = [endpoint for endpoint in endpoints if seen[endpoint.party_id]]
    if not chosen:
        return []
    body = json.dumps(event_payload(event), ensure_ascii=False, separators=(",", ":"))
    now = timezone.now()
    with transaction.atomic():
        WebhookMessage.objects.bulk_create(
            [
                WebhookMessage(endpoint=e, event=event, event_type=event.kind, body=body, next_attempt_at=now)
                for e in chosen
            ],
            ignore_conflicts=True,
        )
        fresh = WebhookMessage.objects.filter(
            event=event, status=MessageStatus.PENDING, attempts=0, queued_at__isnull=True
        )
        ids = list(fresh.values_list("pk", flat=True))
        WebhookMessage.objects.filter(pk__in=ids).update(queued_at=now)
        if ids:
            transaction.on_commit(lambda: _queue_until_refused(ids, queued_at=now))
    return ids


def queue_send(message_id: int) -> bool:
    """Queue one send; False when the broker could not take it. A broker outage only delays it:
    the message is marked not queued again, and the next `messages_due_queue` queues it."""
    from .tasks import send_webhook_task

    try:
        send_webhook_task.delay(message_id)
    except Exception:
        logger.exception("Could not queue webhook message %s; the sweeper will retry", message_id)
        WebhookMessage.objects.filter(pk=message_id, status__in=DUE_STATUSES).update(queued_at=None)
        return False
    return True


def _queue_until_refused(ids: list[int], *, queued_at) -> None:
    """Queue the sends in turn. Once the broker refuses one, the rest are marked not queued
    without trying (each try costs a publish's retries): the next run takes them."""
    for position, pk in enumerate(ids):
        if not queue_send(pk):
            rest = ids[position + 1 :]
            WebhookMessage.objects.filter(pk__in=rest, queued_at=queued_at).update(queued_at=None)
            return


def messages_due_queue(*, now=None) -> list[int]:
    """Queue every due message of an active endpoint (beat runs this every 30 s). Rows being
    sent right now are locked and skipped (SKIP LOCKED), as are rows queued within the lease;
    a row whose queueing failed is not queued, and is taken at once."""
    now = now or timezone.now()
    with transaction.atomic():
        due = (
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=DUE_STATUSES, next_attempt_at__lte=now, endpoint__is_active=True)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - QUEUE_LEASE))
            .order_by("next_attempt_at", "pk")
        )
        ids = list(due.values_list("pk", flat=True)[:SWEEP_BATCH])
        WebhookMessage.objects.filter(pk__in=ids).update(queued_at=now)
        if ids:
            transaction.on_commit(lambda: _queue_until_refused(ids, queued_at=now))
    return ids


def _post(message: WebhookMessage, now) -> dict:
    """One HTTP attempt: what the attempt log records. Never raises."""
    endpoint, started = message.endpoint, time.monotonic()
    outcome = {"status_code": None, "error": "", "response_excerpt": ""}
    try:
        check_url(endpoint.url)  # again: DNS may have changed since the endpoint was saved
        headers = signing.headers(
            endpoint, msg_id=message.msg_id, timestamp=int(now.timestamp()), body=message.body, now=now
        )
        headers["user-agent"] = "OpenProjectLibrary-Webhooks/1.0"
        response = requests.post(
            endpoint.url,
            data=message.body.encode(),
            headers=headers,
            timeout=settings.WEBHOOKS_TIMEOUT,
            allow_redirects=False,
            stream=True,
        )
        with response:
            outcome["status_code"] = response.status_code
            excerpt = response.raw.read(EXCERPT_BYTES, decode_content=True) or b""
            outcome["response_excerpt"] = excerpt.decode("utf-8", "replace")
    except ValidationError as error:
        outcome["error"] = "refused: " + " ".join(error.messages)
    except Exception as error:  # timeouts, refused connections, TLS, a reset while reading
        outcome["error"] = f"{type(error).__name__}: {error}"[:2000]
    outcome["duration_ms"] = int((time.monotonic() - started) * 1000)
    return outcome


def message_send(*, message_id: int, now=None) -> str:
    """Attempt one due message once; returns sent, failed, dead or skipped (not due, locked,
    endpoint disabled: a duplicate task lands here and sends nothing)."""
    now = now or timezone.now()
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint__owner")
            .filter(pk=message_id, status__in=DUE_STATUSES, next_attempt_at__lte=now, endpoint__is_active=True)
            .first()
        )
        if message is None:
            return "skipped"
        outcome = _post(message, now)
        WebhookAttempt.objects.create(message=message, **outcome)
        code = outcome["status_code"]
        message.attempts += 1
        message.queued_at = None
        message.last_status_code, message.last_error = code, outcome["error"]
        if code is not None and 200 <= code < 300:
            message.status, message.sent_at, message.next_attempt_at = MessageStatus.SENT, now, None
            WebhookEndpoint.objects.filter(pk=message.endpoint_id, consecutive_failures__gt=0).update(
                consecutive_failures=0
            )
        elif code == 410:
            message.status, message.next_attempt_at = MessageStatus.DEAD, None
            _endpoint_disable(message.endpoint, reason=DisabledReason.GONE, now=now)
        elif message.attempts >= MAX_ATTEMPTS:
            message.status, message.next_attempt_at = MessageStatus.DEAD, None
            _message_died(message.endpoint, now=now)
        else:
            message.status, message.next_attempt_at = MessageStatus.FAILED, now + retry_delay(message.attempts)
        message.save()
        return message.status


def _message_died(endpoint: WebhookEndpoint, *, now) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(consecutive_failures=F("consecutive_failures") + 1)
    still = WebhookEndpoint.objects.filter(pk=endpoint.pk, consecutive_failures__gte=DISABLE_AFTER_DEAD_MESSAGES)
    if still.exists():
        _endpoint_disable(endpoint, reason=DisabledReason.FAILING, now=now)


def _endpoint_disable(endpoint: WebhookEndpoint, *, reason: str, now) -> None:
    """Disable once (whoever flips `is_active` sends the owner one e-mail, after commit)."""
    changed = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
        is_active=False, disabled_reason=reason, disabled_at=now
    )
    if changed:
        logger.warning("Webhook endpoint %s disabled (%s)", endpoint.pk, reason)
        transaction.on_commit(lambda: owner_notify_disabled(endpoint_id=endpoint.pk))


def owner_notify_disabled(*, endpoint_id: int) -> bool:
    """E-mail the owner, in their language, that their endpoint was disabled and why."""
    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.owner.email:
        return False
    owner = endpoint.owner
    language = owner.preferred_language if owner.preferred_language in ("zh-hans", "en") else "en"
    with translation.override(language):
        context = {
            "owner": owner,
            "endpoint": endpoint,
            "reason": endpoint.get_disabled_reason_display(),
            "failures": endpoint.consecutive_failures,
            "api_url": _site(reverse("api:webhook-endpoint-detail", kwargs={"pk": endpoint.pk})),
        }
        subject = render_to_string(f"webhooks/email/{language}/disabled_subject.txt", context)
        body = render_to_string(f"webhooks/email/{language}/disabled_body.txt", context)
    try:
        EmailMessage(" ".join(subject.split()), body, to=[owner.email]).send()
    except Exception:
        logger.exception("Could not e-mail the owner of webhook endpoint %s", endpoint_id)
        return False
    return True
