"""The dashboard's aggregate store: every figure pre-summed per filter dimension, kept up to date.

Layout (plain tables, created by migration 0005; the same SQL on PostgreSQL and SQLite):

- `projects_coverage_cube`: for each filter dimension value (`dim`, `value`: none, framework,
  party, SDG, cooperation mode, project type, publication year 'YYYY', month 'YYYYMM' and day
  'YYYYMMDD') the rows of every figure (`figure`, keys `k1`, `k2`, `s`) with a project count
  `n` and a budget sum `amount`, per status for the unfiltered
  rows (so a status filter is served too) and as "+public" (published, ongoing and completed
  summed, what a view without a status filter counts) for every dimension; the funnel keeps
  every status. The unfiltered view and any one filter read a few thousand rows, whatever the
  number of projects. Restricted budgets are kept apart (in total, and per party leading or
  actively taking part), so each viewer adds only what they may see;
- `projects_coverage_project`, `_pair`, `_tag`, `_sdg`, `_theme`: the snapshot of the facts the
  cube was computed from, per project (with its reporting health). What the cube holds no row
  for (two filters, a status with another filter, a date range with another filter) is
  computed from it, and the dashboard's lists are read from it (`snapshot_projects`);
- `projects_coverage_state`: when it was refreshed, up to which sync-feed change, and a version
  raised by every refresh that changed the store.

Every figure is additive over projects (a project counts once per key; the COUNT DISTINCT of
parties per article is kept as (article, party) rows and counted when read), so a refresh takes
the changed projects' figures out as the snapshot has them, snapshots them again and puts their
new figures in: its cost depends on the number of changed projects (named by the sync feed's
`FeedChange` rows, which every project service writes), not on the size of the database.

Freshness: `projects.tasks.coverage_refresh_task` runs every 20 s (beat); the dashboard reads
the store while it is current or was refreshed less than `STALE_AFTER` seconds ago, otherwise it
computes the same rows from the base tables (the "live" path): a change shows within
`STALE_AFTER` seconds at worst. A date range alone sums the cube's rows of the years, months and
days that make it up: every figure is additive.
Reporting health depends on the day: the snapshot keeps its inputs, and the first refresh of a
day computes every ongoing project's health again (until then the cube is not read).
"""

# SQL is assembled from model table names and constants; every value is a parameter.
# ruff: noqa: S608

import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from framework.models import Article, Framework, Pillar
from registry.models import Party

from .choices import PUBLIC_STATUSES, ParticipationStatus
from .exports import cells
from .models import Milestone, Participation, ProgressReport, Project, ProjectArticle, Sdg, Theme

STALE_AFTER = 30  # seconds a cube that misses some changes is still read
OVERLAP = 30  # seconds: changes recorded this long before the last refresh are looked at again
# Past this many projects a first build outlasts a task's time limit: `manage.py coverage_refresh --full`.
BUILD_IN_TASK = 50_000
KEY = "dim, value, figure, status, k1, k2, s"
PUBLIC = tuple(status.value for status in PUBLIC_STATUSES)  # what the cube's "+public" rows sum
# What the figures need of a project, and what the lists (early harvest, reporting health) show.
FIGURE_COLUMNS = (
    "id",
    "status",
    "lead_party_id",
    "cooperation_mode",
    "project_type",
    "published_at",
    "budget_amount",
    "budget_currency",
    "budget_restricted",
    "early_harvest",
)
PLURALS = {"framework": "frameworks", "pillar": "pillars", "article": "articles", "party": "parties", "sdg": "sdgs"}
TOP_THEMES = 10
LIST_COLUMNS = ("reference_code", "title_en", "title_zh_hans", "start_on")
PROJECT_COLUMNS = FIGURE_COLUMNS + LIST_COLUMNS
# The snapshot's reporting-health columns: the last report (else the start date, else NO_DATE),
# the first milestone not done, and the health they gave on the state's `health_day`.
HEALTH_COLUMNS = ("health_ref", "due_first", "health")
NO_DATE = date(1, 1, 1)  # no report and no start date: as overdue as can be
# Every figure the cube holds (`_figure_select`).
CUBE_FIGURES = (
    "status",
    "cell",
    "pillar",
    "party",
    "all",
    "article",
    "article_party",
    "mode",
    "theme",
    "budget",
    "budget_party",
    "harvest",
    "health",
    "quarter",
)
LIST_LIMIT = 50  # projects per dashboard list (early harvest, reporting overdue); the library has them all


# --- Reading: the structure (query 1) ------------------------------------------------------------


