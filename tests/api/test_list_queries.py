"""Every list endpoint of the API answers in a fixed number of queries, whatever the number of
rows and the page size: each is measured on a few rows, then on many, and must not grow.

The nested lists of a project (participations, milestones, progress reports, documents) are
pinned in test_read_path.py; the project list is pinned here too, per caller."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications.models import EventKind, OutboxEvent
from projects.models import Participation
from projects.services import project_transition
from registry.models import Party, User
from tests.factories import UserFactory, draft_project, party
from webhooks.models import WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"


def _count(client, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, (path, response.content[:300])
    return len(queries.captured_queries)


def _published(officer, count):
    coordinator = User.objects.filter(username="coord_lists").first() or UserFactory(
        role="coordinator", party=None, username="coord_lists"
    )
    for n in range(count):
        project = draft_project(officer=officer, title_en=f"Listed {n}")
        project.themes.create(name=f"theme {project.pk}")
        Participation.objects.create(
            project=project,
            party=party("KEN"),
            role="partner",
            status="active",
            lead_accepted_at=timezone.now(),
            party_confirmed_at=timezone.now(),
        )
        project_transition(project=project, actor=officer, action="submit")
        project_transition(project=project, actor=coordinator, action="publish")


@pytest.mark.parametrize(
    ("actor", "most"),
    [("anonymous", 3), ("own_key_read", 4), ("own_officer", 6), ("coordinator", 6)],  # key: + 1 (with account)
)
def test_the_project_list_takes_the_same_few_queries_for_any_page(actor_client, officer, actor, most):
    """The list of projects with their article tags and participants: at most 3 queries
    (plus authentication), for 2 rows or 30, in pages of 2 or 100."""
    client = actor_client(actor)
    _published(officer, 2)
    few = _count(client, f"{LIST}?page_size=2")
    _published(officer, 28)
    assert _count(client, f"{LIST}?page_size=100") == few <= most
    assert len(client.get(f"{LIST}?page_size=100").json()["results"]) >= 30


@pytest.mark.parametrize("path", ["/api/v1/frameworks/", "/api/v1/pillars/", "/api/v1/articles/"])
def test_the_catalogue_lists_take_the_same_few_queries_for_any_page(actor_client, path):
    client = actor_client("anonymous")
    few = _count(client, f"{path}?page_size=2")
    assert _count(client, f"{path}?page_size=500") == few <= 3


def test_the_party_list_takes_the_same_few_queries_for_any_number_of_parties(actor_client):
    client = actor_client("anonymous")
    few = _count(client, "/api/v1/parties/?page_size=2")
    Party.objects.bulk_create(
        [Party(code=f"Q{n:02d}", kind="other", name_en=f"Party {n}", name_zh_hans=f"方 {n}") for n in range(30)]
    )
    assert _count(client, "/api/v1/parties/?page_size=500") == few <= 3


def test_the_sync_feed_takes_the_same_queries_for_any_page(actor_client, officer):
    client = actor_client("own_key_read")
    _published(officer, 2)
    few = _count(client, "/api/v1/sync/projects/?page_size=2")
    _published(officer, 20)
    assert _count(client, "/api/v1/sync/projects/?page_size=100") == few


def test_the_webhook_lists_take_the_same_few_queries_for_any_page(actor_client, published):
    client = actor_client("own_key_read")
    account = User.objects.get(username="system-CHN-read")

    def add(count):
        for n in range(count):
            endpoint = WebhookEndpoint.objects.create(
                owner=account, party=account.party, url=f"https://example.org/hooks/{n}", event_types=["*"]
            )
            event = OutboxEvent.objects.create(kind=EventKind.PROJECT_PUBLISHED, project=published)
            WebhookMessage.objects.create(endpoint=endpoint, event=event, event_type="project.published", body="{}")
        return endpoint

    endpoint = add(1)
    path = "/api/v1/webhooks/endpoints/"
    few = _count(client, f"{path}?page_size=2")
    nested = f"/api/v1/webhooks/endpoints/{endpoint.pk}/messages/"
    few_nested = _count(client, nested)
    for _n in range(12):
        event = OutboxEvent.objects.create(kind=EventKind.PROJECT_PUBLISHED, project=published)
        WebhookMessage.objects.create(endpoint=endpoint, event=event, event_type="project.published", body="{}")
    add(12)
    assert _count(client, f"{path}?page_size=500") == few <= 5
    assert _count(client, nested) == few_nested <= 6
