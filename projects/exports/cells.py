# ruff: noqa: S608 - SQL text is built from table names and fixed fragments; values are parameters
"""Each project's multi-valued export cells, kept ready: the costly part of an export.

The article tags, participants, themes and SDGs of a project, flattened as the export writes
them (both languages for the two that are translated), are kept in `projects_export_cell` by the
dashboard's refresh (`projects.aggregates.coverage_refresh`, every 20 s after changes) for the
projects the sync feed names, in the same transaction as the aggregates.

An export takes these cells for every project the refresh has seen since its last change, and
computes the others' as before, from the base tables: the projects the feed names after the
refresh (the rows the next refresh will read, with the same 30 s reach back for changes that
committed late) and the projects the refresh never saw. So an export is always exact. Catalogue
edits that change a cell (an article renumbered, a party's code, a theme's name) record a feed
change for every project concerned (`feed.signals`), so they are computed until the next
refresh keeps them.
"""

from datetime import UTC, datetime

from django.db import connection
from django.utils import translation

from ..models import Project

TABLE = "projects_export_cell"
MULTI_VALUED = ("articles", "participants", "themes", "sdgs")
TRANSLATED = ("articles", "participants")
LANGUAGES = {"en": "en", "zh_hans": "zh-hans"}  # column suffix: language code
ALIASES = {"articles": "tg", "participants": "pa", "themes": "th", "sdgs": "sd"}


def column(name: str, suffix: str) -> str:
    """The kept cell's column for the export column `name` in the language of `suffix`."""
    return f"{name}_{suffix}" if name in TRANSLATED else name


def cells_take(cursor, where: str, params: list) -> None:
    """Keep the cells of the projects `where` selects (a condition on `projects_project`)."""
    from .projects import _joins

    columns, selects, joins, join_params = ["project_id"], ["p.id"], [], []
    for suffix, code in LANGUAGES.items():
        with translation.override(code):
            more, more_params = _joins(set(TRANSLATED), source="ids", suffix=f"_{suffix}")
        joins += more
        join_params += more_params
        for name in TRANSLATED:
            columns.append(column(name, suffix))
            selects.append(f"{ALIASES[name]}_{suffix}.cell")
    more, more_params = _joins({"themes", "sdgs"}, source="ids")
    joins += more
    join_params += more_params
    columns += ["themes", "sdgs"]
    selects += ["th.cell", "sd.cell"]
    projects = Project._meta.db_table
    cursor.execute(
        f"INSERT INTO {TABLE} ({', '.join(columns)}) "
        f"WITH ids AS (SELECT id FROM {projects} WHERE {where}) "
        f"SELECT {', '.join(selects)} FROM ids JOIN {projects} p ON p.id = ids.id {' '.join(joins)}",
        [*params, *join_params],
    )


def cells_drop(cursor, ids: list) -> None:
    cursor.execute(f"DELETE FROM {TABLE} WHERE project_id IN ({', '.join(['%s'] * len(ids))})", ids)


def cells_clear(cursor) -> None:
    cursor.execute(f"DELETE FROM {TABLE}")


def cells_stale_since() -> tuple[int, datetime] | None:
    """(last change, time) after which the feed names projects whose kept cells may be out of
    date; None when the refresh has never run (then every cell is computed)."""
    from projects.aggregates import OVERLAP

    with connection.cursor() as cursor:
        cursor.execute("SELECT refreshed_at, last_change_id FROM projects_coverage_state WHERE id = 1")
        row = cursor.fetchone()
    if row is None or row[1] < 0:
        return None
    return row[1], datetime.fromtimestamp(row[0] - OVERLAP, tz=UTC)
