"""Upsert by external id (`PUT /api/v1/projects/external/{source}/{id}/`) and the bulk endpoint."""

import pytest
from django.test import Client

from projects.models import ExternalId, Project
from tests.api.conftest import ApiClient, partner_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/projects/external/{source}/{external_id}/"
BULK = "/api/v1/projects/external/bulk/"


def payload(title="Cross-border e-invoicing pilot", **extra):
    return {
        "language": "en",
        "title": {"en": title},
        "summary": {"en": "Paperless invoices between two parties."},
        "articles": [{"number": 5, "primary": True}, {"number": 6, "note": "Trade documents"}],
        "themes": ["E-invoicing", "Paperless trade"],
        "sdgs": [9, 17],
        "countries": ["chn", "KEN"],
        "budget": {"amount": "1000.00", "currency": "usd"},
        **extra,
    }


@pytest.fixture
def chn_key(db):
    return ApiClient(Client(), partner_key("CHN", "read_write"))


@pytest.fixture
def ken_key(db):
    return ApiClient(Client(), partner_key("KEN", "read_write"))


def state(project):
    project.refresh_from_db()
    return (
        project.updated_at,
        project.history.count(),
        sorted(project.themes.values_list("name", flat=True)),
        sorted(project.article_links.values_list("article__number", "is_primary")),
    )


def test_put_creates_then_updates_then_leaves_identical_content_alone(chn_key):
    url = URL.format(source="chn-db", external_id="P-1")
    created = chn_key.request("put", url, payload())
    assert created.status_code == 201, created.content
    project = Project.objects.get(external_ids__source="chn-db", external_ids__external_id="P-1")
    assert project.lead_party.code == "CHN" and project.status == "draft"
    assert created.json()["id"] == project.pk and created["Location"].endswith(f"/api/v1/projects/{project.pk}/")
    assert created.json()["external_ids"] == [{"source": "chn-db", "external_id": "P-1"}]

    before = state(project)
    replay = chn_key.request("put", url, payload())
    assert replay.status_code == 200 and replay["Upsert-Result"] == "unchanged"
    assert state(project) == before  # no updated_at move, no history row

    changed = chn_key.request("put", url, payload(title="Renamed pilot", themes=["E-invoicing"]))
    assert changed.status_code == 200 and changed["Upsert-Result"] == "updated"
    project.refresh_from_db()
    assert project.title_en == "Renamed pilot" and list(project.themes.values_list("name", flat=True)) == [
        "E-invoicing"
    ]
    assert Project.objects.count() == 1


def test_get_by_external_id_follows_visibility(chn_key, ken_key):
    url = URL.format(source="chn-db", external_id="P-2")
    assert chn_key.request("put", url, payload()).status_code == 201
    assert chn_key.get(url).status_code == 200
    missing = ken_key.get(url)  # another party's draft: 404, as everywhere
    assert missing.status_code == 404 and missing["Content-Type"] == "application/problem+json"
    assert chn_key.get(URL.format(source="chn-db", external_id="nope")).status_code == 404


def test_another_partys_external_id_is_refused_and_never_moved(chn_key, ken_key):
    url = URL.format(source="shared", external_id="X")
    assert chn_key.request("put", url, payload()).status_code == 201
    project = Project.objects.get()
    before = state(project)
    response = ken_key.request("put", url, payload(title="Taken over"))
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert state(project) == before and project.lead_party.code == "CHN" and Project.objects.count() == 1
    assert ExternalId.objects.get(source="shared", external_id="X").project_id == project.pk


def test_the_lead_party_comes_from_the_key(chn_key):
    url = URL.format(source="chn-db", external_id="P-3")
    response = chn_key.request("put", url, payload(lead_party="KEN"))
    assert response.status_code == 403 and response["Content-Type"] == "application/problem+json"
    assert not Project.objects.exists() and not ExternalId.objects.exists()


def test_invalid_payload_is_400_with_field_errors_and_writes_nothing(chn_key):
    url = URL.format(source="chn-db", external_id="P-4")
    response = chn_key.request("put", url, payload(articles=[{"number": 5}], status="published"))
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert "status" in response.json()["errors"]
    response = chn_key.request("put", url, payload(articles=[{"number": 5}, {"number": 6}]))
    assert response.status_code == 400 and "articles" in response.json()["errors"]
    assert not Project.objects.exists() and not ExternalId.objects.exists()


