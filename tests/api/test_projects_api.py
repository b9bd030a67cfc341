"""The projects API: representation, disclosure, filters, cursor pages, query counts, ETags, scope."""

from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from projects.models import Document, Milestone, Participation, Project
from projects.services import participation_invite, project_transition
from tests.factories import UserFactory, draft_project, party

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"


def detail(project, suffix=""):
    return f"{LIST}{project.pk}/{suffix}"


def ids(response):
    return [row["id"] for row in response.json()["results"]]


def test_representation_of_a_project(actor_client, draft):
    response = actor_client("own_officer").get(detail(draft))
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {
        "id",
        "reference_code",
        "status",
        "language",
        "title",
        "summary",
        "lead_party",
        "lead_organization",
        "cooperation_mode",
        "project_type",
        "articles",
        "pillars",
        "themes",
        "sdgs",
        "beneficiary_groups",
        "early_harvest",
        "countries",
        "places",
        "start_on",
        "end_on",
        "budget",
        "contact",
        "participations",
        "reporting_health",
        "external_ids",
        "created_at",
        "updated_at",
    }
    assert body["title"] == {"zh-hans": "", "en": "Single window interoperability pilot"}
    assert body["lead_party"] == "CHN" and body["status"] == "draft"
    assert body["articles"] == [
        {"framework": "DEGD-2023", "number": 5, "primary": True, "note": ""},
        {"framework": "DEGD-2023", "number": 6, "primary": False, "note": ""},
    ]
    assert body["pillars"] == [2] and body["sdgs"] == [9, 17] and body["themes"] == ["Single window"]
    assert body["budget"] == {"amount": "250000.00", "currency": "USD"}
    assert body["contact"]["name"] == "Li Wei"
    assert body["participations"] == [{"party": "CHN", "role": "lead", "status": "active"}]
    assert body["reporting_health"] is None
    assert response["ETag"].startswith('"') and response["Content-Type"] == "application/json"


def test_reporting_health_of_an_ongoing_project(actor_client, published, officer):
    project_transition(project=published, actor=officer, action="start")
    Milestone.objects.create(project=published, title="Late", due_on=timezone.localdate() - timedelta(days=3))
    body = actor_client("anonymous").get(detail(published)).json()
    assert body["status"] == "ongoing" and body["reporting_health"] == "red"


@pytest.mark.parametrize("name", ["anonymous", "other_officer", "other_key"])
def test_outsiders_see_no_contact_and_no_restricted_budget(actor_client, published, name):
    body = actor_client(name).get(detail(published)).json()
    assert body["contact"] is None and body["budget"] is None
    listed = actor_client(name).get(LIST).json()["results"]
    assert [(row["contact"], row["budget"]) for row in listed] == [(None, None)]


@pytest.mark.parametrize("name", ["own_officer", "focal_point", "coordinator", "own_key_read"])
def test_lead_party_and_coordinators_see_contact_and_budget(actor_client, published, name):
    body = actor_client(name).get(detail(published)).json()
    assert body["contact"]["name"] == "Li Wei"
    assert body["budget"] == {"amount": "250000.00", "currency": "USD"}


def test_an_active_participant_sees_restricted_data(actor_client, published, other_officer, officer):
    Participation.objects.create(
        project=published,
        party=party("KEN"),
        role="partner",
        status="active",
        lead_accepted_at=timezone.now(),
        party_confirmed_at=timezone.now(),
    )
    body = actor_client("other_officer").get(detail(published)).json()
    assert body["contact"]["name"] == "Li Wei" and body["budget"]["currency"] == "USD"


def test_unconfirmed_participations_only_for_the_lead_party(actor_client, published, officer):
    participation_invite(project=published, actor=officer, party=party("KEN"), role="partner")
    for name, expected in [("anonymous", ["CHN"]), ("own_officer", ["CHN", "KEN"]), ("coordinator", ["CHN", "KEN"])]:
        body = actor_client(name).get(detail(published)).json()
        assert sorted(p["party"] for p in body["participations"]) == expected, name
        nested = actor_client(name).get(detail(published, "participations/")).json()
        assert sorted(p["party"] for p in nested) == expected, name


