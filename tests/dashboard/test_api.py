"""`GET /api/v1/coverage/`: the dashboard's aggregates as JSON, scoped like the library."""

import pytest

from tests.dashboard.test_views import EVERY_FILTER

pytestmark = pytest.mark.django_db

URL = "/api/v1/coverage/"


def test_anonymous_gets_the_public_aggregates_without_restricted_budgets(projects, client):
    response = client.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["framework"] == "DEGD-2023"
    assert data["matrix"]["parties"] == ["CHN", "KEN"]
    rows = {row["pillar"]: row for row in data["matrix"]["rows"]}
    assert rows[2]["counts"] == [1, 2] and rows[2]["total"] == 2
    assert rows[2]["library_url"] == "/projects/?pillar=2"
    assert data["matrix"]["party_totals"] == [2, 2] and data["matrix"]["total"] == 3
    assert [s["stage"] for s in data["funnel"]] == ["published", "ongoing", "completed"]
    assert {(b["pillar"], b["currency"]) for b in data["budgets"]} == {(2, "USD"), (4, "USD"), (None, "USD")}
    assert sum(1 for article in data["articles"] if article["gap"]) == 31
    assert data["reporting_health"] == [{"party": "CHN", "green": 0, "amber": 0, "red": 1}]
    assert data["quarters"] == [{"year": 2025, "quarter": 1, "count": 1}, {"year": 2025, "quarter": 2, "count": 2}]


def test_coordinator_gets_every_budget_and_the_review_stage(projects, coordinator_client):
    data = coordinator_client.get(URL).json()
    assert {"pillar": 4, "currency": "EUR", "amount": "100.00", "projects": 1} in data["budgets"]
    assert data["funnel"][0] == {"stage": "submitted", "count": 1, "reached": 4}
    assert coordinator_client.get(URL, {"status": "submitted"}).json()["matrix"]["total"] == 1


def test_anonymous_may_not_count_submitted_projects(projects, client):
    response = client.get(URL, {"status": "submitted"})
    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_invalid_filters_are_a_400_with_the_fields(projects, client):
    response = client.get(URL, {"party": "XXX", "sdg": "99", "published_from": "soon"})
    assert response.status_code == 400
    assert {"party", "sdg", "published_from"} <= set(response.json()["errors"])


def test_filters_narrow(projects, client):
    data = client.get(URL, {"party": "KEN", "cooperation_mode": "autonomous"}).json()
    assert data["matrix"]["total"] == 1


def test_documented_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/coverage/" in schema and "published_from" in schema


@pytest.mark.parametrize("filters", [{}, EVERY_FILTER], ids=["unfiltered", "every-filter"])
def test_query_count_is_constant(projects, client, django_assert_max_num_queries, filters):
    # The structure (framework, articles, parties, SDGs: the filters' codes too), then every figure.
    with django_assert_max_num_queries(2):
        assert client.get(URL, filters).status_code == 200