def test_if_match_is_optional_but_honoured(chn_key):
    url = URL.format(source="chn-db", external_id="P-5")
    stale_create = chn_key.request("put", url, payload(), HTTP_IF_MATCH='"abc"')
    assert stale_create.status_code == 412 and not Project.objects.exists()
    etag = chn_key.request("put", url, payload())["ETag"]
    project = Project.objects.get()
    assert chn_key.request("put", url, payload(title="New"), HTTP_IF_MATCH='"stale"').status_code == 412
    assert chn_key.request("put", url, payload(), HTTP_IF_NONE_MATCH="*").status_code == 412
    project.refresh_from_db()
    assert project.title_en == "Cross-border e-invoicing pilot"
    assert chn_key.request("put", url, payload(title="New"), HTTP_IF_MATCH=etag).status_code == 200
    project.refresh_from_db()
    assert project.title_en == "New"


def test_a_published_project_is_not_changed_by_upsert(chn_key, officer, focal_point):
    from projects.services import project_transition

    url = URL.format(source="chn-db", external_id="P-6")
    chn_key.request("put", url, payload(cooperation_mode="bilateral", project_type="pilot_zone", start_on="2025-01-01"))
    project = Project.objects.get()
    project_transition(project=project, actor=officer, action="submit")
    project_transition(project=project, actor=focal_point, action="publish")
    before = state(project)
    assert chn_key.request("put", url, payload(title="Changed after publication")).status_code == 403
    assert state(project) == before


def item(external_id, **extra):
    return {"source": "chn-db", "external_id": external_id, "project": payload(title=f"Project {external_id}", **extra)}


def test_bulk_answers_per_item_and_one_bad_item_blocks_no_other(chn_key, ken_key):
    ken_key.request("put", URL.format(source="chn-db", external_id="KEN-OWNED"), payload())
    items = [
        item("B-1"),
        item("B-2", articles=[{"number": 999, "primary": True}]),  # unknown article
        item("B-3", lead_party="KEN"),  # another party
        item("KEN-OWNED"),  # another party's external id
        item("B-1"),  # twice in one request
        {"source": "not a slug!", "external_id": "B-5", "project": payload()},
        item("B-6", articles=[{"number": 5}, {"number": 6}]),  # no primary: refused by the service
        "not an object",
    ]
    response = chn_key.request("post", BULK, {"items": items})
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    assert [row["result"] for row in results] == ["created", *["error"] * 7]
    assert [row["problem"]["status"] for row in results[1:]] == [400, 403, 409, 409, 400, 400, 400]
    assert "project" in results[1]["problem"]["errors"] and "source" in results[5]["problem"]["errors"]
    assert "articles" in results[6]["problem"]["errors"]
    assert response.json()["counts"] == {"created": 1, "updated": 0, "unchanged": 0, "error": 7}
    assert set(Project.objects.filter(lead_party__code="CHN").values_list("title_en", flat=True)) == {"Project B-1"}
    assert ExternalId.objects.get(external_id="KEN-OWNED").project.lead_party.code == "KEN"


def test_bulk_where_every_new_item_is_refused_answers_per_item(chn_key):
    """Found by schemathesis: a batch whose every new item failed validation was a 500."""
    items = [item("R-1", articles=[{"number": 5}, {"number": 6}]), item("R-2", articles=[{"number": 5}])]
    response = chn_key.request("post", BULK, {"items": items})
    assert response.status_code == 200, response.content
    assert [row["result"] for row in response.json()["results"]] == ["error", "error"]
    assert not Project.objects.exists() and not ExternalId.objects.exists()


def test_bulk_replay_changes_nothing_and_updates_only_what_differs(chn_key):
    items = [item(f"R-{n}") for n in range(5)]
    assert chn_key.request("post", BULK, {"items": items}).json()["counts"]["created"] == 5
    before = {p.pk: state(p) for p in Project.objects.all()}
    replay = chn_key.request("post", BULK, {"items": items}).json()
    assert replay["counts"] == {"created": 0, "updated": 0, "unchanged": 5, "error": 0}
    assert {p.pk: state(p) for p in Project.objects.all()} == before
    items[2]["project"]["sdgs"] = [13]
    again = chn_key.request("post", BULK, {"items": items}).json()
    assert again["counts"] == {"created": 0, "updated": 1, "unchanged": 4, "error": 0}
    assert list(Project.objects.get(title_en="Project R-2").sdgs.values_list("number", flat=True)) == [13]