@dataclass
class Structure:
    """The frameworks, the pillars and articles of the one asked for (or the primary one), every
    party and SDG, and the state of the cube: all read in one statement."""

    frameworks: list = field(default_factory=list)
    pillars: list = field(default_factory=list)
    articles: list = field(default_factory=list)
    parties: list = field(default_factory=list)
    sdgs: list = field(default_factory=list)
    refreshed_at: float | None = None
    last_change_id: int = 0
    latest_change_id: int = 0
    health_day: str = ""
    full_at: float | None = None  # when the store was last built whole
    version: int = 0  # raised by every refresh that changes the store (since it was built whole)
    catalogue_key: str = ""  # a digest of the catalogue rows read

    @property
    def as_of(self) -> datetime | None:
        """When the store was last refreshed: what the figures read from it are as of."""
        return None if self.refreshed_at is None else datetime.fromtimestamp(self.refreshed_at, tz=UTC)

    def cube_usable(self, now: float | None = None) -> bool:
        """Read the cube while it misses no change, or for `STALE_AFTER` seconds after it began
        to; never once the day its reporting health was computed for is over."""
        if self.refreshed_at is None or self.health_day != timezone.localdate().isoformat():
            return False
        if self.last_change_id == self.latest_change_id:
            return True
        return (now or time.time()) - self.refreshed_at <= STALE_AFTER


def _text(column, model_field) -> str:
    if model_field.get_internal_type() == "BooleanField":
        return f"CASE WHEN {column} THEN '1' ELSE '0' END"
    return f"CAST({column} AS varchar(4000))"


