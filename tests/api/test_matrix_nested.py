"""Writes of a project's nested resources × every kind of caller: the expected status, and for
every refused write the proof that nothing changed (and for every accepted one that it did).

Each endpoint has its scenario: CHN is the "own" party, KEN the "other". Participation answers
need a pending participation: a KEN request on a published CHN project (the lead responds), or
a KEN-led published project that invited CHN (CHN's focal point confirms) or that CHN takes part
in (CHN withdraws). As on the web, a partner system's key acts for its party as an officer in
the project's own rules, but joining, confirming and withdrawing are for people.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from projects.api.etags import etag_for
from projects.models import Document, Indicator, Milestone, Participation, ProgressReport, Project
from projects.services import participation_invite, participation_request, project_transition
from tests.factories import UserFactory, draft_project, party

from .matrix import ACTORS, row

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 matrix\n"


# (url name, method) → (scenario, path suffix, payload, expected status per actor)
MATRIX = {
    ("api:project-participations", "POST"): (
        "draft",
        "participations/",
        {"party": "KEN", "role": "partner"},
        row(401, 404, 201, 201, 201, 404, 403, 201),
    ),
    ("api:project-join", "POST"): (
        "published",
        "join/",
        {"role": "supporter"},
        row(401, 201, 403, 403, 403, 403, 403, 403),
    ),
    ("api:project-participation-respond", "POST"): (
        "requested",
        "participations/KEN/respond/",
        {"decision": "accept"},
        row(401, 403, 200, 200, 200, 403, 403, 200),
    ),
    ("api:project-participation-confirm", "POST"): (
        "invited_chn",
        "participations/CHN/confirm/",
        {"decision": "accept"},
        row(401, 403, 403, 200, 403, 403, 403, 403),
    ),
    ("api:project-participation-withdraw", "POST"): (
        "chn_active",
        "participations/CHN/withdraw/",
        None,
        row(401, 403, 200, 200, 403, 403, 403, 403),
    ),
    ("api:project-milestones", "POST"): (
        "published",
        "milestones/",
        {"title": "Pilot launched", "due_on": "2027-03-31"},
        row(401, 403, 201, 201, 201, 403, 403, 201),
    ),
    ("api:project-milestone-detail", "PUT"): (
        "draft_milestone",
        "milestones/{milestone}/",
        {"title": "Renamed", "due_on": "2027-06-30"},
        row(401, 404, 200, 200, 200, 404, 403, 200),
    ),
    ("api:project-milestone-detail", "PATCH"): (
        "draft_milestone",
        "milestones/{milestone}/",
        {"done_on": "2026-11-01"},
        row(401, 404, 200, 200, 200, 404, 403, 200),
    ),
    ("api:project-milestone-detail", "DELETE"): (
        "draft_milestone",
        "milestones/{milestone}/",
        None,
        row(401, 404, 204, 204, 204, 404, 403, 204),
    ),
    ("api:project-progress-reports", "POST"): (
        "published",
        "progress-reports/",
        {
            "period_start": "2026-07-01",
            "period_end": "2026-09-30",
            "percent_complete": 30,
            "language": "en",
            "narrative": "Two offices connected.",
            "indicators": [{"name": "Offices", "target": "5", "actual": "2"}],
        },
        row(401, 403, 201, 201, 201, 403, 403, 201),
    ),
    ("api:project-documents", "POST"): (
        "draft",
        "documents/",
        "upload",
        row(401, 404, 201, 201, 201, 404, 403, 201),
    ),
    # A restricted document: only the lead party (and participants) and coordinators download it.
    ("api:project-document-file", "GET"): (
        "restricted_document",
        "documents/{document}/file/",
        None,
        row(404, 404, 200, 200, 200, 404, 200, 200),
    ),
}
ENDPOINTS = set(MATRIX)
CASES = [(name, method, actor) for (name, method) in MATRIX for actor in ACTORS]


def _publish(project, actor):
    project_transition(project=project, actor=actor, action="submit")
    coordinator = UserFactory(role="coordinator", party=None)
    return project_transition(project=project, actor=coordinator, action="publish")


def _active(project, code):
    now = timezone.now()
    Participation.objects.update_or_create(
        project=project,
        party=party(code),
        defaults={"role": "partner", "status": "active", "lead_accepted_at": now, "party_confirmed_at": now},
    )


@pytest.fixture
def scenario(draft, published, officer, other_officer):
    """`scenario(name)` → (project, path parameters) for one row of the matrix."""

    def make(name):
        if name == "draft":
            return draft, {}
        if name == "published":
            return published, {}
        if name == "requested":
            participation_request(project=published, actor=other_officer, role="partner")
            return published, {}
        if name in ("invited_chn", "chn_active"):
            kenyan = _publish(draft_project(officer=other_officer, title_en="Kenyan pilot"), other_officer)
            if name == "invited_chn":
                participation_invite(project=kenyan, actor=other_officer, party=party("CHN"), role="partner")
            else:
                _active(kenyan, "CHN")
            return kenyan, {}
        if name == "draft_milestone":
            milestone = Milestone.objects.create(project=draft, title="Launch", due_on="2027-01-31")
            return draft, {"milestone": milestone.pk}
        if name == "restricted_document":
            document = Document.objects.create(
                project=published,
                title="Budget annex",
                file=SimpleUploadedFile("annex.pdf", PDF),
                content_type="application/pdf",
                size=len(PDF),
                restricted=True,
                uploaded_by=officer,
            )
            return published, {"document": document.pk}
        raise ValueError(name)

    return make


def snapshot(project):
    """Everything a nested write could change."""
    project.refresh_from_db()
    return (
        project.title_en,
        project.status,
        project.updated_at,
        sorted(
            Participation.objects.filter(project=project).values_list(
                "party__code", "role", "status", "lead_accepted_at", "party_confirmed_at"
            )
        ),
        sorted(Milestone.objects.filter(project=project).values_list("id", "title", "due_on", "done_on")),
        ProgressReport.objects.filter(project=project).count(),
        Indicator.objects.filter(report__project=project).count(),
        Document.objects.filter(project=project).count(),
        Project.objects.count(),
    )


def _send(client, method, path, payload, etag):
    if payload == "upload":
        upload = SimpleUploadedFile("brief.pdf", PDF, content_type="application/pdf")
        return client.client.post(path, {"file": upload, "title": "Brief"}, **client.headers)
    return client.request(method, path, payload, HTTP_IF_MATCH=etag)


@pytest.mark.parametrize(("name", "method", "actor"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_nested_permission_matrix(actor_client, scenario, name, method, actor):
    kind, suffix, payload, expected = MATRIX[(name, method)]
    project, parameters = scenario(kind)
    path = f"/api/v1/projects/{project.pk}/{suffix.format(**parameters)}"
    etag = etag_for(project)  # the current one: refusals are about rights, not preconditions
    before = snapshot(project)
    response = _send(actor_client(actor), method, path, payload, etag)
    assert response.status_code == expected[actor], getattr(response, "content", b"")[:500]
    if expected[actor] >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if method != "GET":
        assert (snapshot(project) == before) == (expected[actor] >= 400)
