"""A broker that refuses a publish (Redis down): the committed change stands, the event or
webhook message is marked not queued, and the next sweep takes it at once, without waiting for
the grace period meant for queued messages, trying the broker once per sweep while it refuses."""

from datetime import timedelta

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from notifications import services, tasks
from notifications.models import EventKind, OutboxEvent
from projects.services import project_transition
from tests.factories import UserFactory, draft_project, party
from webhooks import delivery
from webhooks import services as webhook_services
from webhooks import tasks as webhook_tasks
from webhooks.models import MessageStatus, WebhookMessage

pytestmark = pytest.mark.django_db
GRACE = timedelta(minutes=2)


class Broker:
    """Stands in for `.delay`: refuses while `down`, records what it accepted."""

    def __init__(self):
        self.down, self.tries, self.accepted = False, 0, []

    def __call__(self, pk):
        self.tries += 1
        if self.down:
            raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        self.accepted.append(pk)


@pytest.fixture
def broker(monkeypatch):
    broker = Broker()
    monkeypatch.setattr(tasks.deliver_event_task, "delay", broker)
    monkeypatch.setattr(webhook_tasks.send_webhook_task, "delay", broker)
    return broker


def publish_all(projects, coordinator, capture):
    with capture(execute=True):
        for project in projects:
            project_transition(project=project, actor=coordinator, action="publish")
    return list(OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED).order_by("pk"))


@pytest.fixture
def three_submitted(officer):
    projects = [draft_project(officer=officer, title_en=f"Single window {n}") for n in range(3)]
    projects = [project_transition(project=p, actor=officer, action="submit") for p in projects]
    OutboxEvent.objects.update(delivered_at=timezone.now())  # the submissions are not under test
    return projects


def test_a_refused_publish_commits_the_change_and_leaves_the_event_not_queued(
    three_submitted, coordinator, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    (event, *_) = publish_all(three_submitted[:1], coordinator, django_capture_on_commit_callbacks)
    three_submitted[0].refresh_from_db()
    assert three_submitted[0].status == "published"
    assert (event.dispatched_at, event.delivered_at) == (None, None)
    assert broker.tries == 1 and broker.accepted == []


def test_the_sweep_takes_a_refused_event_at_once_not_after_the_grace_period(
    three_submitted, coordinator, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    (event,) = publish_all(three_submitted[:1], coordinator, django_capture_on_commit_callbacks)
    broker.down = False
    soon = event.created_at + services.NOT_QUEUED_GRACE + timedelta(milliseconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep(grace=GRACE, now=event.created_at) == []  # its own commit may still queue it
        assert services.outbox_sweep(grace=GRACE, now=soon) == [event.pk]
    assert broker.accepted == [event.pk]
    event.refresh_from_db()
    assert event.dispatched_at is not None
    with django_capture_on_commit_callbacks(execute=True):  # queued now: the grace period applies again
        assert services.outbox_sweep(grace=GRACE, now=soon + timedelta(seconds=30)) == []
        assert services.outbox_sweep(grace=GRACE, now=event.dispatched_at + GRACE + timedelta(seconds=1)) == [event.pk]
    assert broker.accepted == [event.pk, event.pk]


def test_a_sweep_tries_a_refusing_broker_once_and_leaves_the_rest_not_queued(
    three_submitted, coordinator, broker, django_capture_on_commit_callbacks
):
    broker.down = True
    published = publish_all(three_submitted, coordinator, django_capture_on_commit_callbacks)
    ids = [event.pk for event in published]
    assert broker.tries == 3  # one per publish
    later = timezone.now() + timedelta(seconds=10)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep(grace=GRACE, now=later) == ids
    assert broker.tries == 4  # the first refusal stopped the sweep
    assert not OutboxEvent.objects.filter(pk__in=ids, dispatched_at__isnull=False).exists()

    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert services.outbox_sweep(grace=GRACE, now=later + timedelta(seconds=15)) == ids
    assert broker.accepted == ids
    assert not OutboxEvent.objects.filter(pk__in=ids, dispatched_at__isnull=True).exists()


def test_a_refused_webhook_send_is_queued_by_the_next_run_and_stops_it(
    three_submitted, broker, django_capture_on_commit_callbacks
):
    system = UserFactory(role="partner_system", party=party("CHN"), username="system_chn_q")
    endpoint, _ = webhook_services.endpoint_create(
        actor=system, url="http://127.0.0.1:9/hooks", event_types=["review_comment"]
    )
    now = timezone.now()
    events = [OutboxEvent.objects.create(kind="review_comment", project=p) for p in three_submitted]
    make = WebhookMessage.objects.create
    ids = [make(endpoint=endpoint, event=event, body="{}", next_attempt_at=now).pk for event in events]

    broker.down = True
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.messages_due_queue(now=now) == ids
    assert broker.tries == 1
    assert not WebhookMessage.objects.filter(queued_at__isnull=False).exists()  # none waits for the lease

    broker.down = False
    with django_capture_on_commit_callbacks(execute=True):
        assert delivery.messages_due_queue(now=now + timedelta(seconds=1)) == ids
        assert delivery.messages_due_queue(now=now + timedelta(seconds=2)) == []  # queued: within the lease
    assert broker.accepted == ids
    assert set(WebhookMessage.objects.values_list("status", flat=True)) == {MessageStatus.PENDING}
