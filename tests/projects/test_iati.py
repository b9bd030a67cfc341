"""The IATI 2.03 export validates against the official schema and discloses only public data."""

from pathlib import Path

import pytest
from lxml import etree

from projects.services import participation_request, participation_respond, project_transition, project_update
from tests.factories import draft_project

SCHEMA = Path(__file__).resolve().parents[2] / "projects" / "iati_schema" / "iati-activities-schema.xsd"
pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def schema():
    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def publish(project, officer, coordinator):
    project_transition(project=project, actor=officer, action="submit")
    return project_transition(project=project, actor=coordinator, action="publish")


def export(client):
    response = client.get("/api/v1/iati/activities.xml")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    return etree.fromstring(response.content)


def test_export_is_valid_iati_and_lists_only_public_projects(
    client, schema, officer, focal_point, coordinator, other_focal_point
):
    published = publish(draft_project(officer=officer, title_en="Published pilot"), officer, coordinator)
    ongoing = publish(
        draft_project(officer=officer, title_en="Ongoing pilot", title_zh_hans="进行中的试点"), officer, coordinator
    )
    request = participation_request(project=ongoing, actor=other_focal_point, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    project_transition(project=ongoing, actor=officer, action="start")
    draft_project(officer=officer, title_en="Still a draft")
    submitted = draft_project(officer=officer, title_en="In review")
    project_transition(project=submitted, actor=officer, action="submit")

    root = export(client)
    schema.assertValid(root)
    activities = root.findall("iati-activity")
    titles = {a.findtext("title/narrative[@{http://www.w3.org/XML/1998/namespace}lang='en']") for a in activities}
    assert titles == {"Published pilot", "Ongoing pilot"}
    by_id = {a.findtext("iati-identifier"): a for a in activities}
    activity = by_id[f"XI-OPL-{ongoing.reference_code}"]
    assert activity.find("activity-status").get("code") == "2"
    assert {o.get("role") for o in activity.findall("participating-org")} == {"2", "4"}  # lead accountable, partner
    assert sorted(c.get("code") for c in activity.findall("recipient-country")) == ["CN", "KE"]
    assert {t.get("code") for t in activity.findall("tag[@vocabulary='2']")} == {"9", "17"}
    article_tags = activity.findall("tag[@vocabulary='99']")
    assert {t.get("code") for t in article_tags} == {"DEGD-2023:5", "DEGD-2023:6"}
    assert all(
        t.get("vocabulary-uri").startswith("http://testserver/frameworks/DEGD-2023/articles/") for t in article_tags
    )
    value = activity.find("budget/value")
    assert (value.get("currency"), value.text) == ("USD", "250000.00")
    assert by_id[f"XI-OPL-{published.reference_code}"].find("activity-status").get("code") == "1"


def test_restricted_budget_and_contact_never_leave(client, schema, officer, coordinator):
    project = draft_project(officer=officer, contact_email="secret.person@example.org")
    project_update(project=project, actor=officer, fields={"budget_restricted": True})
    publish(project, officer, coordinator)
    body = client.get("/api/v1/iati/activities.xml").content
    root = etree.fromstring(body)
    schema.assertValid(root)
    assert root.find("iati-activity/budget") is None
    assert root.find("iati-activity").get("default-currency") is None
    assert b"secret.person" not in body and b"250000" not in body


def test_an_empty_library_exports_an_empty_document(client, schema):
    root = export(client)
    assert root.get("version") == "2.03" and root.findall("iati-activity") == []
    with pytest.raises(etree.DocumentInvalid):
        schema.assertValid(root)  # IATI needs at least one activity: an empty library is not an IATI file