def test_bulk_limits(chn_key, settings):
    settings.API_BULK_MAX_ITEMS = 3
    too_many = chn_key.request("post", BULK, {"items": [item(f"L-{n}") for n in range(4)]})
    assert too_many.status_code == 400 and "items" in too_many.json()["errors"]
    assert chn_key.request("post", BULK, {"items": []}).status_code == 400
    assert chn_key.request("post", BULK, [item("L-1")]).status_code == 400
    assert not Project.objects.exists()


def test_bulk_query_count_grows_per_item_not_per_tag(chn_key, django_assert_max_num_queries):
    with django_assert_max_num_queries(40 * 10):
        response = chn_key.request("post", BULK, {"items": [item(f"Q-{n}") for n in range(10)]})
    assert response.json()["counts"]["created"] == 10


def test_bulk_creates_any_number_of_projects_in_the_same_queries(chn_key):
    """A create batch costs the same queries for 5 or 25 new projects with tags, themes and SDGs."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(prefix, count):
        with CaptureQueriesContext(connection) as captured:
            response = chn_key.request("post", BULK, {"items": [item(f"{prefix}-{n}") for n in range(count)]})
        assert response.json()["counts"]["created"] == count
        return [query["sql"] for query in captured.captured_queries]

    queries("FIRST", 1)  # creates the themes: two more queries, once
    few, many = queries("FEW", 5), queries("MANY", 25)
    assert len(few) == len(many)
    if connection.vendor == "postgresql":  # one statement per table, its history rows included
        writes = [sql.split("(")[0] for sql in many if sql.startswith(("INSERT", "WITH"))]
        assert len(writes) == 8, writes


def content(project):
    """A project's row (without id and times), lead participation, tags, themes and SDGs."""
    row = Project.objects.filter(pk=project.pk).values().get()
    for name in ("id", "created_at", "updated_at"):
        row.pop(name)
    participation = project.participations.values_list("party__code", "role", "status", "party_confirmed_by").get()
    return (
        row,
        participation,
        sorted(project.article_links.values_list("article__number", "is_primary", "note")),
        sorted(project.themes.values_list("name", flat=True)),
        sorted(project.sdgs.values_list("number", flat=True)),
    )


def test_bulk_creates_what_the_services_create(chn_key):
    """The batch path writes the same project, lead participation, tags, search text and history."""
    chn_key.request("put", URL.format(source="chn-db", external_id="ONE"), payload(title="Same"))
    chn_key.request(
        "post", BULK, {"items": [{"source": "chn-db", "external_id": "MANY", "project": payload(title="Same")}]}
    )
    one = Project.objects.get(external_ids__external_id="ONE")
    many = Project.objects.get(external_ids__external_id="MANY")
    assert content(one) == content(many)
    created = many.history.get(history_type="+")
    assert sorted(created.themes.values_list("theme__name", flat=True)) == ["E-invoicing", "Paperless trade"]
    assert sorted(created.sdgs.values_list("sdg_id", flat=True)) == [9, 17]
    assert created.history_user.role == "partner_system"
    assert many.participations.get().history.count() == 1 and many.article_links.first().history.count() == 1


def test_bulk_stores_awkward_values_as_the_services_do(chn_key):
    """Quotes, backslashes, percent signs, line breaks, non-Latin text, decimals, dates and lists
    reach the database unchanged (on PostgreSQL the batch's rows travel as one JSON document)."""
    awkward = payload(
        title='A "quoted" \\ 100% pilot — 跨境 ✓',
        summary={"en": "Line one\nLine two\ttabbed", "zh-hans": "摘要 \\N"},
        places="Nairobi; {Mombasa}, [Kisumu]",
        funding_sources="O'Brien & Co. $1,000",
        beneficiary_groups=["women", "msme"],
        countries=["CHN", "KEN", "ETH"],
        start_on="2026-02-28",
        end_on="2027-12-31",
        budget={"amount": "1234567.89", "currency": "CNY"},
        early_harvest=True,
        contact={"name": "Li Wei", "email": "li.wei@example.org", "phone": "+86 10 1234", "restricted": False},
    )
    assert chn_key.request("put", URL.format(source="chn-db", external_id="ONE"), awkward).status_code == 201
    items = [{"source": "chn-db", "external_id": "MANY", "project": awkward}]
    assert chn_key.request("post", BULK, {"items": items}).json()["counts"]["created"] == 1
    one = Project.objects.get(external_ids__external_id="ONE")
    many = Project.objects.get(external_ids__external_id="MANY")
    assert content(one) == content(many)
    assert many.title_en == 'A "quoted" \\ 100% pilot — 跨境 ✓' and str(many.budget_amount) == "1234567.89"
    history = many.history.get(history_type="+")
    assert (history.title_en, history.countries, history.end_on) == (many.title_en, many.countries, many.end_on)


