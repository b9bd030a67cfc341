"""`/api/v1/coverage/` keeps an answer read from the aggregate store until the store changes."""

import pytest
from django.db import connection
from django.test import Client

from projects import aggregates
from projects.services import project_transition
from projects.tasks import coverage_refresh_task
from registry.models import Party
from tests.conftest import verify_two_factor

pytestmark = pytest.mark.django_db

URL = "/api/v1/coverage/"


def _without_time(data):
    return {key: value for key, value in data.items() if key != "as_of"}


def test_a_repeated_question_is_answered_in_one_query(projects, client, django_assert_num_queries):
    coverage_refresh_task()
    first = client.get(URL, {"party": "KEN"}).json()
    with django_assert_num_queries(1):  # the structure and the store's state; the figures are kept
        again = client.get(URL, {"party": "KEN"}).json()
    assert again == first and first["source"] == "aggregates"
    with django_assert_num_queries(2):  # other filters: another answer
        assert client.get(URL, {"party": "CHN"}).json()["matrix"] != first["matrix"]


def test_a_refresh_without_changes_keeps_the_answer_with_its_new_time(projects, client, django_assert_num_queries):
    coverage_refresh_task()
    first = client.get(URL).json()
    with connection.cursor() as cursor:  # as if the changes were long ago: the next refresh finds none
        cursor.execute("UPDATE feed_feedchange SET created_at = %s", ["2020-01-01T00:00:00Z"])
    coverage_refresh_task()
    with django_assert_num_queries(1):
        again = client.get(URL).json()
    assert _without_time(again) == _without_time(first) and again["as_of"] > first["as_of"]


def test_a_change_gives_a_new_answer_after_the_refresh(projects, coordinator, officer):
    client = verify_two_factor(Client(), coordinator)
    coverage_refresh_task()
    assert client.get(URL).json()["funnel"][0] == {"stage": "submitted", "count": 1, "reached": 4}
    project_transition(project=projects["p5"], actor=officer, action="submit")
    coverage_refresh_task()
    assert client.get(URL).json()["funnel"][0]["count"] == 2


def test_each_viewer_has_their_own_answer(projects, client, coordinator, other_focal_point):
    coverage_refresh_task()
    public = client.get(URL).json()
    assert [stage["stage"] for stage in public["funnel"]] == ["published", "ongoing", "completed"]
    coordinator_answer = verify_two_factor(Client(), coordinator).get(URL).json()
    assert coordinator_answer["funnel"][0]["stage"] == "submitted"  # not the anonymous answer
    assert {row["currency"] for row in coordinator_answer["budgets"]} - {row["currency"] for row in public["budgets"]}
    other = verify_two_factor(Client(), other_focal_point).get(URL).json()
    assert all(row["currency"] != "EUR" for row in other["budgets"])  # a restricted budget of another party
    assert client.get(URL, {"status": "submitted"}).status_code == 400  # refused, though a coordinator asked it


def test_an_answer_computed_from_the_base_tables_is_not_kept(projects, client, officer, django_assert_num_queries):
    coverage_refresh_task()
    assert client.get(URL).json()["source"] == "aggregates"  # kept while the store is read
    project_transition(project=projects["p5"], actor=officer, action="submit")
    with connection.cursor() as cursor:  # a store that misses a change for longer than STALE_AFTER
        cursor.execute(
            "UPDATE projects_coverage_state SET refreshed_at = refreshed_at - %s", [aggregates.STALE_AFTER + 1]
        )
    assert client.get(URL).json()["source"] == "live"
    with django_assert_num_queries(2):
        assert client.get(URL).json()["source"] == "live"


def test_a_catalogue_change_gives_a_new_answer(projects, client):
    coverage_refresh_task()
    assert "KEN" in client.get(URL).json()["matrix"]["parties"]
    Party.objects.filter(code="KEN").update(code="KEX")
    assert "KEX" in client.get(URL).json()["matrix"]["parties"]


def test_a_cache_that_is_down_costs_speed_not_the_answer(projects, client, monkeypatch):
    from django.core.cache import cache

    coverage_refresh_task()
    expected = client.get(URL).json()

    def down(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    response = client.get(URL)
    assert response.status_code == 200 and response.json()["matrix"] == expected["matrix"]