def test_list_scope(actor_client, draft, published, other_officer):
    other_draft = draft_project(officer=other_officer, title_en="Kenyan draft")
    assert set(ids(actor_client("anonymous").get(LIST))) == {published.pk}
    assert set(ids(actor_client("own_key_read").get(LIST))) == {published.pk, draft.pk}
    assert set(ids(actor_client("other_key").get(LIST))) == {published.pk, other_draft.pk}
    assert set(ids(actor_client("coordinator").get(LIST))) == {published.pk, draft.pk, other_draft.pk}


def test_filters(actor_client, draft, published, other_officer):
    kenyan = draft_project(officer=other_officer, title_en="Kenyan draft", cooperation_mode="plurilateral")
    client = actor_client("coordinator")
    assert set(ids(client.get(f"{LIST}?status=draft"))) == {draft.pk, kenyan.pk}
    assert set(ids(client.get(f"{LIST}?party=ken"))) == {kenyan.pk}
    assert set(ids(client.get(f"{LIST}?cooperation_mode=plurilateral"))) == {kenyan.pk}
    assert set(ids(client.get(f"{LIST}?pillar=2"))) == {draft.pk, published.pk, kenyan.pk}
    assert set(ids(client.get(f"{LIST}?article=6&framework=DEGD-2023"))) == {draft.pk, published.pk, kenyan.pk}
    assert ids(client.get(f"{LIST}?pillar=7")) == []
    since = Project.objects.get(pk=kenyan.pk).updated_at
    assert set(ids(client.get(f"{LIST}?updated_since={since.isoformat().replace('+00:00', 'Z')}"))) == {kenyan.pk}
    refused = client.get(f"{LIST}?party=XXX")
    assert refused.status_code == 400 and "party" in refused.json()["errors"]
    assert refused["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        ("1347-09-08T05:38:04+17:35", "all"),  # found by schemathesis: a 500 on PostgreSQL
        ("0001-01-01T00:00:00+05:00", "all"),  # before year 1 in UTC
        ("9999-12-31T23:00:00-05:00", "none"),  # after year 9999 in UTC
        ("2100-01-01T00:00:00-14:00", "none"),
    ],
)
def test_updated_since_takes_any_iso_offset(actor_client, draft, published, since, expected):
    response = actor_client("coordinator").get(f"{LIST}?{urlencode({'updated_since': since})}")
    assert response.status_code == 200, response.content
    assert set(ids(response)) == ({draft.pk, published.pk} if expected == "all" else set())


def test_ordering_and_cursor_pages(actor_client, officer):
    made = [draft_project(officer=officer, title_en=f"Draft {n}").pk for n in range(5)]
    client = actor_client("own_officer")
    seen, url = [], f"{LIST}?page_size=2"
    while url:
        page = client.get(url).json()
        assert len(page["results"]) <= 2
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    assert seen == sorted(made, reverse=True)  # newest change first, each exactly once
    oldest_first = ids(client.get(f"{LIST}?ordering=created_at&page_size=10"))
    assert oldest_first == sorted(made)


def test_the_list_takes_at_most_three_queries(actor_client, officer, other_officer, django_assert_max_num_queries):
    for n in range(12):
        project = draft_project(officer=officer if n % 2 else other_officer, title_en=f"Project {n}")
        project_transition(project=project, actor=project.created_by, action="submit")
        project_transition(project=project, actor=UserFactory(role="coordinator", party=None), action="publish")
    client = actor_client("anonymous")
    with django_assert_max_num_queries(3):
        response = client.get(f"{LIST}?page_size=10")
    assert len(response.json()["results"]) == 10
    key_client = actor_client("own_key_read")
    with django_assert_max_num_queries(5):  # + the key and its account (authentication)
        response = key_client.get(f"{LIST}?page_size=10")
    assert len(response.json()["results"]) == 10
    # Filters by pillar or article first resolve the numbers (2 queries, so that an unknown
    # pillar is a 400): a constant, whatever the page size.
    for size in (3, 10):
        with django_assert_max_num_queries(5):
            response = client.get(f"{LIST}?page_size={size}&pillar=2")
        assert len(response.json()["results"]) == size