def test_bulk_gives_each_item_its_own_rows_and_history(chn_key):
    """Every created project gets its own item's content, tags, themes, SDGs, external id, feed
    record and history (the rows of a batch are written together, then matched back to items)."""
    from feed.models import FeedChange, FeedScope

    def numbered(n):
        return item(
            f"E-{n}",
            articles=[{"number": 1 + n, "primary": True}, {"number": 20 + n, "note": f"Note {n}"}],
            themes=[f"Theme {n}", "Shared theme"],
            sdgs=[1 + n % 17],
            start_on=f"2026-01-{1 + n:02d}",
        )

    items = [numbered(n) for n in range(12)]
    items[3]["project"]["articles"] = [{"number": 4}]  # no primary: refused, the others still match up
    results = chn_key.request("post", BULK, {"items": items}).json()["results"]
    assert [row["result"] for row in results] == ["created"] * 3 + ["error"] + ["created"] * 8
    for n, row in enumerate(results):
        if n == 3:
            continue
        project = Project.objects.get(pk=row["id"])
        assert (row["external_id"], project.external_ids.get().external_id) == (f"E-{n}", f"E-{n}")
        assert project.title_en == f"Project E-{n}" and str(project.start_on) == f"2026-01-{1 + n:02d}"
        tags = sorted(project.article_links.values_list("article__number", "is_primary", "note"))
        assert tags == [(1 + n, True, ""), (20 + n, False, f"Note {n}")]
        assert sorted(project.themes.values_list("name", flat=True)) == ["Shared theme", f"Theme {n}"]
        assert list(project.sdgs.values_list("number", flat=True)) == [1 + n % 17]
        created = project.history.get()
        assert created.history_type == "+" and created.title_en == project.title_en
        assert sorted(created.themes.values_list("theme__name", flat=True)) == ["Shared theme", f"Theme {n}"]
        assert list(created.sdgs.values_list("sdg_id", flat=True)) == [1 + n % 17]
        assert sorted(link.history.get().article.number for link in project.article_links.all()) == [1 + n, 20 + n]
        assert project.participations.get().history.get().history_type == "+"
        party = f",{project.lead_party_id},"
        assert FeedChange.objects.get(project_id=project.pk).parties == party
        assert FeedScope.objects.get(project_id=project.pk).parties == party
    assert Project.objects.count() == 11 and not ExternalId.objects.filter(external_id="E-3").exists()


@pytest.mark.postgres
def test_the_batch_insert_refuses_a_too_long_text_instead_of_cutting_it(officer):
    from django.db import DataError, transaction

    from projects.services import bulk_sql
    from tests.factories import draft_project

    project = draft_project(officer=officer)
    with pytest.raises(DataError), transaction.atomic():
        bulk_sql.insert(ExternalId, [{"project_id": project.pk, "source": "s" * 65, "external_id": "X"}])
    bulk_sql.insert(ExternalId, [{"project_id": project.pk, "source": "s" * 64, "external_id": "X"}])
    assert ExternalId.objects.get(project=project).source == "s" * 64


@pytest.mark.postgres
def test_the_batch_insert_stores_none_in_a_json_column_as_sql_null(officer):
    """As Django does: `None` is SQL NULL (refused by a NOT NULL column), never the JSON `null`."""
    from django.db import IntegrityError, transaction

    from projects.services import bulk_sql

    row = {"language": "en", "title_en": "T", "lead_party_id": officer.party_id, "countries": None}
    with pytest.raises(IntegrityError, match="countries"), transaction.atomic():
        bulk_sql.insert(Project, [row])
    bulk_sql.insert(Project, [{**row, "countries": ["KEN"]}])
    assert Project.objects.get(title_en="T").countries == ["KEN"]


def test_bulk_falls_back_to_one_savepoint_per_item_on_a_conflict(chn_key, monkeypatch):
    from django.db import IntegrityError

    from projects.services import bulk

    def conflict(*args):
        raise IntegrityError("simulated concurrent insert")

    monkeypatch.setattr(bulk, "_write_new", conflict)
    items = [item("F-1"), item("F-2", articles=[{"number": 5}]), item("F-3")]
    results = chn_key.request("post", BULK, {"items": items}).json()["results"]
    assert [row["result"] for row in results] == ["created", "error", "created"]
    assert Project.objects.count() == 2 and ExternalId.objects.count() == 2


