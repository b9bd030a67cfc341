"""The outbox row is written with the change, in the same transaction, or not at all."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction

from notifications import tasks
from notifications.models import EventKind, OutboxEvent
from projects.services import (
    participation_confirm,
    participation_invite,
    participation_request,
    participation_respond,
    project_transition,
    review_comment_add,
)
from tests.factories import party

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    """The ids handed to the delivery task (nothing is delivered)."""
    calls = []
    monkeypatch.setattr(tasks.deliver_event_task, "delay", calls.append)
    return calls


def test_a_transition_writes_its_event_and_queues_it_after_commit(
    draft, officer, queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        project_transition(project=draft, actor=officer, action="submit")
    event = OutboxEvent.objects.get()
    assert (event.kind, event.project, event.actor) == (EventKind.PROJECT_SUBMITTED, draft, officer)
    assert event.payload == {"to": "submitted"}
    assert len(callbacks) == 1
    assert queued == [event.pk]
    event.refresh_from_db()
    assert event.dispatched_at is not None and event.delivered_at is None


def test_a_rolled_back_change_leaves_no_event_and_no_task(draft, officer, queued, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        project_transition(project=draft, actor=officer, action="submit")
        assert OutboxEvent.objects.count() == 1  # written inside the transaction…
        raise RuntimeError("something later in the same transaction fails")
    assert not OutboxEvent.objects.exists()  # …and gone with it
    assert callbacks == []
    assert queued == []
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_a_refused_change_records_nothing(draft, other_officer, queued, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(PermissionDenied):
        project_transition(project=draft, actor=other_officer, action="submit")
    assert not OutboxEvent.objects.exists()
    assert queued == []


def test_every_lifecycle_step_records_its_kind(submitted, officer, coordinator):
    project_transition(project=submitted, actor=coordinator, action="return", comment="Add a budget line.")
    project_transition(project=submitted, actor=officer, action="resubmit")
    project_transition(project=submitted, actor=coordinator, action="publish")
    project_transition(project=submitted, actor=officer, action="start")
    kinds = list(OutboxEvent.objects.order_by("pk").values_list("kind", "payload"))
    assert kinds == [
        (EventKind.PROJECT_SUBMITTED, {"to": "submitted"}),
        (EventKind.PROJECT_RETURNED, {"to": "returned"}),
        (EventKind.PROJECT_RESUBMITTED, {"to": "resubmitted"}),
        (EventKind.PROJECT_PUBLISHED, {"to": "published"}),
        (EventKind.PROJECT_STATUS_CHANGED, {"to": "ongoing"}),
    ]


def test_joining_and_comments_record_their_events(submitted, officer, coordinator, other_officer, other_focal_point):
    project = project_transition(project=submitted, actor=coordinator, action="publish")
    OutboxEvent.objects.all().delete()
    request = participation_request(project=project, actor=other_officer, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    participation_confirm(participation=request, actor=other_focal_point, accept=False)
    invitation = participation_invite(project=project, actor=officer, party=party("THA"), role="supporter")
    review_comment_add(project=project, actor=coordinator, text="Please add indicators.")
    rows = list(OutboxEvent.objects.order_by("pk").values_list("kind", "participation", "actor", "payload"))
    assert rows == [
        (EventKind.JOIN_REQUESTED, request.pk, other_officer.pk, {}),
        (EventKind.JOIN_ACCEPTED, request.pk, officer.pk, {"by": "lead"}),
        (EventKind.JOIN_DECLINED, request.pk, other_focal_point.pk, {"by": "party"}),
        (EventKind.INVITATION, invitation.pk, officer.pk, {}),
        (EventKind.REVIEW_COMMENT, None, coordinator.pk, {"comment": project.review_comments.get().pk}),
    ]