def test_a_key_creates_a_draft_for_its_own_party(actor_client):
    payload = {
        "language": "en",
        "title": {"en": "Kenyan e-invoicing pilot", "zh-hans": "肯尼亚电子发票试点"},
        "articles": [{"number": 5, "primary": True}],
        "sdgs": [9],
        "themes": ["E-invoicing"],
        "budget": {"amount": "100.00", "currency": "usd"},
        "countries": ["ken"],
    }
    response = actor_client("other_key").request("post", LIST, payload)
    assert response.status_code == 201, response.content
    project = Project.objects.get(pk=response.json()["id"])
    assert project.lead_party.code == "KEN" and project.status == "draft"
    assert project.budget_currency == "USD" and project.countries == ["KEN"]
    assert response["Location"].endswith(f"/api/v1/projects/{project.pk}/") and response["ETag"]


def test_invalid_payload_is_400_with_field_errors_and_creates_nothing(actor_client):
    before = Project.objects.count()
    response = actor_client("own_key_write").request(
        "post", LIST, {"language": "en", "title": {"en": "x"}, "articles": [{"number": 99, "primary": True}]}
    )
    assert response.status_code == 400 and "articles" in response.json()["errors"]
    response = actor_client("own_key_write").request(
        "post", LIST, {"language": "en", "title": {"zh-hans": "只有中文"}, "countries": ["XXX"]}
    )
    assert response.status_code == 400
    assert {"title_en", "countries"} <= set(response.json()["errors"])
    assert Project.objects.count() == before


@pytest.mark.parametrize("name", ["own_key_write", "own_officer"])
def test_creating_for_another_party_is_refused(actor_client, name):
    before = Project.objects.count()
    response = actor_client(name).request("post", LIST, {"lead_party": "KEN", "language": "en", "title": {"en": "x"}})
    assert response.status_code == 403
    assert Project.objects.count() == before


def test_moving_a_project_to_another_party_is_refused_and_rolled_back(actor_client, draft):
    client = actor_client("own_key_write")
    etag = client.get(detail(draft))["ETag"]
    response = client.request(
        "patch", detail(draft), {"lead_party": "KEN", "title": {"en": "Moved"}}, HTTP_IF_MATCH=etag
    )
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.lead_party.code == "CHN" and draft.title_en == "Single window interoperability pilot"
    assert client.get(detail(draft))["ETag"] == etag


def test_writes_need_if_match(actor_client, draft):
    client = actor_client("own_key_write")
    for method, path, data in [
        ("patch", detail(draft), {"title": {"en": "Changed"}}),
        ("put", detail(draft), {"language": "en", "title": {"en": "Changed"}}),
        ("delete", detail(draft), None),
        ("post", detail(draft, "transitions/"), {"action": "submit"}),
    ]:
        response = client.request(method, path, data)
        assert response.status_code == 428, (method, path)
        assert response["Content-Type"] == "application/problem+json"
    draft.refresh_from_db()
    assert draft.title_en == "Single window interoperability pilot" and draft.status == "draft"


