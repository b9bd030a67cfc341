"""Every projects endpoint and method × every kind of caller, with the expected status,
and for every refused write the proof that nothing happened.

The target is a draft of CHN (the "own" party); KEN is the "other" party. `ENDPOINTS` is what
`test_url_coverage.py` checks the URL configuration against.
"""

import pytest

from projects.models import Project, Transition

from .matrix import cases, row

pytestmark = pytest.mark.django_db


# (url name, method) → expected status per actor, on a CHN draft.
MATRIX = {
    ("api:project-list", "GET"): row(200, 200, 200, 200, 200, 200, 200, 200),
    # POST names lead_party CHN: only CHN callers and coordinators may.
    ("api:project-list", "POST"): row(401, 403, 201, 201, 201, 403, 403, 201),
    ("api:project-detail", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
    ("api:project-detail", "PUT"): row(401, 404, 200, 200, 200, 404, 403, 200),
    ("api:project-detail", "PATCH"): row(401, 404, 200, 200, 200, 404, 403, 200),
    # Withdrawing is for the lead party's officers (and its partner systems), as on the web.
    ("api:project-detail", "DELETE"): row(401, 404, 204, 403, 403, 404, 403, 204),
    # Submitting is for the lead party's members; a coordinator reviews instead.
    ("api:project-transitions", "POST"): row(401, 404, 200, 200, 403, 404, 403, 200),
    ("api:project-participations", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
    ("api:project-milestones", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
    ("api:project-progress-reports", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
    ("api:project-documents", "GET"): row(404, 404, 200, 200, 200, 404, 200, 200),
}
ENDPOINTS = set(MATRIX)

PATHS = {
    "api:project-list": "/api/v1/projects/",
    "api:project-detail": "/api/v1/projects/{pk}/",
    "api:project-transitions": "/api/v1/projects/{pk}/transitions/",
    "api:project-participations": "/api/v1/projects/{pk}/participations/",
    "api:project-milestones": "/api/v1/projects/{pk}/milestones/",
    "api:project-progress-reports": "/api/v1/projects/{pk}/progress-reports/",
    "api:project-documents": "/api/v1/projects/{pk}/documents/",
}
PAYLOADS = {
    ("api:project-list", "POST"): {"lead_party": "CHN", "language": "en", "title": {"en": "Matrix project"}},
    ("api:project-detail", "PUT"): {"language": "en", "title": {"en": "Changed by PUT"}},
    ("api:project-detail", "PATCH"): {"title": {"en": "Changed by PATCH"}},
    ("api:project-transitions", "POST"): {"action": "submit"},
}
CASES = cases(MATRIX)


def snapshot(project):
    project.refresh_from_db()
    return (
        project.title_en,
        project.status,
        project.lead_party_id,
        project.updated_at,
        Transition.objects.filter(project=project).count(),
        Project.objects.count(),
    )


@pytest.mark.parametrize(("name", "method", "actor", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_permission_matrix(actor_client, draft, name, method, actor, expected):
    # The ETag comes from someone who may see the draft, so refusals are about rights, not preconditions.
    etag = actor_client("own_officer").get(f"/api/v1/projects/{draft.pk}/")["ETag"]
    before = snapshot(draft)
    response = actor_client(actor).request(
        method, PATHS[name].format(pk=draft.pk), PAYLOADS.get((name, method)), HTTP_IF_MATCH=etag
    )
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if method != "GET" and expected >= 400:
        assert snapshot(draft) == before  # nothing changed, nothing created
    if method != "GET" and expected < 300:
        assert snapshot(draft) != before  # and an accepted write did happen
    if name == "api:project-list" and method == "GET":
        listed = [row["id"] for row in response.json()["results"]]
        assert (draft.pk in listed) == (MATRIX[("api:project-detail", "GET")][actor] == 200)


# Visible but not changeable: another party's published project is 403 on every write.
WRITES = [
    ("patch", "/api/v1/projects/{pk}/", {"title": {"en": "Hijacked"}}),
    ("put", "/api/v1/projects/{pk}/", {"language": "en", "title": {"en": "Hijacked"}}),
    ("delete", "/api/v1/projects/{pk}/", None),
    ("post", "/api/v1/projects/{pk}/transitions/", {"action": "withdraw"}),
]


@pytest.mark.parametrize("actor", ["other_officer", "other_key"])
@pytest.mark.parametrize(("method", "path", "payload"), WRITES)
def test_another_partys_published_project_is_read_only(actor_client, published, actor, method, path, payload):
    client = actor_client(actor)
    read = client.get(f"/api/v1/projects/{published.pk}/")
    assert read.status_code == 200
    before = snapshot(published)
    response = client.request(method, path.format(pk=published.pk), payload, HTTP_IF_MATCH=read["ETag"])
    assert response.status_code == 403
    assert snapshot(published) == before
