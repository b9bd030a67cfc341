"""Partner-system callers of the sync feed, and a reader that follows its cursors."""

import pytest
from rest_framework.test import APIClient

from projects.services import project_transition
from tests.factories import UserFactory, draft_project, party

URL = "/api/v1/sync/projects/"


def system_client(code: str | None, *, username: str | None = None) -> APIClient:
    """An API client signed in as the partner-system account of party `code` (None: anonymous)."""
    client = APIClient()
    if code is not None:
        user = UserFactory(role="partner_system", party=party(code), username=username or f"system-{code}")
        client.force_authenticate(user)
    return client


def page(client, cursor=None, page_size=None):
    params = {}
    if cursor:
        params["cursor"] = cursor
    if page_size:
        params["page_size"] = page_size
    response = client.get(URL, params)
    assert response.status_code == 200, response.content[:500]
    return response.json()


def follow(client, cursor=None, page_size=None):
    """Read until up to date: (every entry received, the cursor to store)."""
    entries = []
    while True:
        body = page(client, cursor, page_size)
        entries.extend(body["results"])
        cursor = body["cursor"]
        if not body["has_more"]:
            return entries, cursor


@pytest.fixture
def chn_system(db):
    return system_client("CHN")


@pytest.fixture
def ken_system(db):
    return system_client("KEN")


@pytest.fixture
def published(officer, focal_point):
    project = draft_project(officer=officer, title_en="Published pilot")
    project_transition(project=project, actor=officer, action="submit")
    return project_transition(project=project, actor=focal_point, action="publish")
