"""The dashboard page and its CSV exports: who may see them, what they show, how many queries."""

import csv
import io
import re

import pytest
from django.urls import reverse

from tests.conftest import verify_two_factor

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
EVERY_FILTER = {
    "framework": "DEGD-2023",
    "party": "KEN",
    "status": "completed",
    "cooperation_mode": "autonomous",
    "project_type": "pilot_zone",
    "sdg": "9",
    "published_from": "2025-01-01",
    "published_to": "2025-12-31",
}


def test_the_url_name():
    assert reverse("projects:dashboard") == URL


def test_coordinator_sees_the_matrix_table(projects, coordinator_client):
    response = coordinator_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="dashboard-data"' in html and "vendor/echarts/echarts.min.js" in html and "js/dashboard.js" in html
    assert "<script>" not in html  # data only through json_script, code only from static files
    assert re.search(r"data-grand-total>3<", html)
    assert 'data-cell="2-KEN">2</a>' in html
    assert html.count("Gap: no project") == 31
    scopes = response.context["scopes"]
    assert len(scopes) == 1 and scopes[0].scope_party is None


def test_a_matrix_cell_leads_to_exactly_the_projects_it_counted(projects, coordinator_client, client):
    scope = coordinator_client.get(URL).context["scopes"][0]
    cell = next(c for row in scope.matrix if row["number"] == 2 for c in row["cells"] if c["party"] == "KEN")
    assert cell["count"] == 2
    listed = client.get(cell["url"]).context["projects"]
    assert {project.pk for project in listed} == {projects["p1"].pk, projects["p3"].pk}
    row = next(row for row in scope.matrix if row["number"] == 4)
    listed = client.get(row["url"]).context["projects"]
    assert {project.pk for project in listed} == {projects["p2"].pk, projects["p3"].pk}


def test_cell_links_keep_the_filters(projects, coordinator_client, client):
    scope = coordinator_client.get(URL, {"cooperation_mode": "bilateral"}).context["scopes"][0]
    cell = next(c for row in scope.matrix if row["number"] == 2 for c in row["cells"] if c["party"] == "KEN")
    assert cell["count"] == 1 and "cooperation_mode=bilateral" in cell["url"]
    assert [project.pk for project in client.get(cell["url"]).context["projects"]] == [projects["p1"].pk]


def test_filters_narrow_and_stay_in_the_form(projects, coordinator_client):
    response = coordinator_client.get(URL, {"party": "KEN", "cooperation_mode": "autonomous"})
    assert response.context["scopes"][0].total == 1
    assert response.context["form"]["party"].value() == "KEN"


