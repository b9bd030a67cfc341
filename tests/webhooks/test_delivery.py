"""From an outbox event to a signed POST on a real receiver: scope, once only, retries, 410,
disabling after repeated failures, replay, timeouts and redirects."""

import json
from datetime import timedelta

import pytest
import requests
from django.utils import timezone

from notifications import services as notification_services
from notifications.models import EventKind, OutboxEvent
from projects.services import project_transition
from tests.factories import draft_project
from webhooks import delivery, services
from webhooks.delivery import DISABLE_AFTER_DEAD_MESSAGES, MAX_ATTEMPTS, RETRY_DELAYS
from webhooks.models import DisabledReason, MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage

from .test_signing import verify

pytestmark = pytest.mark.django_db


def publish(officer, focal_point, capture, **fields):
    project = draft_project(officer=officer, title_en="Cross-border e-invoicing", **fields)
    with capture(execute=True):
        project_transition(project=project, actor=officer, action="submit")
        project_transition(project=project, actor=focal_point, action="publish")
    project.refresh_from_db()
    return project


def test_publishing_posts_a_signed_message_to_the_receiver(
    officer, focal_point, ken_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    _, secret = make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    project = publish(officer, focal_point, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    headers = {name.lower(): value for name, value in request["headers"].items()}
    assert verify(secret, headers, request["body"], now=int(timezone.now().timestamp()))
    payload = json.loads(request["body"])
    assert payload["type"] == "project_published"
    assert payload["data"]["id"] == project.pk
    assert payload["data"]["reference"] == project.reference_code and payload["data"]["status"] == "published"
    assert payload["data"]["title"]["en"] == "Cross-border e-invoicing"
    assert payload["data"]["url"].endswith(f"/api/v1/projects/{project.pk}/")
    assert "budget_amount" not in payload["data"] and "contact_name" not in payload["data"]

    message = WebhookMessage.objects.get()
    assert headers["webhook-id"] == message.msg_id and message.body == request["body"]
    assert (message.status, message.attempts, message.last_status_code) == (MessageStatus.SENT, 1, 200)
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 200 and "received" in attempt.response_excerpt


def test_another_partys_draft_never_reaches_its_endpoints(
    officer, ken_system, chn_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(ken_system, receiver.url)
    own, _ = make_endpoint(chn_system, receiver.url + "/chn")
    project = draft_project(officer=officer)
    with django_capture_on_commit_callbacks(execute=True):
        project_transition(project=project, actor=officer, action="submit")

    assert [r["path"] for r in receiver.requests] == ["/hooks/chn"]
    assert list(WebhookMessage.objects.values_list("endpoint", flat=True)) == [own.pk]


def test_only_subscribed_kinds_and_endpoints_older_than_the_event(
    officer, focal_point, ken_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(ken_system, receiver.url, kinds=["review_comment"])
    disabled, _ = make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    WebhookEndpoint.objects.filter(pk=disabled.pk).update(is_active=False)
    publish(officer, focal_point, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)
    make_endpoint(ken_system, receiver.url, kinds=["project_published"])  # after the event

    assert delivery.event_webhooks_create(event=event) == []
    assert not WebhookMessage.objects.exists() and not receiver.requests


def test_delivering_an_event_twice_sends_once(
    officer, focal_point, ken_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    publish(officer, focal_point, django_capture_on_commit_callbacks)
    event = OutboxEvent.objects.get(kind=EventKind.PROJECT_PUBLISHED)
    message = WebhookMessage.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        notification_services.event_deliver(event=event)
        delivery.event_webhooks_create(event=event)
    assert delivery.message_send(message_id=message.pk) == "skipped"  # a duplicate task
    assert WebhookMessage.objects.count() == 1 and len(receiver.requests) == 1


def test_failures_are_retried_on_a_jittered_schedule_then_dead(
    officer, focal_point, ken_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    receiver.statuses = [500]
    make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    publish(officer, focal_point, django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get()
    assert (message.status, message.attempts) == (MessageStatus.FAILED, 1)

    start = message.next_attempt_at - timedelta(seconds=RETRY_DELAYS[0])
    waited = []
    for attempt in range(2, MAX_ATTEMPTS + 1):
        previous = message.next_attempt_at
        assert delivery.message_send(message_id=message.pk, now=previous - timedelta(seconds=1)) == "skipped"
        outcome = delivery.message_send(message_id=message.pk, now=previous)
        message.refresh_from_db()
        assert message.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert outcome == "failed"
            delay = (message.next_attempt_at - previous).total_seconds()
            assert 0.8 * RETRY_DELAYS[attempt - 1] <= delay <= 1.2 * RETRY_DELAYS[attempt - 1]
            waited.append(delay)
    assert outcome == "dead" and message.status == MessageStatus.DEAD and message.next_attempt_at is None
    assert len(receiver.requests) == MAX_ATTEMPTS == WebhookAttempt.objects.filter(message=message).count()
    total = timedelta(seconds=RETRY_DELAYS[0] + sum(waited))
    assert timedelta(days=2) < total < timedelta(days=4)  # "about three days"
    assert len({r["headers"]["webhook-id"] for r in receiver.requests}) == 1  # the same id every time
    assert start < message.created_at + timedelta(minutes=1)
    assert WebhookEndpoint.objects.get().consecutive_failures == 1


def test_410_disables_the_endpoint_at_once_and_tells_the_owner(
    officer, focal_point, ken_system, make_endpoint, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    receiver.statuses = [410]
    endpoint, _ = make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    publish(officer, focal_point, django_capture_on_commit_callbacks)

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == DisabledReason.GONE
    assert WebhookMessage.objects.get().status == MessageStatus.DEAD
    to_owner = [m for m in mailoutbox if m.to == [ken_system.email]]
    assert len(to_owner) == 1
    assert "Webhook 端点已停用" in to_owner[0].subject  # the owner reads Chinese
    assert receiver.url in to_owner[0].body


def _dead_message(endpoint, event, now):
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event=event,
        event_type=event.kind,
        body="{}",
        status=MessageStatus.FAILED,
        attempts=MAX_ATTEMPTS - 1,
        next_attempt_at=now,
    )
    return delivery.message_send(message_id=message.pk, now=now)


def test_repeated_dead_messages_disable_the_endpoint_and_email_the_owner_once(
    draft, chn_system, make_endpoint, receiver, mailoutbox, django_capture_on_commit_callbacks
):
    receiver.statuses = [503]
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    now = timezone.now()
    events = [OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft) for _ in range(6)]
    with django_capture_on_commit_callbacks(execute=True):
        outcomes = [_dead_message(endpoint, event, now) for event in events[:DISABLE_AFTER_DEAD_MESSAGES]]
    assert outcomes == ["dead"] * DISABLE_AFTER_DEAD_MESSAGES
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == DisabledReason.FAILING
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [chn_system.email]
    assert "Webhook endpoint disabled" in mailoutbox[0].subject and "5 messages in a row" in mailoutbox[0].body

    with django_capture_on_commit_callbacks(execute=True):  # disabled: nothing more is sent
        assert _dead_message(endpoint, events[5], now) == "skipped"
    assert len(receiver.requests) == DISABLE_AFTER_DEAD_MESSAGES and len(mailoutbox) == 1


def test_a_delivery_in_between_resets_the_count(draft, chn_system, make_endpoint, receiver):
    receiver.statuses = [503, 503, 200, 503]
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    now = timezone.now()
    events = [OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft) for _ in range(4)]
    assert [_dead_message(endpoint, event, now) for event in events] == ["dead", "dead", "sent", "dead"]
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 1


def test_the_sweeper_queues_due_messages_once(
    draft, chn_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    now = timezone.now()
    make = WebhookMessage.objects.create
    due = make(endpoint=endpoint, event=OutboxEvent.objects.create(kind="review_comment", project=draft), body="{}")
    WebhookMessage.objects.filter(pk=due.pk).update(next_attempt_at=now)
    later = make(
        endpoint=endpoint,
        event=OutboxEvent.objects.create(kind="review_comment", project=draft),
        body="{}",
        next_attempt_at=now + timedelta(hours=1),
    )
    queued = make(
        endpoint=endpoint,
        event=OutboxEvent.objects.create(kind="review_comment", project=draft),
        body="{}",
        next_attempt_at=now,
        queued_at=now,
    )

    from unittest import mock

    with mock.patch.object(delivery, "queue_send", return_value=True) as queue:
        with django_capture_on_commit_callbacks(execute=True):
            assert delivery.messages_due_queue(now=now) == [due.pk]
            assert delivery.messages_due_queue(now=now) == []  # queued: left alone during the lease
        assert [call.args[0] for call in queue.call_args_list] == [due.pk]
        stale = now + delivery.QUEUE_LEASE + timedelta(seconds=1)
        with django_capture_on_commit_callbacks(execute=True):
            assert set(delivery.messages_due_queue(now=stale)) == {due.pk, queued.pk}
    queued_ids = [call.args[0] for call in queue.call_args_list]
    assert sorted(queued_ids) == sorted([due.pk, due.pk, queued.pk]) and later.pk not in queued_ids


def test_replay_sends_the_same_message_again(
    officer, focal_point, ken_system, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    make_endpoint(ken_system, receiver.url, kinds=["project_published"])
    publish(officer, focal_point, django_capture_on_commit_callbacks)
    message = WebhookMessage.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        services.message_replay(message=message, actor=ken_system)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and WebhookAttempt.objects.count() == 2
    assert [r["body"] for r in receiver.requests] == [message.body, message.body]
    assert receiver.requests[0]["headers"]["webhook-id"] == receiver.requests[1]["headers"]["webhook-id"]


def test_redirects_are_not_followed(draft, chn_system, make_endpoint, receiver):
    receiver.statuses, receiver.location = [302], "http://127.0.0.1:9/elsewhere"
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    event = OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft)
    message = WebhookMessage.objects.create(endpoint=endpoint, event=event, body="{}", next_attempt_at=timezone.now())
    assert delivery.message_send(message_id=message.pk) == "failed"
    message.refresh_from_db()
    assert message.last_status_code == 302 and len(receiver.requests) == 1


def test_a_slow_receiver_times_out(draft, chn_system, make_endpoint, receiver, settings, monkeypatch):
    """The timeout reaches requests and a timed-out attempt is logged (no real wait: a receiver
    sleeping past the timeout kept a server thread alive into the database teardown)."""
    settings.WEBHOOKS_TIMEOUT = 0.3
    timeouts = []

    def post(url, *, timeout, **kwargs):
        timeouts.append(timeout)
        raise requests.Timeout(f"read timed out (timeout={timeout})")

    monkeypatch.setattr(delivery.requests, "post", post)
    endpoint, _ = make_endpoint(chn_system, receiver.url)
    event = OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft)
    message = WebhookMessage.objects.create(endpoint=endpoint, event=event, body="{}", next_attempt_at=timezone.now())
    assert delivery.message_send(message_id=message.pk) == "failed"
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and "Timeout" in attempt.error
    assert timeouts == [0.3]
