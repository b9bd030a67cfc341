"""The dashboard's lists (early harvest, reporting overdue): the first projects, the total, the
library page of all of them; and reporting health kept in the aggregate store from day to day."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from projects.api.coverage import as_json
from projects.coverage import coverage, coverage_filter
from projects.models import Project, reporting_health
from projects.services import project_transition
from projects.services.tracking import milestone_save
from projects.tasks import coverage_refresh_task
from tests.dashboard.test_aggregates import assert_a_full_rebuild_gives_the_same_cube
from tests.factories import draft_project

pytestmark = pytest.mark.django_db


def _ongoing(officer, coordinator, *, title, started, early_harvest=False):
    today = timezone.localdate()
    project = draft_project(
        officer=officer,
        title_en=title,
        start_on=started,
        end_on=today + timedelta(days=800),
        early_harvest=early_harvest,
    )
    project_transition(project=project, actor=officer, action="submit")
    project_transition(project=project, actor=coordinator, action="publish")
    return project_transition(project=project, actor=officer, action="start")


@pytest.fixture
def ongoing(officer, coordinator):
    """Ongoing projects without reports: their health runs from their start date."""
    today = timezone.localdate()
    started = {
        "silent": today - timedelta(days=900),  # red, the longest without a report
        "late": today - timedelta(days=400),  # red
        "due": today - timedelta(days=200),  # amber
        "fresh": today - timedelta(days=10),  # green
        "milestone": today - timedelta(days=20),  # red: a milestone overdue
    }
    made = {
        name: _ongoing(officer, coordinator, title=name, started=day, early_harvest=name != "fresh")
        for name, day in started.items()
    }
    milestone_save(project=made["milestone"], actor=officer, title="Pilot", due_on=today - timedelta(days=1))
    return made


def _scope(user, limit, **filters):
    return coverage(coverage_filter(filters, user=user), user=user, list_limit=limit)


@pytest.mark.parametrize("refreshed", [False, True], ids=["live", "cube"])
def test_lists_hold_the_first_projects_and_count_them_all(ongoing, coordinator, refreshed):
    if refreshed:
        coverage_refresh_task()
    scope = _scope(coordinator, 2)
    assert (scope.as_of is not None) == refreshed
    assert [p.title for p in scope.red_projects] == ["silent", "late"]  # the longest without a report first
    assert scope.red_total == 3
    assert len(scope.early_harvest) == 2 and scope.early_harvest_total == 4
    whole = _scope(coordinator, None)
    assert [p.title for p in whole.red_projects] == ["silent", "late", "milestone"]
    assert {p.title for p in whole.early_harvest} == {"silent", "late", "due", "milestone"}
    data = as_json(scope)
    assert data["reporting_overdue_total"] == 3 and len(data["reporting_overdue"]) == 2
    assert data["early_harvest_total"] == 4 and "early_harvest=yes" in data["early_harvest_url"]


def test_the_library_lists_what_a_list_link_promises(ongoing, coordinator, client):
    coverage_refresh_task()
    scope = _scope(coordinator, 1)
    red = client.get(scope.red_url)
    assert {p.title_en for p in red.context["projects"]} == {"silent", "late", "milestone"}
    harvest = client.get(scope.early_harvest_url)
    assert {p.title_en for p in harvest.context["projects"]} == {"silent", "late", "due", "milestone"}


@pytest.mark.parametrize("health", ["green", "amber", "red"])
def test_the_library_health_filter_agrees_with_the_projects_health(ongoing, client, health):
    listed = {p.title_en for p in client.get("/projects/", {"health": health}).context["projects"]}
    expected = {
        project.title_en
        for project in Project.objects.with_reporting().filter(pk__in=[p.pk for p in ongoing.values()])
        if reporting_health(
            status=project.status,
            last_report_on=project.last_report_on,
            has_overdue_milestone=project.has_overdue_milestone,
            started_on=project.start_on,
        )
        == health
    }
    assert listed == expected and listed


def test_the_library_refuses_an_unknown_health_with_a_message(ongoing, client):
    response = client.get("/projects/", {"health": "purple"})
    assert response.status_code == 200
    assert response.context["form"].errors["health"]


def test_health_follows_the_day_in_the_store(ongoing, coordinator):
    coverage_refresh_task()
    assert _scope(coordinator, None).health[0]["amber"] == 1
    later = timezone.localdate() + timedelta(days=200)  # "due" and "fresh" have aged by then
    with mock.patch("django.utils.timezone.localdate", return_value=later):
        stale = _scope(coordinator, None)
        assert stale.as_of is None  # the store's health is of another day: not read
        assert stale.health[0] == {"party": "CHN", "green": 0, "amber": 1, "red": 4}
        done = coverage_refresh_task()
        assert not done["full"]
        read = _scope(coordinator, None)
        assert read.as_of is not None
        assert as_json(read)["reporting_health"] == as_json(stale)["reporting_health"]
        assert_a_full_rebuild_gives_the_same_cube()


def test_the_page_shows_the_totals_and_the_library_link(ongoing, coordinator_client, monkeypatch):
    monkeypatch.setattr(coverage, "__kwdefaults__", {"party": None, "list_limit": 1})
    coverage_refresh_task()
    page = coordinator_client.get("/dashboard/").content.decode()
    assert "The first 1 of 3 projects." in page and "health=red" in page
    assert "The first 1 of 4 projects." in page and "early_harvest=yes" in page


def test_the_export_has_the_whole_list(ongoing, coordinator_client, monkeypatch):
    monkeypatch.setattr(coverage, "__kwdefaults__", {"party": None, "list_limit": 1})
    coverage_refresh_task()
    response = coordinator_client.get("/dashboard/reporting-overdue.csv")
    rows = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert len(rows) == 1 + 3
