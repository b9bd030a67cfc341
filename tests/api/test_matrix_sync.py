"""`/api/v1/sync/projects/` × the 8 callers: everyone may read the feed, and each caller hears
exactly of the projects it may see — a CHN draft only reaches CHN callers and coordinators.
The feed only reads: other methods are refused and change nothing."""

import pytest

from feed.models import FeedChange
from projects.models import Project
from projects.services import project_update

from .matrix import ACTORS

pytestmark = pytest.mark.django_db

SEES_DRAFT = {"own_officer", "focal_point", "coordinator", "own_key_read", "own_key_write"}
URL = "/api/v1/sync/projects/"
ENDPOINTS = {("api:sync-projects", "GET")}


def _follow(client, cursor=None):
    entries = []
    while True:
        response = client.get(f"{URL}?cursor={cursor}" if cursor else URL)
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        entries += body["results"]
        cursor = body["cursor"]
        if not body["has_more"]:
            return entries, cursor


@pytest.mark.parametrize("actor", ACTORS)
def test_sync_matrix(actor_client, draft, officer, actor):
    client = actor_client(actor)
    listed, cursor = _follow(client)
    assert (draft.pk in [entry["id"] for entry in listed]) == (actor in SEES_DRAFT)
    project_update(project=draft, actor=officer, fields={"title_en": "Changed for the matrix"})
    changes, _ = _follow(client, cursor)
    expected = [(draft.pk, None)] if actor in SEES_DRAFT else []
    assert [(entry["id"], entry["tombstone"]) for entry in changes] == expected


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_sync_refuses_writes(actor_client, draft, actor, method):
    before = (Project.objects.count(), FeedChange.objects.count(), draft.updated_at)
    response = actor_client(actor).request(method, URL, {"title": "x"})
    expected = {"anonymous": 401, "own_key_read": 403}.get(actor, 405)  # read-only key: refused before 405
    assert response.status_code == expected
    assert response["Content-Type"] == "application/problem+json"
    draft.refresh_from_db()
    assert (Project.objects.count(), FeedChange.objects.count(), draft.updated_at) == before