def structure_load(framework_code: str) -> Structure:
    """One UNION ALL statement; values travel as text and are parsed by the model fields."""
    wanted = f"framework_id IN (SELECT id FROM {Framework._meta.db_table} WHERE is_primary OR UPPER(code) = UPPER(%s))"
    parts = [
        ("framework", Framework, "1 = 1", []),
        ("pillar", Pillar, wanted, [framework_code]),
        ("article", Article, wanted, [framework_code]),
        ("party", Party, "1 = 1", []),
        ("sdg", Sdg, "1 = 1", []),
    ]
    width = max(len(model._meta.concrete_fields) for _kind, model, _where, _params in parts)
    selects, params = [], []
    for kind, model, where, where_params in parts:
        fields = model._meta.concrete_fields
        columns = [_text(f.column, f) for f in fields] + ["NULL"] * (width - len(fields))
        selects.append(f"SELECT '{kind}', {', '.join(columns)} FROM {model._meta.db_table} WHERE {where}")
        params += where_params
    state = [
        "CAST((SELECT refreshed_at FROM projects_coverage_state WHERE id = 1) AS varchar(64))",
        "CAST((SELECT last_change_id FROM projects_coverage_state WHERE id = 1) AS varchar(64))",
        "CAST((SELECT MAX(id) FROM feed_feedchange) AS varchar(64))",
        "(SELECT health_day FROM projects_coverage_state WHERE id = 1)",
        "CAST((SELECT version FROM projects_coverage_state WHERE id = 1) AS varchar(64))",
        "CAST((SELECT full_at FROM projects_coverage_state WHERE id = 1) AS varchar(64))",
    ]
    selects.append(f"SELECT 'state', {', '.join(state + ['NULL'] * (width - len(state)))}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    loaded = Structure()
    state = next(row for row in rows if row[0] == "state")
    rows = [row for row in rows if row[0] != "state"]
    loaded.refreshed_at = float(state[1]) if state[1] is not None else None
    loaded.last_change_id = int(state[2] or 0)
    loaded.latest_change_id = int(state[3] or 0)
    loaded.health_day = state[4] or ""
    loaded.version = int(state[5] or 0)
    loaded.full_at = float(state[6]) if state[6] is not None else None
    _catalogue_parse(loaded, rows, {kind: model for kind, model, _where, _params in parts}, framework_code)
    return loaded


# The catalogue as last parsed, per framework asked for: the rows are read on every request (in
# the one statement), but building ~300 model instances from them costs more than the statement;
# identical rows give the same instances again.
_PARSED: dict = {}


def _catalogue_parse(loaded: Structure, rows: list, models: dict, framework_code: str) -> None:
    key = framework_code.strip().upper()
    previous = _PARSED.get(key)
    if previous is not None and previous[0] == rows:
        for plural, instances in previous[1].items():
            setattr(loaded, plural, list(instances))
        loaded.catalogue_key = previous[2]
        return
    for kind, *values in rows:
        fields = models[kind]._meta.concrete_fields
        parsed = [None if value is None else f.to_python(value) for f, value in zip(fields, values, strict=False)]
        instance = models[kind].from_db("default", [f.attname for f in fields], parsed)
        getattr(loaded, PLURALS[kind]).append(instance)
    pillars = {pillar.pk: pillar for pillar in loaded.pillars}
    for article in loaded.articles:
        if article.pillar_id:
            article.pillar = pillars[article.pillar_id]
    if len(_PARSED) > 32:  # codes asked for that do not exist: each has its own key
        _PARSED.clear()
    loaded.catalogue_key = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
    _PARSED[key] = (rows, {plural: list(getattr(loaded, plural)) for plural in PLURALS.values()}, loaded.catalogue_key)


# --- The figures' rows, from the base tables -------------------------------------------------------


SNAPSHOTS = {
    "pairs": "SELECT project_id, party_id FROM projects_coverage_pair",
    "tags": "SELECT project_id, article_id, pillar_id, framework_id FROM projects_coverage_tag",
    "sdgs": "SELECT project_id, sdg_id FROM projects_coverage_sdg",
    "themes": "SELECT project_id, theme_id FROM projects_coverage_theme",
}


def _health_inputs(alias: str) -> tuple[str, list]:
    """`health_ref` and `due_first` of the ongoing projects `alias` (NULL for the others), each
    from an index lookup per project."""
    return (
        f"""CASE WHEN {alias}.status = 'ongoing' THEN COALESCE(
                (SELECT MAX(r.submitted_on) FROM {ProgressReport._meta.db_table} r WHERE r.project_id = {alias}.id),
                {alias}.start_on, %s) END AS health_ref,
            CASE WHEN {alias}.status = 'ongoing' THEN (
                SELECT MIN(m.due_on) FROM {Milestone._meta.db_table} m
                WHERE m.project_id = {alias}.id AND m.done_on IS NULL) END AS due_first""",
        [NO_DATE],
    )


def _health_case(alias: str, today: date) -> tuple[str, list]:
    """The reporting health on `today` from the inputs (as `models.reporting_health` decides it)."""
    from .models import HEALTH_AMBER_AFTER, HEALTH_RED_AFTER

    return (
        f"""CASE WHEN {alias}.status <> 'ongoing' THEN '' WHEN {alias}.due_first < %s THEN 'red'
            WHEN {alias}.health_ref < %s THEN 'red' WHEN {alias}.health_ref < %s THEN 'amber' ELSE 'green' END""",
        [today, today - HEALTH_RED_AFTER, today - HEALTH_AMBER_AFTER],
    )


def _figure_ctes(projects_sql: str, *, dims: bool, snapshot: bool, today: date | None = None) -> tuple[str, list]:
    """CTEs `p` (the projects), `ph` (them with their reporting health), `pairs` (project, party
    leading or active), `tags` (project, article, pillar, framework), `sdgs`, `themes`, `d` (a
    project per dimension value) and the distinct (project, pillar) `pp` and (project, framework
    with a pillar) `pf`; from the base tables (the health as on `today`), or from the snapshot the
    cube was computed from (`snapshot`). Returns the SQL and the parameters that follow `p`'s."""
    if snapshot:
        sources = {name: f"{sql} WHERE project_id IN (SELECT id FROM p)" for name, sql in SNAPSHOTS.items()}
        healthy, health_params = "SELECT * FROM p", []
    else:
        sources = {
            "pairs": f"""SELECT p.id AS project_id, p.lead_party_id AS party_id FROM p
                UNION
                SELECT pt.project_id, pt.party_id FROM {Participation._meta.db_table} pt
                WHERE pt.status = '{ParticipationStatus.ACTIVE}' AND pt.project_id IN (SELECT id FROM p)""",
            "tags": f"""SELECT DISTINCT t.project_id, t.article_id, a.pillar_id, a.framework_id
                FROM {ProjectArticle._meta.db_table} t JOIN {Article._meta.db_table} a ON a.id = t.article_id
                WHERE t.project_id IN (SELECT id FROM p)""",
            "sdgs": f"SELECT project_id, sdg_id FROM {Project.sdgs.through._meta.db_table} "
            "WHERE project_id IN (SELECT id FROM p)",
            "themes": f"SELECT project_id, theme_id FROM {Project.themes.through._meta.db_table} "
            "WHERE project_id IN (SELECT id FROM p)",
        }
        inputs, input_params = _health_inputs("p")
        case, case_params = _health_case("q", today or timezone.localdate())
        healthy = f"SELECT q.*, {case} AS health FROM (SELECT p.*, {inputs} FROM p) q"
        health_params = case_params + input_params
    cols = ", ".join(f"x.{name}" for name in (*FIGURE_COLUMNS, "health"))
    d = [f"SELECT '' AS dim, '' AS value, {cols} FROM ph x"]
    period_params = []
    if dims:
        periods, period_params = _period_values("x.published_at")
        d += [
            f"SELECT '{dim}', {value}, {cols} FROM ph x WHERE x.published_at IS NOT NULL"
            for dim, value in periods.items()
        ]
        d += [
            f"SELECT 'cooperation_mode', x.cooperation_mode, {cols} FROM ph x WHERE x.cooperation_mode <> ''",
            f"SELECT 'project_type', x.project_type, {cols} FROM ph x WHERE x.project_type <> ''",
            f"SELECT 'party', CAST(pr.party_id AS varchar(64)), {cols} FROM ph x JOIN pairs pr ON pr.project_id = x.id",
            f"SELECT 'sdg', CAST(sg.sdg_id AS varchar(64)), {cols} FROM ph x JOIN sdgs sg ON sg.project_id = x.id",
            f"SELECT 'framework', CAST(fw.framework_id AS varchar(64)), {cols} FROM ph x "
            "JOIN (SELECT DISTINCT project_id, framework_id FROM tags) fw ON fw.project_id = x.id",
        ]
    union = "\n UNION ALL ".join(d)
    listed = ",\n".join(f"{name} AS ({sql})" for name, sql in sources.items())
    sql = f"""p AS ({projects_sql}),
        ph AS ({healthy}),
        {listed},
        d AS ({union}),
        pp AS (SELECT DISTINCT project_id, pillar_id FROM tags WHERE pillar_id IS NOT NULL),
        pf AS (SELECT DISTINCT project_id, framework_id FROM tags WHERE pillar_id IS NOT NULL)"""
    return sql, health_params + period_params


def _period_values(column: str) -> tuple[dict, list]:
    """The publication year, month and day as the cube's values, 'YYYY', 'YYYYMM' and
    'YYYYMMDD' (fixed widths, so ranges compare as text), in the current time zone as the
    `published_at__date` filters take the date; and their parameters, in that order."""
    tz = timezone.get_current_timezone_name() if settings.USE_TZ else None
    year, year_params = connection.ops.datetime_extract_sql("year", column, (), tz)
    month, month_params = connection.ops.datetime_extract_sql("month", column, (), tz)
    day, day_params = connection.ops.datetime_extract_sql("day", column, (), tz)
    values = {
        "year": f"CAST(CAST({year} AS integer) AS varchar(64))",
        "month": f"CAST(CAST({year} * 100 + {month} AS integer) AS varchar(64))",
        "day": f"CAST(CAST({year} * 10000 + {month} * 100 + {day} AS integer) AS varchar(64))",
    }
    return values, [*year_params, *year_params, *month_params, *year_params, *month_params, *day_params]


def _figure_select(only: tuple | None = None) -> tuple[str, list]:
    """Rows (dim, value, figure, status, k1, k2, s, n, amount) of every figure over `d` (or of
    the figures named in `only`)."""
    head = "SELECT d.dim, d.value, '{figure}', d.status, {k1}, {k2}, {s}, COUNT(*), {amount} FROM d"
    group = "GROUP BY d.dim, d.value, d.status"
    tz = timezone.get_current_timezone_name() if settings.USE_TZ else None
    year, year_params = connection.ops.datetime_extract_sql("year", "d.published_at", (), tz)
    quarter, quarter_params = connection.ops.datetime_extract_sql("quarter", "d.published_at", (), tz)
    restricted = "CASE WHEN d.budget_restricted THEN 1 ELSE 0 END"
    budgeted = "d.budget_amount IS NOT NULL"
    parts = [
        ("status", head.format(figure="status", k1=0, k2=0, s="d.status", amount=0), f"{group}"),
        (
            "cell",
            head.format(figure="cell", k1="pp.pillar_id", k2="pr.party_id", s="''", amount=0),
            f"JOIN pp ON pp.project_id = d.id JOIN pairs pr ON pr.project_id = d.id {group}, pp.pillar_id, pr.party_id",
        ),
        (
            "pillar",
            head.format(figure="pillar", k1="pp.pillar_id", k2=0, s="''", amount=0),
            f"JOIN pp ON pp.project_id = d.id {group}, pp.pillar_id",
        ),
        (
            "party",
            head.format(figure="party", k1="pf.framework_id", k2="pr.party_id", s="''", amount=0),
            "JOIN pf ON pf.project_id = d.id JOIN pairs pr ON pr.project_id = d.id "
            f"{group}, pf.framework_id, pr.party_id",
        ),
        (
            "all",
            head.format(figure="all", k1="pf.framework_id", k2=0, s="''", amount=0),
            f"JOIN pf ON pf.project_id = d.id {group}, pf.framework_id",
        ),
        (
            "article",
            head.format(figure="article", k1="t.article_id", k2=0, s="''", amount=0),
            f"JOIN tags t ON t.project_id = d.id {group}, t.article_id",
        ),
        (
            "article_party",
            head.format(figure="article_party", k1="t.article_id", k2="pr.party_id", s="''", amount=0),
            "JOIN tags t ON t.project_id = d.id JOIN pairs pr ON pr.project_id = d.id "
            f"{group}, t.article_id, pr.party_id",
        ),
        (
            "mode",
            head.format(figure="mode", k1=0, k2=0, s="d.cooperation_mode", amount=0),
            f"{group}, d.cooperation_mode",
        ),
        (
            "theme",
            head.format(figure="theme", k1="th.theme_id", k2=0, s="''", amount=0),
            f"JOIN themes th ON th.project_id = d.id {group}, th.theme_id",
        ),
        (
            "budget",
            head.format(
                figure="budget", k1="pp.pillar_id", k2=restricted, s="d.budget_currency", amount="SUM(d.budget_amount)"
            ),
            f"JOIN pp ON pp.project_id = d.id WHERE {budgeted} {group}, pp.pillar_id, {restricted}, d.budget_currency",
        ),
        (
            "budget",
            head.format(figure="budget", k1=0, k2=restricted, s="d.budget_currency", amount="SUM(d.budget_amount)"),
            f"WHERE {budgeted} {group}, {restricted}, d.budget_currency",
        ),
        (
            "budget_party",
            head.format(
                figure="budget_party",
                k1="pp.pillar_id",
                k2="pr.party_id",
                s="d.budget_currency",
                amount="SUM(d.budget_amount)",
            ),
            "JOIN pp ON pp.project_id = d.id JOIN pairs pr ON pr.project_id = d.id "
            f"WHERE {budgeted} AND d.budget_restricted {group}, pp.pillar_id, pr.party_id, d.budget_currency",
        ),
        (
            "budget_party",
            head.format(
                figure="budget_party", k1=0, k2="pr.party_id", s="d.budget_currency", amount="SUM(d.budget_amount)"
            ),
            "JOIN pairs pr ON pr.project_id = d.id "
            f"WHERE {budgeted} AND d.budget_restricted {group}, pr.party_id, d.budget_currency",
        ),
    ]
    parts += [
        ("harvest", head.format(figure="harvest", k1=0, k2=0, s="''", amount=0), f"WHERE d.early_harvest {group}"),
        (
            "health",
            head.format(figure="health", k1="d.lead_party_id", k2=0, s="d.health", amount=0),
            f"WHERE d.status = 'ongoing' {group}, d.lead_party_id, d.health",
        ),
    ]
    selects = [f"{select} {rest}" for name, select, rest in parts if only is None or name in only]
    if only is not None and "quarter" not in only:
        return "\n UNION ALL ".join(selects), []
    selects.append(
        "SELECT dq.dim, dq.value, 'quarter', dq.status, CAST(dq.y AS bigint), CAST(dq.q AS bigint), '', "
        f"COUNT(*), 0 FROM (SELECT d.*, {year} AS y, {quarter} AS q FROM d WHERE d.published_at IS NOT NULL) dq "
        "GROUP BY dq.dim, dq.value, dq.status, dq.y, dq.q"
    )
    return "\n UNION ALL ".join(selects), [*year_params, *quarter_params]


# --- Reading: the figures and the lists (query 2) ----------------------------------------------------


@dataclass
class FigureQuery:
    """What one dashboard scope asks: the filtered projects (SQL), and how to read the figures."""

    projects_sql: str
    projects_params: tuple
    counted: list  # statuses counted by every figure but the funnel
    funnel: list  # statuses the funnel shows
    dimension: tuple | None  # (dim, value) read from the cube; None: a date range, or computed
    every_budget: bool
    budget_party_id: int | None
    # The same projects in the store's snapshot (`snapshot_projects`), while the store is read:
    # what the cube holds no row for is computed from them, and the lists are read from them
    # (their titles joined to the listed rows only). None: the base tables for everything.
    snapshot_sql: str | None = None
    snapshot_params: tuple = ()
    # A date range: the cube's periods that make it up exactly, (dim "year", "month" or "day",
    # first value, last value; None: open).
    periods: list | None = None


def snapshot_projects(
    *,
    statuses=None,
    parties=(),
    framework_id=None,
    sdg_id=None,
    mode="",
    project_type="",
    published=(None, None),
) -> tuple[str, list]:
    """The snapshot's projects (its figure and health columns) that a combination of filters
    selects, as the library's filters mean them (party: leading or active, as the snapshot's
    pairs hold it; framework: tagged to one of its articles); `published`: publication times
    [from, to), None where open.

    What the cube holds no row for (two filters, a status with another filter, a date range
    with another filter) is computed from these rows: the same figures as the base tables give at the
    refresh, without the joins and per-project lookups the base tables need (the health inputs,
    the articles' pillars, the participations)."""
    where, params = [], []
    if statuses is not None:
        marks, values = _in(statuses)
        where.append(f"s.status IN ({marks})")
        params += values
    exists = "EXISTS (SELECT 1 FROM {table} x WHERE x.project_id = s.id AND x.{column} = %s)"
    for table, column, values in (
        ("projects_coverage_pair", "party_id", parties),
        ("projects_coverage_tag", "framework_id", [framework_id] if framework_id else []),
        ("projects_coverage_sdg", "sdg_id", [sdg_id] if sdg_id else []),
    ):
        for value in values:
            where.append(exists.format(table=table, column=column))
            params.append(value)
    for column, value in (("cooperation_mode", mode), ("project_type", project_type)):
        if value:
            where.append(f"s.{column} = %s")
            params.append(value)
    for operator, bound in zip((">=", "<"), published, strict=True):
        if bound is not None:
            where.append(f"s.published_at {operator} %s")
            params.append(bound)
    columns = ", ".join(f"s.{name}" for name in (*FIGURE_COLUMNS, *HEALTH_COLUMNS))
    return f"SELECT {columns} FROM projects_coverage_project s WHERE {' AND '.join(where) or '1 = 1'}", params


def _in(values) -> tuple[str, list]:
    return ", ".join(["%s"] * len(values)), [str(value) for value in values]


def _cube_read(query: FigureQuery, figure_counted: str, figure_params: list) -> tuple[str, list]:
    """The CTE `fig`: the cube's rows of the statuses asked for (the funnel's and the others'; an
    index range each), for one dimension value, or for the years, months and days that make up a
    date range (summed by the caller: every figure is additive)."""
    figures = ", ".join(f"'{name}'" for name in CUBE_FIGURES if name != "status")
    if query.periods is None:
        ranges = [("dim = %s AND value = %s", list(query.dimension))]
    else:
        ranges = []
        for dim, first, last in query.periods:
            where, where_params = "dim = %s", [dim]
            for operator, value in ((">=", first), ("<=", last)):
                if value is not None:
                    where += f" AND value {operator} %s"
                    where_params.append(value)
            ranges.append((where, where_params))
    selects, params = [], []
    for where, where_params in ranges:
        selects += [
            f"SELECT * FROM projects_coverage_cube WHERE {where} AND figure = 'status'",
            f"SELECT * FROM projects_coverage_cube WHERE {where} AND figure IN ({figures})"
            f" AND status IN ({figure_counted})",
        ]
        params += [*where_params, *where_params, *figure_params]
    rows = "\n            UNION ALL\n            ".join(selects)
    return f"fig AS ({rows})", params


def _listed(kind: str, source: str, order: str, limit: str, joined: bool) -> str:
    """A list's rows (kind, id, lead party, reference code, 0, 0, titles, status) in `order`,
    `source` being "<from> e WHERE …"; with `joined`, the reference codes and titles are not in
    `source` (the snapshot's): they are joined from the projects table to the listed rows only."""
    if joined:
        listed = f"SELECT e.* FROM {source} ORDER BY {order}{limit}"
        return f"""SELECT * FROM (
            SELECT '{kind}', e.id, e.lead_party_id, j.reference_code, 0, 0, j.title_en, j.title_zh_hans, e.status
            FROM ({listed}) e JOIN {Project._meta.db_table} j ON j.id = e.id ORDER BY {order}
        ) {kind}"""
    return f"""SELECT * FROM (
            SELECT '{kind}', e.id, e.lead_party_id, e.reference_code, 0, 0, e.title_en, e.title_zh_hans, e.status
            FROM {source} ORDER BY {order}{limit}
        ) {kind}"""


def figures_fetch(query: FigureQuery, *, list_limit: int | None = LIST_LIMIT) -> list:
    """Rows (kind, k1, k2, s, n, amount, t1, t2, t3) of every figure, and of the first
    `list_limit` projects of each list (all of them with None), in one statement."""
    counted, counted_params = _in(query.counted)
    funnel, funnel_params = _in(query.funnel)
    figure_counted, figure_params = counted, counted_params
    snapshot = query.snapshot_sql is not None
    projects_sql, params = (
        (query.snapshot_sql, list(query.snapshot_params))
        if snapshot
        else (query.projects_sql, list(query.projects_params))
    )
    if query.dimension is None and query.periods is None:
        ctes, cte_params = _figure_ctes(projects_sql, dims=False, snapshot=snapshot)
        select, select_params = _figure_select()
        ctes += f",\n fig (dim, value, figure, status, k1, k2, s, n, amount) AS ({select})"
        params += cte_params + select_params
        listed, red_from = "p", "ph e WHERE e.health = 'red'"
    else:  # the cube, and the lists from the snapshot
        # Inlined (NOT MATERIALIZED): each list's condition and order reach the snapshot's indexes.
        inline = " NOT MATERIALIZED" if connection.vendor == "postgresql" else ""
        ctes = f"lp AS{inline} ({projects_sql}),\n"
        if sorted(query.counted) == sorted(PUBLIC):
            figure_counted, figure_params = _in(["+public"])
        fig, fig_params = _cube_read(query, figure_counted, figure_params)
        ctes += fig
        params += fig_params
        listed, red_from = "lp", "lp e WHERE e.health = 'red'"
    limit = "" if list_limit is None else f" LIMIT {int(list_limit)}"
    early_from = f"{listed} e WHERE e.early_harvest AND e.status IN ({counted})"
    early = _listed("early", early_from, "e.published_at DESC NULLS LAST, e.id DESC", limit, snapshot)
    # Only ongoing projects have a reporting health: for other statuses the list is empty (and
    # would otherwise walk every red project to find none).
    red_where = f"{red_from} AND e.status IN ({counted})" if "ongoing" in query.counted else f"{red_from} AND 1 = 0"
    red = _listed("red", red_where, "e.health_ref, e.id", limit, snapshot)
    body = f"""
        SELECT fig.figure, fig.k1, fig.k2, fig.s, SUM(fig.n), SUM(fig.amount), NULL, NULL, NULL FROM fig
        WHERE (fig.figure = 'status' AND fig.status IN ({funnel}))
           OR (fig.figure IN ('cell', 'pillar', 'party', 'all', 'article', 'quarter', 'mode', 'harvest', 'health')
               AND fig.status IN ({figure_counted}))
           OR (fig.figure = 'budget' AND fig.status IN ({figure_counted}) AND (fig.k2 = 0 OR %s = 1))
           OR (fig.figure = 'budget_party' AND fig.status IN ({figure_counted}) AND fig.k2 = %s)
        GROUP BY fig.figure, fig.k1, fig.k2, fig.s
        UNION ALL
        SELECT 'article_parties', ap.k1, 0, '', COUNT(*), 0, NULL, NULL, NULL FROM (
            SELECT fig.k1, fig.k2 FROM fig WHERE fig.figure = 'article_party' AND fig.status IN ({figure_counted})
            GROUP BY fig.k1, fig.k2 HAVING SUM(fig.n) > 0
        ) ap GROUP BY ap.k1
        UNION ALL
        SELECT 'theme', th.k1, th.rank, th.name, th.n, 0, NULL, NULL, NULL FROM (
            SELECT t.k1, tt.name, t.n, ROW_NUMBER() OVER (ORDER BY t.n DESC, tt.name) AS rank FROM (
                SELECT fig.k1, SUM(fig.n) AS n FROM fig WHERE fig.figure = 'theme' AND fig.status IN ({figure_counted})
                GROUP BY fig.k1 HAVING SUM(fig.n) > 0
            ) t JOIN {Theme._meta.db_table} tt ON tt.id = t.k1
        ) th WHERE th.rank <= %s
        UNION ALL
        {early}
        UNION ALL
        {red}
    """
    params += [*funnel_params, *figure_params, *figure_params, 1 if query.every_budget else 0, *figure_params]
    params += [query.budget_party_id or -1, *figure_params, *figure_params, TOP_THEMES]
    params += [*counted_params, *(counted_params if "ongoing" in query.counted else [])]
    sql = f"WITH {ctes}\n{body}"
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    # PostgreSQL's JIT would compile this statement for seconds (its estimate adds up every
    # figure and list) to run it in a fraction of that: off for this statement only, in the same
    # round trip and without a transaction (Django's psycopg cursor binds parameters client-side).
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off; " + sql + "; RESET jit", params)
        cursor.nextset()
        return cursor.fetchall()


# --- Writing: the refresh --------------------------------------------------------------------------

SNAPSHOT_TABLES = (
    "projects_coverage_project",
    "projects_coverage_pair",
    "projects_coverage_tag",
    "projects_coverage_sdg",
    "projects_coverage_theme",
)
CHUNK = 5_000  # projects per incremental statement


def _snapshot_take(cursor, where: str, params: list, today: date) -> None:
    """Copy the facts of the projects `where` selects from the base tables into the snapshot,
    with their reporting health on `today`."""
    columns = ", ".join(FIGURE_COLUMNS)
    projects = f"SELECT id FROM {Project._meta.db_table} WHERE {where}"
    inputs, input_params = _health_inputs("x")
    case, case_params = _health_case("q", today)
    statements = [
        (
            f"INSERT INTO projects_coverage_project ({columns}, {', '.join(HEALTH_COLUMNS)}) "
            f"SELECT q.*, {case} FROM (SELECT {columns}, {inputs} FROM {Project._meta.db_table} x WHERE {where}) q",
            [*case_params, *input_params, *params],
        ),
        (
            f"""INSERT INTO projects_coverage_pair (project_id, party_id)
            SELECT id, lead_party_id FROM {Project._meta.db_table} WHERE {where}
            UNION
            SELECT pt.project_id, pt.party_id FROM {Participation._meta.db_table} pt
            WHERE pt.status = '{ParticipationStatus.ACTIVE}' AND pt.project_id IN ({projects})""",
            params * 2,
        ),
        (
            f"""INSERT INTO projects_coverage_tag (project_id, article_id, pillar_id, framework_id)
            SELECT DISTINCT t.project_id, t.article_id, a.pillar_id, a.framework_id
            FROM {ProjectArticle._meta.db_table} t JOIN {Article._meta.db_table} a ON a.id = t.article_id
            WHERE t.project_id IN ({projects})""",
            params,
        ),
        (
            f"INSERT INTO projects_coverage_sdg (project_id, sdg_id) SELECT project_id, sdg_id "
            f"FROM {Project.sdgs.through._meta.db_table} WHERE project_id IN ({projects})",
            params,
        ),
        (
            f"INSERT INTO projects_coverage_theme (project_id, theme_id) SELECT project_id, theme_id "
            f"FROM {Project.themes.through._meta.db_table} WHERE project_id IN ({projects})",
            params,
        ),
    ]
    for sql, statement_params in statements:
        cursor.execute(sql, statement_params)


def _snapshot_drop(cursor, ids: list) -> None:
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(f"DELETE FROM projects_coverage_project WHERE id IN ({marks})", ids)
    for table in SNAPSHOT_TABLES[1:]:
        cursor.execute(f"DELETE FROM {table} WHERE project_id IN ({marks})", ids)


def _cube_add(cursor, where: str, params: list, sign: int, only: tuple | None = None) -> None:
    """Add (sign 1) or take out (sign -1) the figures (or those named in `only`) of the
    snapshot's projects `where` selects.

    The cube keeps every status for the unfiltered rows, and "+public" (the sum of the public
    statuses, what a view without a status filter counts) for every dimension."""
    select, select_params = _figure_select(only)
    columns = ", ".join((*FIGURE_COLUMNS, "health"))
    projects = f"SELECT {columns} FROM projects_coverage_project WHERE {where}"
    ctes, cte_params = _figure_ctes(projects, dims=True, snapshot=True)
    public = ", ".join(f"'{status}'" for status in PUBLIC)
    cursor.execute(
        f"""WITH {ctes}, fig (dim, value, figure, status, k1, k2, s, n, amount) AS ({select})
        INSERT INTO projects_coverage_cube ({KEY}, n, amount)
        SELECT {KEY}, {sign} * SUM(n), {sign} * SUM(amount) FROM (
            SELECT * FROM fig WHERE dim = '' OR figure = 'status'
            UNION ALL
            SELECT dim, value, figure, '+public', k1, k2, s, n, amount FROM fig
            WHERE status IN ({public}) AND figure <> 'status'
        ) x WHERE 1 = 1 GROUP BY {KEY}
        ON CONFLICT ({KEY}) DO UPDATE SET n = projects_coverage_cube.n + excluded.n,
            amount = projects_coverage_cube.amount + excluded.amount""",
        [*params, *cte_params, *select_params],
    )


def _health_recompute(cursor, today: date) -> None:
    """A new day: every ongoing project's health again from the snapshot's inputs (a project
    turns amber or red by time passing alone), and the cube's health figures with it."""
    case, case_params = _health_case("projects_coverage_project", today)
    cursor.execute(f"UPDATE projects_coverage_project SET health = {case} WHERE status = 'ongoing'", case_params)
    cursor.execute("DELETE FROM projects_coverage_cube WHERE figure = 'health'")
    _cube_add(cursor, "status = 'ongoing'", [], 1, only=("health",))


def _changed_projects(cursor, last_change_id: int, since: float) -> list:
    """The projects changed after change `last_change_id`, or recorded from `since` on (a change
    committed after a later one is not missed: ids are taken before the commit)."""
    cursor.execute(
        "SELECT DISTINCT project_id FROM feed_feedchange WHERE id > %s OR created_at >= %s",
        [last_change_id, datetime.fromtimestamp(since, tz=UTC)],
    )
    return sorted(row[0] for row in cursor.fetchall())


def coverage_refresh(*, full: bool = False, build_limit: int | None = None) -> dict:
    """Bring the cube up to date: take out the changed projects' figures as the snapshot has
    them, snapshot them again, put their new figures in. Everything with `full` or when it was
    never built (unless there are more than `build_limit` projects: nothing is done then, and
    the dashboard keeps computing its figures live). Catalogue edits that change what projects
    show (an article moved to another pillar, a party's code) are in the feed too
    (`feed.signals`); a full rebuild is for writes that bypass both the services and the models
    (raw SQL).

    Idempotent; concurrent refreshes wait for each other (row lock on PostgreSQL, the write
    lock on SQLite); readers see the previous cube until the commit. Returns what it did:
    {"full", "projects", "ms", "last_change_id"}."""
    started = time.time()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO projects_coverage_state (id, refreshed_at, full_at, last_change_id, duration_ms) "
            "SELECT 1, 0, 0, -1, 0 WHERE NOT EXISTS (SELECT 1 FROM projects_coverage_state WHERE id = 1)"
        )
        postgres = connection.vendor == "postgresql"
        lock = " FOR UPDATE" if postgres else ""
        cursor.execute(
            f"SELECT refreshed_at, full_at, last_change_id, health_day FROM projects_coverage_state WHERE id = 1{lock}"
        )
        refreshed_at, full_at, last_change_id, health_day = cursor.fetchone()
        today = timezone.localdate()
        if postgres:  # the GROUP BYs of a full rebuild stay in memory
            cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM feed_feedchange")
        latest = cursor.fetchone()[0]
        if last_change_id < 0 and not full and build_limit is not None:
            cursor.execute(f"SELECT COUNT(*) FROM {Project._meta.db_table}")
            if cursor.fetchone()[0] > build_limit:
                return {"full": False, "projects": 0, "ms": 0, "last_change_id": None}
        full = full or last_change_id < 0
        changed = []
        if full:
            for table in ("projects_coverage_cube", *SNAPSHOT_TABLES):
                cursor.execute(f"DELETE FROM {table}")
            _snapshot_take(cursor, "1 = 1", [], today)
            _cube_add(cursor, "1 = 1", [], 1)
            cells.cells_clear(cursor)
            cells.cells_take(cursor, "1 = 1", [])
            full_at = started
        else:
            if health_day != today.isoformat():
                _health_recompute(cursor, today)
            changed = _changed_projects(cursor, last_change_id, refreshed_at - OVERLAP)
        for offset in range(0, len(changed), CHUNK):
            ids = changed[offset : offset + CHUNK]
            marks = ", ".join(["%s"] * len(ids))
            _cube_add(cursor, f"id IN ({marks})", ids, -1)
            _snapshot_drop(cursor, ids)
            _snapshot_take(cursor, f"id IN ({marks})", ids, today)
            _cube_add(cursor, f"id IN ({marks})", ids, 1)
            cells.cells_drop(cursor, ids)
            cells.cells_take(cursor, f"id IN ({marks})", ids)
        if changed:
            cursor.execute("DELETE FROM projects_coverage_cube WHERE n = 0")
        ms = (time.time() - started) * 1000
        changes = 1 if full or changed or health_day != today.isoformat() else 0
        cursor.execute(
            "UPDATE projects_coverage_state SET refreshed_at = %s, full_at = %s, last_change_id = %s, duration_ms = %s,"
            " health_day = %s, version = version + %s WHERE id = 1",
            [started, full_at, latest, ms, today.isoformat(), changes],
        )
    return {"full": full, "projects": len(changed), "ms": ms, "last_change_id": latest}
