# ruff: noqa: S608 - the table name is a module constant
"""The export's kept multi-valued cells: the same rows as computing them, and never out of date."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.db.models import F

from projects.exports.cells import MULTI_VALUED, TABLE
from projects.exports.columns import COLUMNS as COLUMN_LABELS
from projects.services.tracking import milestone_save
from projects.tasks import coverage_refresh_task
from tests.dashboard.test_exports import EXPORT, csv_rows
from tests.factories import draft_project

pytestmark = pytest.mark.django_db

THEMES = "themes"
COLUMNS = {"columns": ["reference_code", "title", *MULTI_VALUED, "lead_organization"]}


def _export(client, language="en"):
    """{title: row}, and the themes cell at THEMES."""
    client.cookies["opl_language"] = language
    header, *rows = csv_rows(client.get(EXPORT, COLUMNS))
    title, themes = header.index(str(COLUMN_LABELS["title"].label)), header.index(str(COLUMN_LABELS["themes"].label))
    return {row[title]: {**dict(enumerate(row)), THEMES: row[themes]} for row in rows}


def _age_the_feed():
    """As if every change so far was recorded an hour ago: the refresh's cells then cover them all."""
    from feed.models import FeedChange

    FeedChange.objects.update(created_at=F("created_at") - timedelta(hours=1))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_kept_cells_give_the_rows_computed_ones_do(projects, coordinator_client, language):
    computed = _export(coordinator_client, language)
    _age_the_feed()
    coverage_refresh_task()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        assert cursor.fetchone()[0] == len(projects)
    assert _export(coordinator_client, language) == computed
    assert any("art." in str(cell) or "条" in str(cell) for row in computed.values() for cell in row.values())


def test_a_changed_project_is_computed_until_the_refresh_keeps_it(projects, coordinator_client, officer):
    _age_the_feed()
    coverage_refresh_task()
    title = projects["p1"].title_en
    with connection.cursor() as cursor:  # mark the kept cells, to see where the export read them
        cursor.execute(f"UPDATE {TABLE} SET themes = 'kept'")
    rows = _export(coordinator_client)
    assert {row[THEMES] for row in rows.values()} == {"kept"}

    milestone_save(project=projects["p1"], actor=officer, title="Pilot", due_on=date(2030, 1, 1))  # in the feed
    rows = _export(coordinator_client)
    assert rows[title][THEMES] == "Single window"  # computed: its kept cells may be out of date
    assert all(row[THEMES] == "kept" for name, row in rows.items() if name != title)
    coverage_refresh_task()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT themes FROM {TABLE} WHERE project_id = %s", [projects["p1"].pk])
        assert cursor.fetchone()[0] == "Single window"  # kept again, as it is now


def test_a_project_the_refresh_never_saw_is_computed(projects, coordinator_client, officer):
    _age_the_feed()
    coverage_refresh_task()
    draft_project(officer=officer, title_en="After the refresh")
    _age_the_feed()  # and the feed as if the refresh had read its change: only the missing cells tell
    with connection.cursor() as cursor:
        cursor.execute("UPDATE projects_coverage_state SET last_change_id = (SELECT MAX(id) FROM feed_feedchange)")
        cursor.execute(f"UPDATE {TABLE} SET themes = 'kept'")
    rows = _export(coordinator_client)
    assert rows["After the refresh"][THEMES] == "Single window"
    assert rows[projects["p1"].title_en][THEMES] == "kept"
