"""The real thing: a Redis server, `celery -A config worker` processes and PostgreSQL.

A publish queues its delivery after the commit; a worker sends each e-mail once, and posts
each webhook message once, signed, to a real receiver; it sends each e-mail once also when
Redis goes away meanwhile (the outbox sweeper queues the event again) and when the process
running the task is SIGKILLed in the middle of it (the message comes back; the row lock and
the delivery's status keep the second run from sending twice)."""

import json
import os
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest

from notifications import services
from notifications.models import Channel, Delivery, DeliveryStatus, EventKind, OutboxEvent
from projects.services import project_transition
from tests.factories import draft_project
from tests.webhooks.test_signing import verify
from webhooks import services as webhook_services
from webhooks.models import MessageStatus, WebhookMessage

from .mailbox import read_mailbox
from .processes import wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

SETTLE = 1.0  # seconds to keep watching after the last expected e-mail, for late duplicates


def submitted_projects(officer, count):
    projects = []
    for number in range(count):
        project = draft_project(officer=officer, title_en=f"Paperless trade corridor {number}")
        projects.append(project_transition(project=project, actor=officer, action="submit"))
    return projects


def published_mail(mailbox, expected: int):
    """Wait for `expected` publication e-mails, then a little longer; return (recipient, subject) counts."""

    def arrived():
        mails = [m for m in read_mailbox(mailbox) if m["subject"].endswith("was published.")]
        return mails if len(mails) >= expected else None

    wait_until(arrived, 30, interval=0.1, what=f"{expected} e-mails")
    time.sleep(SETTLE)
    return Counter((m["to"][0], m["subject"]) for m in read_mailbox(mailbox) if m["subject"].endswith("published."))


def assert_all_sent_once(events):
    for event in events:
        event.refresh_from_db()
        assert event.delivered_at is not None
        emails = Delivery.objects.filter(event=event, channel=Channel.EMAIL)
        assert emails.exists()
        assert set(emails.values_list("status", flat=True)) == {DeliveryStatus.SENT}
        assert set(emails.values_list("attempts", flat=True)) == {1}  # a killed attempt rolled back


def test_a_publish_reaches_the_mailbox_and_the_webhook_receiver_once_through_a_worker(
    officer, coordinator, second_coordinator, chn_system, receiver, start_worker, mailbox
):
    (project,) = submitted_projects(officer, 1)
    endpoint, secret = webhook_services.endpoint_create(
        actor=chn_system, url=receiver.url, event_types=["project_published"]
    )
    worker = start_worker()
    project_transition(project=project, actor=coordinator, action="publish")

    mails = published_mail(mailbox, expected=2)
    assert set(mails) == {
        (officer.email, mails_subject(mails, officer)),
        (second_coordinator.email, mails_subject(mails, second_coordinator)),
    }
    assert set(mails.values()) == {1}
    assert all("Paperless trade corridor 0" in subject for _, subject in mails)
    assert_all_sent_once(OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED))
    assert "notifications.tasks.deliver_event_task" in worker.output()

    (message,) = webhooks_sent(endpoint, expected=1, receiver=receiver)
    received = [({k.lower(): v for k, v in r["headers"].items()}, r["body"]) for r in receiver.requests]
    assert Counter(headers["webhook-id"] for headers, _ in received) == {message.msg_id: 1}  # once per message
    ((headers, body),) = received
    assert verify(secret, headers, body, now=int(time.time()))  # HMAC with the endpoint's secret
    assert not verify(secret, headers, body.replace("published", "returned"))
    assert body == message.body
    payload = json.loads(body)
    assert (payload["type"], payload["data"]["id"], payload["data"]["status"]) == (
        "project_published",
        project.pk,
        "published",
    )
    assert (message.event.kind, message.attempts, message.last_status_code) == (EventKind.PROJECT_PUBLISHED, 1, 200)
    assert "webhooks.tasks.send_webhook_task" in worker.output()


def webhooks_sent(endpoint, *, expected: int, receiver) -> list[WebhookMessage]:
    """Wait until `expected` messages of `endpoint` are sent and received, then a little longer."""
    messages = WebhookMessage.objects.filter(endpoint=endpoint).select_related("event")

    def arrived():
        sent = messages.filter(status=MessageStatus.SENT).count()
        return sent >= expected and len(receiver.requests) >= expected

    wait_until(arrived, 60, interval=0.1, what=f"{expected} webhook message(s)")
    time.sleep(SETTLE)  # a duplicate would arrive meanwhile
    assert messages.count() == expected and set(messages.values_list("status", flat=True)) == {MessageStatus.SENT}
    return list(messages)


def mails_subject(mails, person):
    return next(subject for to, subject in mails if to == person.email)


