"""Upsert by external id and the bulk endpoint × every kind of caller, on a CHN draft known
to CHN's partner system as `chn-db/D-1`; for every refused write, the proof that nothing changed.

Another party's caller can neither read the draft by its external id (404) nor write through
it (409: the id is CHN's project's and is never moved); a read-only key may not write (403).
"""

import pytest

from projects.models import ExternalId, Project

from .matrix import cases, row

pytestmark = pytest.mark.django_db


MATRIX = {
    ("api:project-external", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
    ("api:project-external", "PUT"): row(401, 409, 200, 200, 200, 409, 403, 200),
    # The request is answered per item: 200, with the item refused (409) for another party.
    ("api:project-external-bulk", "POST"): row(401, 200, 200, 200, 200, 200, 403, 200),
}
BULK_ITEM = row(None, "error", "updated", "updated", "updated", "error", None, "updated")
ENDPOINTS = set(MATRIX)

PATHS = {
    "api:project-external": "/api/v1/projects/external/chn-db/D-1/",
    "api:project-external-bulk": "/api/v1/projects/external/bulk/",
}
CONTENT = {"language": "en", "title": {"en": "Changed through the external id"}}
PAYLOADS = {
    ("api:project-external", "PUT"): CONTENT,
    ("api:project-external-bulk", "POST"): {"items": [{"source": "chn-db", "external_id": "D-1", "project": CONTENT}]},
}
CASES = cases(MATRIX)


@pytest.fixture
def known_draft(draft):
    ExternalId.objects.create(project=draft, source="chn-db", external_id="D-1")
    return draft


def snapshot(project):
    project.refresh_from_db()
    return (
        project.title_en,
        project.lead_party_id,
        project.updated_at,
        project.history.count(),
        Project.objects.count(),
        list(ExternalId.objects.values_list("source", "external_id", "project_id")),
    )


@pytest.mark.parametrize(("name", "method", "actor", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_external_matrix(actor_client, known_draft, name, method, actor, expected):
    before = snapshot(known_draft)
    response = actor_client(actor).request(method, PATHS[name], PAYLOADS.get((name, method)))
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
    item = None
    if name == "api:project-external-bulk" and expected == 200:
        item = response.json()["results"][0]
        assert item["result"] == BULK_ITEM[actor]
        if item["result"] == "error":
            assert item["problem"]["status"] == 409
    if method != "GET":
        refused = expected >= 400 or (item is not None and item["result"] == "error")
        after = snapshot(known_draft)
        assert (after == before) == refused  # refused writes change nothing; accepted ones do
        assert after[1] == before[1] and after[5] == before[5]  # never moved to another party


@pytest.mark.parametrize("actor", ["other_officer", "other_key"])
def test_another_party_cannot_create_for_the_owner(actor_client, known_draft, actor):
    before = snapshot(known_draft)
    response = actor_client(actor).request(
        "put", "/api/v1/projects/external/chn-db/NEW/", {**CONTENT, "lead_party": "CHN"}
    )
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert snapshot(known_draft) == before


@pytest.mark.parametrize("actor", ["own_key_write", "own_officer"])
def test_a_replayed_upsert_writes_nothing(actor_client, known_draft, actor):
    client = actor_client(actor)
    assert client.request("put", PATHS["api:project-external"], CONTENT).status_code == 200
    before = snapshot(known_draft)
    again = client.request("put", PATHS["api:project-external"], CONTENT)
    assert again.status_code == 200 and again["Upsert-Result"] == "unchanged"
    bulk = client.request("post", PATHS["api:project-external-bulk"], PAYLOADS[("api:project-external-bulk", "POST")])
    assert bulk.json()["results"][0]["result"] == "unchanged"
    assert snapshot(known_draft) == before
