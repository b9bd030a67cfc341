import pytest
from django.utils import timezone

from notifications.models import OutboxEvent
from projects.choices import ParticipationStatus
from projects.models import Participation
from projects.services import project_transition
from tests.factories import UserFactory, draft_project, party


@pytest.fixture(autouse=True)
def _deliver_in_process():
    """These tests drive delivery in-process after the captured commit, also when CI configures a
    broker (the real-worker tests start a worker of their own)."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def draft(officer):
    return draft_project(officer=officer)


@pytest.fixture
def submitted(draft, officer):
    """A submitted project whose own submission event counts as delivered (it is not under test)."""
    project = project_transition(project=draft, actor=officer, action="submit")
    OutboxEvent.objects.update(delivered_at=timezone.now())
    return project


@pytest.fixture
def kenya_joins(submitted):
    """Kenya takes part with both consents (set directly: joining itself is tested elsewhere)."""
    now = timezone.now()
    return Participation.objects.create(
        project=submitted,
        party=party("KEN"),
        role="partner",
        status=ParticipationStatus.ACTIVE,
        lead_accepted_at=now,
        party_confirmed_at=now,
    )


@pytest.fixture
def chinese_officer(db):
    return UserFactory(role="officer", party=party("CHN"), username="officer_chn_zh", preferred_language="zh-hans")


@pytest.fixture
def second_coordinator(db):
    return UserFactory(role="coordinator", party=None, username="coordinator_two")