@pytest.mark.parametrize("external_id", ["a%00b", "%09", "line%0Abreak"])
def test_an_external_id_with_control_characters_is_a_clear_400(chn_key, external_id):
    """Found by schemathesis: a NUL in the path was a 500 on PostgreSQL."""
    url = URL.format(source="chn-db", external_id=external_id)
    response = chn_key.request("put", url, payload())
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert "external_id" in response.json()["errors"]
    assert chn_key.get(url).status_code == 404
    assert not ExternalId.objects.exists()


def test_bulk_echoes_only_string_keys(chn_key):
    """Found by schemathesis: an object as external id was echoed back, against the schema."""
    response = chn_key.request("post", BULK, {"items": [{"source": "erp", "external_id": {}, "project": payload()}]})
    assert response.status_code == 200, response.content
    row = response.json()["results"][0]
    assert (row["source"], row["external_id"], row["result"]) == ("erp", None, "error")
    assert "external_id" in row["problem"]["errors"]


PLAIN = [
    payload(),
    payload(title="  Trimmed  ", places=" Nairobi ", funding_sources="", early_harvest=True, budget_restricted=False),
    payload(
        summary={"zh-hans": "摘要", "en": ""},
        cooperation_mode="bilateral",
        project_type="",
        beneficiary_groups=["women", "msme"],
        start_on="2026-01-01",
        end_on=None,
        budget=None,
        lead_organization=None,
        contact={"name": " Li Wei ", "email": "li.wei@example.org", "phone": "", "restricted": False},
        articles=[{"framework": "degd-2023", "number": 7, "primary": True, "note": " why "}],
    ),
    payload(articles=[], themes=[], sdgs=[], countries=[], contact={}),
    payload(budget={"amount": "12.5", "currency": "EUR"}, contact={"email": ""}),
]
UNUSUAL = [  # valid or not, the serializer decides: the plain path stands aside
    payload(sdgs=["9"]),
    payload(early_harvest="true"),
    payload(budget={"amount": 1000, "currency": "USD"}),
    payload(budget={"amount": "1e3", "currency": "USD"}),
    payload(start_on="20260101"),
    payload(start_on="2026-02-30"),
    payload(themes=[""]),
    payload(themes=["x" * 81]),
    payload(countries=["CHINA"]),
    payload(title={"en": "NUL \x00"}),
    payload(title={"fr": "Titre"}),
    payload(title=None),
    payload(articles=[{"number": 999, "primary": True}]),
    payload(articles=[{"number": True}]),
    payload(contact={"email": "not an address"}),
    payload(lead_party="CHN"),
    payload(lead_organization=1),
    payload(status="published"),
    payload(cooperation_mode="solo"),
    {"title": {"en": "No language"}},
    "not an object",
]


@pytest.mark.parametrize("data", PLAIN + UNUSUAL)
def test_the_plain_path_validates_exactly_as_the_serializer(data):
    from projects.api.external import CatalogueWriteSerializer, article_catalogue, plain_content

    catalogue = article_catalogue()
    plain = plain_content(catalogue)(data)
    serializer = CatalogueWriteSerializer(data=data, context={"articles": catalogue})
    valid = serializer.is_valid()
    if data not in PLAIN:
        assert plain is None
        return
    assert plain is not None and valid, serializer.errors
    assert plain == json_ready(serializer.validated_data)
    expected = serializer.service_arguments(replace=True)
    serializer._validated_data = plain
    assert serializer.service_arguments(replace=True) == expected


def json_ready(value):
    """The serializer's validated data as plain dicts and lists (its nested OrderedDicts)."""
    if isinstance(value, dict):
        return {key: json_ready(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_ready(item) for item in value]
    return value


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        ({"source": "erp", "external_id": " A-1 "}, {"source": "erp", "external_id": "A-1"}),
        ({"source": "e r p", "external_id": "A-1"}, None),
        ({"source": "erp", "external_id": "  "}, None),
        ({"source": "erp", "external_id": 12}, None),
    ],
)
def test_the_plain_key_is_the_key_serializer(data, plain):
    from projects.api.external import ItemKeySerializer, plain_key

    assert plain_key(data) == plain
    if plain is not None:
        serializer = ItemKeySerializer(data=data)
        assert serializer.is_valid() and dict(serializer.validated_data) == plain
