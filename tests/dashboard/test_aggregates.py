"""The aggregate store behind the dashboard: same figures as the base tables, two queries, fresh."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from projects import aggregates
from projects.api.coverage import as_json
from projects.coverage import coverage, coverage_filter
from projects.services import project_transition
from projects.tasks import coverage_refresh_task
from registry.models import Party
from tests.conftest import verify_two_factor
from tests.dashboard.test_views import EVERY_FILTER, QUERY_LIMIT

pytestmark = pytest.mark.django_db

URL = "/api/v1/coverage/"
CUBE_FILTERS = [
    {},
    {"status": "completed"},
    {"framework": "DEGD-2023"},
    {"party": "KEN"},
    {"party": "chn"},
    {"sdg": "9"},
    {"cooperation_mode": "bilateral"},
    {"project_type": "investment"},
    # A date range alone: the cube's years, months and days (p1 published 2025-02-10, p2
    # 2025-05-01, p3 2025-05-20).
    {"published_from": "2025-05-01"},
    {"published_from": "2025-05-02"},
    {"published_to": "2025-05-19"},
    {"published_from": "2025-02-10", "published_to": "2025-05-20"},
    {"published_from": "2025-02-01", "published_to": "2025-05-31"},
    {"published_to": "2025-12-31"},  # whole years
    {"published_from": "2024-11-15", "published_to": "2026-02-10"},  # a year, a month each side, the ends
    {"published_from": "2025-05-05", "published_to": "2025-05-25"},  # days only
    {"published_from": "2025-05-20", "published_to": "2025-05-20"},  # one day
]
# What the cube holds no row for: computed from the store's per-project snapshot.
SNAPSHOT_FILTERS = [
    {"party": "KEN", "status": "completed"},
    {"published_from": "2025-01-01", "status": "completed"},
    {"party": "KEN", "cooperation_mode": "autonomous"},
    EVERY_FILTER,
    {"published_from": "2025-06-01", "published_to": "2025-05-01"},  # ends before it starts: nothing
]


def _without_time(data):
    return {key: value for key, value in data.items() if key not in ("as_of", "source")}


def figures(user, scope_party=None, **filters):
    return coverage(coverage_filter(filters, user=user), user=user, party=scope_party)


def test_the_cube_gives_the_base_tables_figures_to_every_viewer(projects, coordinator, focal_point, other_focal_point):
    viewers = [coordinator, focal_point, other_focal_point, AnonymousUser()]
    cases = [(user, None, filters) for user in viewers for filters in CUBE_FILTERS + SNAPSHOT_FILTERS]
    cases += [(focal_point, focal_point.party, filters) for filters in ({}, {"party": "CHN"}, SNAPSHOT_FILTERS[2])]
    live = [figures(user, party, **filters) for user, party, filters in cases]
    assert all(scope.as_of is None for scope in live)

    coverage_refresh_task()
    read = [figures(user, party, **filters) for user, party, filters in cases]
    assert all(scope.as_of is not None for scope in read)
    for (user, _party, filters), before, after in zip(cases, live, read, strict=True):
        assert _without_time(as_json(after)) == _without_time(as_json(before)), (user, filters)
        assert [s["label"] for s in after.funnel] == [s["label"] for s in before.funnel]
        assert [p.title for p in after.red_projects] == [p.title for p in before.red_projects]


def test_filters_the_cube_does_not_hold_are_computed_from_the_snapshot(projects, coordinator):
    coverage_refresh_task()
    for filters in SNAPSHOT_FILTERS:
        with CaptureQueriesContext(connection) as queries:
            assert figures(coordinator, **filters).as_of is not None
        statement = queries.captured_queries[-1]["sql"]
        assert "projects_coverage_project" in statement, filters
        # Neither the health inputs nor the participations are read from the base tables.
        assert "projects_progressreport" not in statement and "projects_participation" not in statement
    with connection.cursor() as cursor:  # a store that misses changes for too long is not read
        cursor.execute("UPDATE projects_coverage_state SET last_change_id = -2, refreshed_at = 1")
    assert all(figures(coordinator, **filters).as_of is None for filters in SNAPSHOT_FILTERS)


def test_the_cube_never_counts_what_a_viewer_may_not_see(projects, other_focal_point, coordinator_client):
    coverage_refresh_task()
    client = Client()
    public = client.get(URL).json()
    assert public["as_of"] and public["source"] == "aggregates"
    assert [s["stage"] for s in public["funnel"]] == ["published", "ongoing", "completed"]
    assert public["matrix"]["total"] == 3  # neither the submitted nor the draft project
    assert all(row["currency"] != "EUR" for row in public["budgets"])  # the restricted budget
    assert coordinator_client.get(URL).json()["funnel"][0] == {"stage": "submitted", "count": 1, "reached": 4}
    other = verify_two_factor(Client(), other_focal_point)
    assert all(row["currency"] != "EUR" for row in other.get(URL).json()["budgets"])


@pytest.mark.parametrize("refreshed", [False, True], ids=["live", "cube"])
@pytest.mark.parametrize("filters", CUBE_FILTERS[:4] + CUBE_FILTERS[-3:] + SNAPSHOT_FILTERS, ids=repr)
def test_the_endpoint_takes_two_queries(projects, client, django_assert_max_num_queries, refreshed, filters):
    if refreshed:
        coverage_refresh_task()
    with django_assert_max_num_queries(2):
        assert client.get(URL, filters).status_code == 200


def test_a_change_shows_after_the_refresh(projects, coordinator, officer):
    coverage_refresh_task()
    assert figures(coordinator).funnel[0]["count"] == 1  # submitted
    project_transition(project=projects["p5"], actor=officer, action="submit")
    done = coverage_refresh_task()
    assert not done["full"] and done["projects"] >= 1  # the changed ones (and those of the last seconds) only
    scope = figures(coordinator)
    assert scope.as_of is not None and scope.funnel[0]["count"] == 2


def test_a_stale_cube_is_read_for_a_while_then_the_base_tables(projects, coordinator, officer):
    coverage_refresh_task()
    project_transition(project=projects["p5"], actor=officer, action="submit")
    scope = figures(coordinator)
    assert scope.as_of is not None and scope.funnel[0]["count"] == 1  # at most STALE_AFTER seconds old
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE projects_coverage_state SET refreshed_at = refreshed_at - %s", [aggregates.STALE_AFTER + 1]
        )
    scope = figures(coordinator)
    assert scope.as_of is None and scope.funnel[0]["count"] == 2


def assert_a_full_rebuild_gives_the_same_cube():
    """The cube as the refreshes so far left it equals the one a full rebuild computes."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM projects_coverage_cube ORDER BY dim, value, figure, status, k1, k2, s")
        incremental = cursor.fetchall()
        coverage_refresh_task(full=True)
        cursor.execute("SELECT * FROM projects_coverage_cube ORDER BY dim, value, figure, status, k1, k2, s")
        assert cursor.fetchall() == incremental