def test_invalid_filters_give_a_message_not_an_error(projects, coordinator_client):
    response = coordinator_client.get(URL, {"party": "XXX", "sdg": "99", "published_from": "soon", "status": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be applied" in html
    assert "There is no party with the code “XXX”." in html
    assert response.context["scopes"][0].total == 3  # the invalid filters are ignored


def test_focal_point_sees_their_party_beside_the_framework(projects, focal_point, focal_client):
    response = focal_client.get(URL)
    assert response.status_code == 200
    mine, everyone = response.context["scopes"]
    assert mine.scope_party == focal_point.party and mine.total == 2
    assert everyone.scope_party is None and everyone.total == 3
    assert "Your party: China" in response.content.decode()


def test_focal_point_may_not_count_submitted_projects(projects, focal_client):
    response = focal_client.get(URL, {"status": "submitted"})
    assert response.status_code == 200
    assert "Some filters could not be applied" in response.content.decode()
    assert [scope.total for scope in response.context["scopes"]] == [2, 3]
    assert "submitted" not in [stage["stage"] for stage in response.context["scopes"][1].funnel]


def test_focal_point_of_another_party_does_not_see_a_restricted_budget(projects, client, other_focal_point):
    response = verify_two_factor(client, other_focal_point).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-budget="4-EUR"' not in html and 'data-budget="4-USD"' in html


EXPORTS = ["/dashboard/matrix.csv", "/dashboard/articles.xlsx", "/dashboard/budgets.csv", "/dashboard/tables.xlsx"]


@pytest.mark.parametrize("path", [URL, *EXPORTS])
def test_officers_are_refused(projects, client, officer, other_officer, path):
    for user in (officer, other_officer):
        client.force_login(user)
        response = client.get(path)
        assert response.status_code == 403
        assert b"Single window" not in response.content


@pytest.mark.parametrize("path", [URL, *EXPORTS, "/projects/list-export/", "/projects/list-export.csv"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unverified_coordinator_must_finish_two_factor(client, coordinator):
    client.force_login(coordinator)
    response = client.get(URL)
    assert response.status_code == 302 and "/account/two-factor/" in response["Location"]


def _csv(response) -> list:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_matrix_csv(projects, coordinator_client):
    response = coordinator_client.get("/dashboard/matrix.csv", {"party": "KEN"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = _csv(response)
    assert rows[0] == ["Pillar", "CHN", "KEN", "Total"]
    assert rows[2][1:] == ["1", "2", "2"]
    assert rows[4][1:] == ["0", "1", "1"]
    assert rows[-1] == ["Total", "1", "2", "2"]


def test_articles_csv(projects, coordinator_client):
    rows = _csv(coordinator_client.get("/dashboard/articles.csv"))
    assert rows[0] == ["Article", "Title", "Pillar", "Projects", "Parties", "Gap"]
    by_number = {row[0]: row for row in rows[1:]}
    assert len(by_number) == 35
    assert by_number["5"][2:] == ["2", "2", "2", ""]
    assert by_number["27"][2:] == ["", "1", "1", ""]
    assert by_number["1"][3:] == ["0", "0", "yes"]


def test_page_renders_in_chinese(projects, coordinator_client):
    coordinator_client.cookies["opl_language"] = "zh-hans"
    response = coordinator_client.get(URL)
    assert response.status_code == 200 and '<html lang="zh-Hans">' in response.content.decode()


QUERY_LIMIT = 7  # session, user, device, menu, exchange rates; the structure (filters' codes too); the figures


@pytest.mark.parametrize("filters", [{}, EVERY_FILTER], ids=["unfiltered", "every-filter"])
def test_page_query_count_is_constant(projects, coordinator_client, django_assert_max_num_queries, filters):
    with django_assert_max_num_queries(QUERY_LIMIT):
        assert coordinator_client.get(URL, filters).status_code == 200


def test_party_view_query_count(projects, focal_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(QUERY_LIMIT + 1):  # the party's figures are a second statement
        assert focal_client.get(URL, EVERY_FILTER | {"status": ""}).status_code == 200


def test_party_view_links_only_what_the_library_can_list(projects, focal_client, client):
    mine = focal_client.get(URL).context["scopes"][0]
    links = {(row["number"], c["party"]): c["url"] for row in mine.matrix for c in row["cells"] if c["count"]}
    assert links[(2, "KEN")] is None  # CHN and KEN together: the library takes one party
    listed = client.get(links[(2, "CHN")]).context["projects"]
    assert [project.pk for project in listed] == [projects["p1"].pk]
    row = next(row for row in mine.matrix if row["number"] == 4)
    assert [project.pk for project in client.get(row["url"]).context["projects"]] == [projects["p2"].pk]


def test_world_map_data_uses_the_atlas_ids(projects, coordinator_client):
    response = coordinator_client.get(URL)
    html = response.content.decode()
    assert "vendor/topojson-client/topojson-client.min.js" in html and "world-atlas/countries-110m.json" in html
    assert response.context["chart_data"][0]["map"] == [
        {"name": "156", "code": "CHN", "value": 2},
        {"name": "404", "code": "KEN", "value": 2},
    ]


def test_the_library_shares_the_published_date_range(projects, client):
    response = client.get("/projects/", {"published_from": "2025-05-01", "published_to": "2025-05-10"})
    assert [project.pk for project in response.context["projects"]] == [projects["p2"].pk]
    html = response.content.decode()
    assert 'type="date" name="published_from" value="2025-05-01"' in html
    assert [p.pk for p in client.get("/projects/", {"published_to": "2025-03-01"}).context["projects"]] == [
        projects["p1"].pk
    ]


def test_the_library_ignores_an_invalid_date_with_a_message(projects, client):
    response = client.get("/projects/", {"published_from": "soon"})
    assert response.status_code == 200 and len(response.context["projects"]) == 3
    assert "Some filters could not be applied" in response.content.decode()


def test_the_dashboard_date_range_still_works(projects, coordinator_client):
    response = coordinator_client.get(URL, {"published_from": "2025-05-01"})
    assert response.context["scopes"][0].total == 2
    assert 'type="date" name="published_from" value="2025-05-01"' in response.content.decode()


def test_the_page_says_how_fresh_the_aggregates_are(projects, coordinator_client):
    from projects.tasks import coverage_refresh_task

    assert "data-as-of" not in coordinator_client.get(URL).content.decode()  # computed live: now
    coverage_refresh_task()
    page = coordinator_client.get(URL).content.decode()
    assert "data-as-of" in page and "Figures as of" in page
    coordinator_client.cookies["opl_language"] = "zh-hans"
    chinese = coordinator_client.get(URL).content.decode()
    assert "data-as-of" in chinese and "数据截至" in chinese