def test_redis_stopped_while_publishing_then_restarted_delivers_everything_once(
    officer, coordinator, second_coordinator, start_worker, broker, mailbox
):
    projects = submitted_projects(officer, 3)
    start_worker()
    broker.shutdown_nosave()

    for project in projects:  # each publish commits; queueing its delivery fails and is logged
        project_transition(project=project, actor=coordinator, action="publish")
    published = OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED)
    assert published.count() == 3 and not published.filter(delivered_at__isnull=False).exists()

    broker.start()  # the same append-only file; the worker reconnects by itself
    # Every publish is re-dispatched (other events, such as the earlier submissions, may be too).
    assert set(published.values_list("pk", flat=True)) <= set(services.outbox_sweep(grace=timedelta(0)))

    mails = published_mail(mailbox, expected=6)
    assert len(mails) == 6 and set(mails.values()) == {1}
    assert {to for to, _ in mails} == {officer.email, second_coordinator.email}
    assert_all_sent_once(published)
    assert services.outbox_sweep(grace=timedelta(0)) == []  # nothing left pending


def test_a_pool_process_killed_mid_task_is_redelivered_and_sends_nothing_twice(
    officer, coordinator, second_coordinator, start_worker, mailbox, tmp_path
):
    (project,) = submitted_projects(officer, 1)
    stall = tmp_path / "stalled.pid"
    worker = start_worker(env={"MAILBOX_STALL_FILE": str(stall)})
    project_transition(project=project, actor=coordinator, action="publish")

    pid = int(wait_until(lambda: stall.exists() and stall.read_text(), 30, what="the task to stall"))
    os.kill(pid, signal.SIGKILL)  # the pool process, in the middle of sending, its row locked

    mails = published_mail(mailbox, expected=2)
    assert set(mails.values()) == {1} and {to for to, _ in mails} == {officer.email, second_coordinator.email}
    assert pid not in {m["pid"] for m in read_mailbox(mailbox)}
    assert_all_sent_once(OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED))
    assert "WorkerLostError" in worker.output() or "signal 9" in worker.output()


def test_a_whole_worker_killed_mid_task_its_message_returns_after_the_visibility_timeout(
    officer, coordinator, second_coordinator, start_worker, mailbox, tmp_path
):
    (project,) = submitted_projects(officer, 1)
    stall = tmp_path / "stalled.pid"
    env = {"MAILBOX_STALL_FILE": str(stall), "WORKER_VISIBILITY_TIMEOUT": "3"}
    first = start_worker(env=env)
    project_transition(project=project, actor=coordinator, action="publish")
    wait_until(lambda: stall.exists() and stall.read_text(), 30, what="the task to stall")

    first.kill()  # main process and pool: nobody acknowledges or gives back the message
    start_worker(env=env)  # restores it once it is older than the visibility timeout

    mails = published_mail(mailbox, expected=2)
    assert set(mails.values()) == {1} and {to for to, _ in mails} == {officer.email, second_coordinator.email}
    assert_all_sent_once(OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED))


def test_redis_restarted_under_a_running_task_the_worker_reconnects_at_once_and_sends_once(
    officer, coordinator, second_coordinator, start_worker, broker, mailbox, tmp_path
):
    """With a task in flight the worker used to shut down while dropping the lost connection
    (kombu's Redis channel, giving the message back, found its client gone), and Celery's own
    backoff kept a surviving worker away 2 + 4 + 6 … s; config.celery.PromptReconnectConsumer."""
    (project,) = submitted_projects(officer, 1)
    stall = tmp_path / "stalled.pid"
    env = {"MAILBOX_STALL_FILE": str(stall), "MAILBOX_STALL_SECONDS": "3", "WORKER_VISIBILITY_TIMEOUT": "3"}
    worker = start_worker(env=env)
    project_transition(project=project, actor=coordinator, action="publish")
    wait_until(lambda: stall.exists() and stall.read_text(), 30, what="the task to stall")  # unacknowledged

    broker.shutdown_nosave()
    time.sleep(1.5)  # more than Celery's first retry would leave it away, less than its second
    broker.start()
    # How soon is for the benchmark (bench/notifications_faults.py), not for a timed assertion.
    wait_until(lambda: worker.output().count("Connected to redis://") >= 2, 30, what="the worker to reconnect")

    mails = published_mail(mailbox, expected=2)  # the message comes back after the visibility timeout
    assert set(mails.values()) == {1} and {to for to, _ in mails} == {officer.email, second_coordinator.email}
    assert_all_sent_once(OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED))
    assert worker.process.poll() is None
    assert "Error on stopping" not in worker.output()
