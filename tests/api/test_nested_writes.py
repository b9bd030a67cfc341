"""Writes of participations, milestones, progress reports and documents through the API:
the same services and rules as the web, field errors as problem details, nothing changed on
refusal; and the project's ETag follows every input of its representation."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from projects.models import Document, ExternalId, Milestone, Participation, ProgressReport, Project, Theme
from tests.conftest import verify_two_factor
from tests.factories import UserFactory, party

from .conftest import ApiClient

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4 brief\n"


def path(project, suffix=""):
    return f"/api/v1/projects/{project.pk}/{suffix}"


def etag(client, project):
    return client.get(path(project))["ETag"]


def test_invite_then_confirm_makes_the_party_active(actor_client, published, db):
    lead = actor_client("own_key_write")
    first = etag(lead, published)
    response = lead.request(
        "post", path(published, "participations/"), {"party": "ken", "role": "partner"}, HTTP_IF_MATCH=first
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"party": "KEN", "role": "partner", "status": "invited"}
    assert response["ETag"] != first  # the participation is part of the representation
    assert response["ETag"] == etag(lead, published)

    kenyan_focal_point = UserFactory(role="focal_point", party=party("KEN"), username="focal_ken")
    kenyan = ApiClient(verify_two_factor(Client(), kenyan_focal_point))
    invited = kenyan.get(path(published, "participations/")).json()
    assert {"party": "KEN", "role": "partner", "status": "invited"} in invited  # its own pending invitation
    confirmed = kenyan.request(
        "post", path(published, "participations/KEN/confirm/"), {"decision": "accept"}, HTTP_IF_MATCH=response["ETag"]
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "active"
    assert Participation.objects.get(project=published, party__code="KEN").status == "active"


def test_a_request_to_join_answered_by_the_lead(actor_client, published):
    kenyan = actor_client("other_officer")
    asked = kenyan.request(
        "post", path(published, "join/"), {"role": "supporter"}, HTTP_IF_MATCH=etag(kenyan, published)
    )
    assert asked.status_code == 201 and asked.json()["status"] == "requested"
    lead = actor_client("own_officer")
    answered = lead.request(
        "post", path(published, "participations/ken/respond/"), {"decision": "decline"}, HTTP_IF_MATCH=asked["ETag"]
    )
    assert answered.status_code == 200 and answered.json()["status"] == "declined"


def test_participation_writes_need_a_current_etag_and_change_nothing_without(actor_client, published):
    lead = actor_client("own_key_write")
    payload = {"party": "KEN", "role": "partner"}
    stale = etag(lead, published)
    published.themes.add(Theme.objects.create(name="Paperless trade"))  # a related change
    assert lead.request("post", path(published, "participations/"), payload).status_code == 428
    refused = lead.request("post", path(published, "participations/"), payload, HTTP_IF_MATCH=stale)
    assert refused.status_code == 412 and refused["Content-Type"] == "application/problem+json"
    assert not Participation.objects.filter(project=published, party__code="KEN").exists()


def test_service_refusals_are_field_errors_and_change_nothing(actor_client, published):
    lead = actor_client("own_key_write")
    tag = etag(lead, published)
    for payload, field in [
        ({"party": "XXX", "role": "partner"}, "party"),
        ({"party": "CHN", "role": "partner"}, "party"),  # the lead party itself (the service says so)
        ({"party": "KEN", "role": "lead"}, "role"),
    ]:
        response = lead.request("post", path(published, "participations/"), payload, HTTP_IF_MATCH=tag)
        assert response.status_code == 400, payload
        assert field in response.json()["errors"]
    assert Participation.objects.filter(project=published).count() == 1


def test_milestones_create_replace_patch_and_delete(actor_client, published):
    client = actor_client("own_key_write")
    invalid = client.request(
        "post", path(published, "milestones/"), {"title": "No date"}, HTTP_IF_MATCH=etag(client, published)
    )
    assert invalid.status_code == 400 and "due_on" in invalid.json()["errors"]
    assert not Milestone.objects.exists()
    created = client.request(
        "post",
        path(published, "milestones/"),
        {"title": "Launch", "due_on": "2027-01-31", "done_on": "2026-12-01"},
        HTTP_IF_MATCH=etag(client, published),
    )
    assert created.status_code == 201 and created.json()["done_on"] == "2026-12-01"
    one = path(published, f"milestones/{created.json()['id']}/")
    patched = client.request("patch", one, {"title": "Launched"}, HTTP_IF_MATCH=created["ETag"])
    assert patched.json() | {"id": 0} == {
        "id": 0,
        "title": "Launched",
        "due_on": "2027-01-31",
        "done_on": "2026-12-01",
        "overdue": False,
    }
    replaced = client.request("put", one, {"title": "Relaunch", "due_on": "2027-02-28"}, HTTP_IF_MATCH=patched["ETag"])
    assert replaced.status_code == 200 and replaced.json()["done_on"] is None  # PUT resets what it leaves out
    other_project = actor_client("own_key_write").request(
        "delete", path(published, "milestones/999999/"), HTTP_IF_MATCH=replaced["ETag"]
    )
    assert other_project.status_code == 404
    deleted = client.request("delete", one, HTTP_IF_MATCH=replaced["ETag"])
    assert deleted.status_code == 204 and not Milestone.objects.exists()


def test_a_progress_report_with_indicators(actor_client, published):
    client = actor_client("own_key_write")
    payload = {
        "period_start": "2026-07-01",
        "period_end": "2026-06-30",
        "percent_complete": 30,
        "language": "en",
        "narrative": "Two offices connected.",
        "indicators": [{"name": "Offices", "unit": "offices", "target": "5", "actual": "2"}, {"name": "Staff"}],
    }
    refused = client.request(
        "post", path(published, "progress-reports/"), payload, HTTP_IF_MATCH=etag(client, published)
    )
    assert refused.status_code == 400 and "period_end" in refused.json()["errors"]  # the service's own check
    assert not ProgressReport.objects.exists()
    payload["period_end"] = "2026-09-30"
    created = client.request(
        "post", path(published, "progress-reports/"), payload, HTTP_IF_MATCH=etag(client, published)
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["party"] == "CHN" and body["percent_complete"] == 30
    assert body["indicators"][0] == {
        "name": "Offices",
        "unit": "offices",
        "baseline": None,
        "target": "5.00",
        "actual": "2.00",
    }
    assert len(body["indicators"]) == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [("brief.exe", b"MZ"), ("brief.pdf", b"PK\x03\x04 not a pdf"), ("brief.png", b"%PDF- not a png")],
)
def test_uploads_are_checked_like_the_web(actor_client, published, name, content):
    client = actor_client("own_key_write")
    upload = SimpleUploadedFile(name, content)
    response = client.client.post(path(published, "documents/"), {"file": upload}, **client.headers)
    assert response.status_code == 400 and "file" in response.json()["errors"]
    assert not Document.objects.exists()


def test_upload_then_download_with_a_key(actor_client, published):
    client = actor_client("own_key_write")
    for title, restricted in [("Brief", "false"), ("Budget annex", "true")]:
        upload = SimpleUploadedFile("brief.pdf", PDF, content_type="text/plain")
        response = client.client.post(
            path(published, "documents/"), {"file": upload, "title": title, "restricted": restricted}, **client.headers
        )
        assert response.status_code == 201, response.content
        assert response.json()["content_type"] == "application/pdf"  # from the checked extension
    brief, annex = Document.objects.order_by("pk")
    got = actor_client("own_key_read").get(path(published, f"documents/{annex.pk}/file/"))
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["Cache-Control"] == "private, no-store"
    assert actor_client("other_key").get(path(published, f"documents/{annex.pk}/file/")).status_code == 404
    assert actor_client("other_key").get(path(published, f"documents/{brief.pk}/file/")).status_code == 200
    assert actor_client("anonymous").get(path(published, f"documents/{brief.pk}/file/")).status_code == 200
    elsewhere = Project.objects.exclude(pk=published.pk).first()
    if elsewhere is not None:
        assert client.get(path(elsewhere, f"documents/{brief.pk}/file/")).status_code == 404


# --- Known defects of the first slice --------------------------------------------------------


def test_put_replaces_the_whole_project_and_patch_keeps_the_rest(actor_client, draft):
    client = actor_client("own_key_write")
    patched = client.request("patch", path(draft), {"places": "Nairobi"}, HTTP_IF_MATCH=etag(client, draft))
    body = patched.json()
    assert body["places"] == "Nairobi" and body["sdgs"] == [9, 17] and body["budget"] is not None
    replaced = client.request(
        "put", path(draft), {"language": "en", "title": {"en": "Only a title"}}, HTTP_IF_MATCH=patched["ETag"]
    )
    assert replaced.status_code == 200, replaced.content
    body = replaced.json()
    assert body["title"] == {"zh-hans": "", "en": "Only a title"} and body["summary"] == {"zh-hans": "", "en": ""}
    assert body["places"] == "" and body["sdgs"] == [] and body["themes"] == [] and body["articles"] == []
    assert body["budget"] is None and body["start_on"] is None and body["cooperation_mode"] == ""
    assert body["contact"] == {"name": "", "email": "", "phone": "", "restricted": True}


def test_the_etag_follows_related_rows_not_only_project_columns(actor_client, published):
    client = actor_client("own_key_read")
    seen = {etag(client, published)}
    changes = [
        lambda: Participation.objects.create(project=published, party=party("KEN"), role="partner", status="invited"),
        lambda: Participation.objects.filter(project=published, party__code="KEN").update(status="declined"),
        lambda: published.themes.add(Theme.objects.create(name="Paperless trade")),
        lambda: published.sdgs.remove(9),
        lambda: ExternalId.objects.create(project=published, source="erp", external_id="P-1"),
        lambda: published.article_links.filter(is_primary=False).update(note="Also this"),
    ]
    for change in changes:
        updated_at = Project.objects.get(pk=published.pk).updated_at
        change()
        assert Project.objects.get(pk=published.pk).updated_at == updated_at  # the row did not change
        current = etag(client, published)
        assert current not in seen
        seen.add(current)
    assert etag(actor_client("other_key"), published) == current  # the same for every caller