def test_a_stale_etag_is_412_and_a_write_returns_a_new_etag(actor_client, draft):
    client = actor_client("own_key_write")
    first = client.get(detail(draft))["ETag"]
    changed = client.request("patch", detail(draft), {"title": {"en": "First"}}, HTTP_IF_MATCH=first)
    assert changed.status_code == 200 and changed["ETag"] != first
    assert changed.json()["title"]["en"] == "First"
    stale = client.request("patch", detail(draft), {"title": {"en": "Second"}}, HTTP_IF_MATCH=first)
    assert stale.status_code == 412
    stale = client.request("post", detail(draft, "transitions/"), {"action": "submit"}, HTTP_IF_MATCH=first)
    assert stale.status_code == 412
    draft.refresh_from_db()
    assert draft.title_en == "First" and draft.status == "draft"
    submitted = client.request(
        "post", detail(draft, "transitions/"), {"action": "submit"}, HTTP_IF_MATCH=changed["ETag"]
    )
    assert submitted.status_code == 200 and submitted.json()["status"] == "submitted"
    assert submitted["ETag"] not in (first, changed["ETag"])


def test_the_etag_is_checked_again_under_the_row_lock(actor_client, draft, monkeypatch):
    """A write that lands between the first check and the lock makes the second check fail."""
    from projects.api import views

    client = actor_client("own_key_write")
    etag = client.get(detail(draft))["ETag"]
    real_check = views.check_if_match
    calls = []

    def racing_check(request, project):
        calls.append(project.pk)
        if len(calls) == 1:
            real_check(request, project)
            Project.objects.filter(pk=project.pk).update(updated_at=timezone.now())  # a concurrent writer
            return
        real_check(request, project)

    monkeypatch.setattr(views, "check_if_match", racing_check)
    response = client.request("patch", detail(draft), {"title": {"en": "Lost update"}}, HTTP_IF_MATCH=etag)
    assert response.status_code == 412 and len(calls) == 2
    draft.refresh_from_db()
    assert draft.title_en == "Single window interoperability pilot"


def test_an_illegal_transition_is_400(actor_client, draft):
    client = actor_client("own_key_write")
    etag = client.get(detail(draft))["ETag"]
    response = client.request("post", detail(draft, "transitions/"), {"action": "complete"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 400
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_submitting_an_incomplete_draft_lists_the_problems(actor_client):
    client = actor_client("own_key_write")
    created = client.request("post", LIST, {"language": "en", "title": {"en": "Thin"}})
    response = client.request(
        "post", f"{LIST}{created.json()['id']}/transitions/", {"action": "submit"}, HTTP_IF_MATCH=created["ETag"]
    )
    assert response.status_code == 400
    assert {"summary_en", "articles", "start_on"} <= set(response.json()["errors"])


def test_restricted_documents_are_listed_only_for_those_allowed(actor_client, published, officer):
    for title, restricted in [("Public brief", False), ("Budget annex", True)]:
        Document.objects.create(
            project=published,
            title=title,
            file="projects/x.pdf",
            content_type="application/pdf",
            size=10,
            restricted=restricted,
            uploaded_by=officer,
        )
    outsider = actor_client("other_key").get(detail(published, "documents/")).json()
    assert [d["title"] for d in outsider] == ["Public brief"]
    insider = actor_client("own_key_read").get(detail(published, "documents/")).json()
    assert [d["title"] for d in insider] == ["Public brief", "Budget annex"]
    assert all(d["download_url"].startswith("http://testserver/documents/") for d in insider)


def test_unknown_fields_are_refused_not_ignored(actor_client, draft):
    client = actor_client("own_key_write")
    etag = client.get(detail(draft))["ETag"]
    response = client.request("patch", detail(draft), {"status": "published", "title": {"en": "x"}}, HTTP_IF_MATCH=etag)
    assert response.status_code == 400 and "status" in response.json()["errors"]
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.title_en == "Single window interoperability pilot"


def test_if_none_match_answers_304_until_the_project_changes(actor_client, draft):
    client = actor_client("own_key_write")
    etag = client.get(detail(draft))["ETag"]
    unchanged = client.get(detail(draft), HTTP_IF_NONE_MATCH=etag)
    assert unchanged.status_code == 304 and unchanged["ETag"] == etag and not unchanged.content
    client.request("patch", detail(draft), {"title": {"en": "Changed"}}, HTTP_IF_MATCH=etag)
    assert client.get(detail(draft), HTTP_IF_NONE_MATCH=etag).status_code == 200