def test_a_full_refresh_gives_the_same_cube(projects, officer):
    coverage_refresh_task()
    project_transition(project=projects["p5"], actor=officer, action="submit")
    coverage_refresh_task()
    assert_a_full_rebuild_gives_the_same_cube()


def test_the_page_reads_the_cube_in_two_queries(projects, coordinator_client, django_assert_max_num_queries):
    coverage_refresh_task()
    with django_assert_max_num_queries(QUERY_LIMIT):
        response = coordinator_client.get("/dashboard/")
    assert response.status_code == 200 and response.context["scopes"][0].as_of is not None


def test_the_schema_documents_the_freshness(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "as_of" in schema and "aggregates" in schema


def test_the_catalogue_is_parsed_again_when_it_changes(projects, coordinator):
    first = aggregates.structure_load("")
    again = aggregates.structure_load("")
    assert again.parties[0] is first.parties[0]  # the same rows: the instances of the last parse
    Party.objects.filter(code="KEN").update(name_en="Republic of Kenya (renamed)")
    renamed = aggregates.structure_load("")
    assert {p.code: p.name_en for p in renamed.parties}["KEN"] == "Republic of Kenya (renamed)"
    assert renamed.parties[0] is not first.parties[0]


def test_the_dashboard_reads_every_figure_the_cube_holds(projects):
    coverage_refresh_task()
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT figure FROM projects_coverage_cube")
        held = {row[0] for row in cursor.fetchall()}
    assert held and held <= set(aggregates.CUBE_FIGURES)


def test_a_date_range_reads_its_years_months_and_days_from_the_cube(projects, coordinator):
    from projects.coverage import _date_range

    def periods(**dates):
        filters = coverage_filter(dates, user=coordinator)
        filters.is_valid()
        return _date_range(filters.form.cleaned_data)

    assert periods(published_from="2024-11-15", published_to="2026-02-10") == [
        ("day", "20241115", "20241130"),
        ("day", "20260201", "20260210"),
        ("month", "202412", "202412"),
        ("month", "202601", "202601"),
        ("year", "2025", "2025"),
    ]
    assert periods(published_from="2025-05-05", published_to="2025-05-25") == [("day", "20250505", "20250525")]
    assert periods(published_from="2025-03-01", published_to="2025-12-31") == [("month", "202503", "202512")]
    assert periods(published_to="2025-05-19") == [
        ("day", "20250501", "20250519"),
        ("month", "202501", "202504"),
        ("year", None, "2024"),
    ]
    assert periods(published_from="2025-01-01") == [("year", "2025", None)]
    assert periods(published_from="2025-02-10", published_to="2025-02-28") == [("day", "20250210", "20250228")]
    assert periods(published_from="2025-12-31", published_to="2025-12-31") == [("day", "20251231", "20251231")]
