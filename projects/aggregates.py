"""The dashboard's aggregate store: every figure pre-summed per filter dimension, kept up to date.

Layout (plain tables, created by migration 0005; the same SQL on PostgreSQL and SQLite):

- `projects_coverage_cube`: for each filter dimension value (`dim`, `value`: none, framework,
  party, SDG, cooperation mode, project type) the rows of every figure (`figure`, keys `k1`,
  `k2`, `s`) with a project count `n` and a budget sum `amount`, per status for the unfiltered
  rows (so a status filter is served too) and as "+public" (published, ongoing and completed
  summed, what a view without a status filter counts) for every dimension; the funnel keeps
  every status. The unfiltered view and any one filter read a few thousand rows, whatever the
  number of projects. Restricted budgets are kept apart (in total, and per party leading or
  actively taking part), so each viewer adds only what they may see;
- `projects_coverage_project`, `_pair`, `_tag`, `_sdg`, `_theme`: the snapshot of the facts the
  cube was computed from;
- `projects_coverage_state`: when it was refreshed, and up to which sync-feed change.

Every figure is additive over projects (a project counts once per key; the COUNT DISTINCT of
parties per article is kept as (article, party) rows and counted when read), so a refresh takes
the changed projects' figures out as the snapshot has them, snapshots them again and puts their
new figures in: its cost depends on the number of changed projects (named by the sync feed's
`FeedChange` rows, which every project service writes), not on the size of the database.

Freshness: `projects.tasks.coverage_refresh_task` runs every 20 s (beat); the dashboard reads
the cube while it is current or was refreshed less than `STALE_AFTER` seconds ago, otherwise it
computes the same rows from the base tables (the "live" path, also used for the filter
combinations the cube does not hold): a change shows within `STALE_AFTER` seconds at worst.
"""

# SQL is assembled from model table names and constants; every value is a parameter.
# ruff: noqa: S608

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from framework.models import Article, Framework, Pillar
from registry.models import Party

from .choices import PUBLIC_STATUSES, ParticipationStatus
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
)
PLURALS = {"framework": "frameworks", "pillar": "pillars", "article": "articles", "party": "parties", "sdg": "sdgs"}
TOP_THEMES = 10
LIST_COLUMNS = ("reference_code", "title_en", "title_zh_hans", "early_harvest", "start_on")
PROJECT_COLUMNS = FIGURE_COLUMNS + LIST_COLUMNS


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

    def cube_usable(self, now: float | None = None) -> bool:
        if self.refreshed_at is None:
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
    ]
    selects.append(f"SELECT 'state', {', '.join(state + ['NULL'] * (width - len(state)))}")
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    models = {kind: model for kind, model, _where, _params in parts}
    loaded = Structure()
    for kind, *values in rows:
        if kind == "state":
            loaded.refreshed_at = float(values[0]) if values[0] is not None else None
            loaded.last_change_id = int(values[1] or 0)
            loaded.latest_change_id = int(values[2] or 0)
            continue
        fields = models[kind]._meta.concrete_fields
        parsed = [None if value is None else f.to_python(value) for f, value in zip(fields, values, strict=False)]
        instance = models[kind].from_db("default", [f.attname for f in fields], parsed)
        getattr(loaded, PLURALS[kind]).append(instance)
    pillars = {pillar.pk: pillar for pillar in loaded.pillars}
    for article in loaded.articles:
        if article.pillar_id:
            article.pillar = pillars[article.pillar_id]
    return loaded


# --- The figures' rows, from the base tables -------------------------------------------------------


SNAPSHOTS = {
    "pairs": "SELECT project_id, party_id FROM projects_coverage_pair",
    "tags": "SELECT project_id, article_id, pillar_id, framework_id FROM projects_coverage_tag",
    "sdgs": "SELECT project_id, sdg_id FROM projects_coverage_sdg",
    "themes": "SELECT project_id, theme_id FROM projects_coverage_theme",
}


def _figure_ctes(projects_sql: str, *, dims: bool, snapshot: bool) -> str:
    """CTEs `p` (the projects), `pairs` (project, party leading or active), `tags` (project,
    article, pillar, framework), `sdgs`, `themes`, `d` (a project per dimension value) and the
    distinct (project, pillar) `pp` and (project, framework with a pillar) `pf`; from the base
    tables, or from the snapshot the cube was computed from (`snapshot`)."""
    if snapshot:
        sources = {name: f"{sql} WHERE project_id IN (SELECT id FROM p)" for name, sql in SNAPSHOTS.items()}
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
    cols = ", ".join(f"p.{name}" for name in FIGURE_COLUMNS)
    d = [f"SELECT '' AS dim, '' AS value, {cols} FROM p"]
    if dims:
        d += [
            f"SELECT 'cooperation_mode', p.cooperation_mode, {cols} FROM p WHERE p.cooperation_mode <> ''",
            f"SELECT 'project_type', p.project_type, {cols} FROM p WHERE p.project_type <> ''",
            f"SELECT 'party', CAST(pr.party_id AS varchar(64)), {cols} FROM p JOIN pairs pr ON pr.project_id = p.id",
            f"SELECT 'sdg', CAST(sg.sdg_id AS varchar(64)), {cols} FROM p JOIN sdgs sg ON sg.project_id = p.id",
            f"SELECT 'framework', CAST(fw.framework_id AS varchar(64)), {cols} FROM p "
            "JOIN (SELECT DISTINCT project_id, framework_id FROM tags) fw ON fw.project_id = p.id",
        ]
    union = "\n UNION ALL ".join(d)
    listed = ",\n".join(f"{name} AS ({sql})" for name, sql in sources.items())
    return f"""p AS ({projects_sql}),
        {listed},
        d AS ({union}),
        pp AS (SELECT DISTINCT project_id, pillar_id FROM tags WHERE pillar_id IS NOT NULL),
        pf AS (SELECT DISTINCT project_id, framework_id FROM tags WHERE pillar_id IS NOT NULL)"""


def _figure_select() -> tuple[str, list]:
    """Rows (dim, value, figure, status, k1, k2, s, n, amount) of every figure over `d`."""
    head = "SELECT d.dim, d.value, '{figure}', d.status, {k1}, {k2}, {s}, COUNT(*), {amount} FROM d"
    group = "GROUP BY d.dim, d.value, d.status"
    tz = timezone.get_current_timezone_name() if settings.USE_TZ else None
    year, year_params = connection.ops.datetime_extract_sql("year", "d.published_at", (), tz)
    quarter, quarter_params = connection.ops.datetime_extract_sql("quarter", "d.published_at", (), tz)
    restricted = "CASE WHEN d.budget_restricted THEN 1 ELSE 0 END"
    budgeted = "d.budget_amount IS NOT NULL"
    parts = [
        (head.format(figure="status", k1=0, k2=0, s="d.status", amount=0), f"{group}"),
        (
            head.format(figure="cell", k1="pp.pillar_id", k2="pr.party_id", s="''", amount=0),
            f"JOIN pp ON pp.project_id = d.id JOIN pairs pr ON pr.project_id = d.id {group}, pp.pillar_id, pr.party_id",
        ),
        (
            head.format(figure="pillar", k1="pp.pillar_id", k2=0, s="''", amount=0),
            f"JOIN pp ON pp.project_id = d.id {group}, pp.pillar_id",
        ),
        (
            head.format(figure="party", k1="pf.framework_id", k2="pr.party_id", s="''", amount=0),
            "JOIN pf ON pf.project_id = d.id JOIN pairs pr ON pr.project_id = d.id "
            f"{group}, pf.framework_id, pr.party_id",
        ),
        (
            head.format(figure="all", k1="pf.framework_id", k2=0, s="''", amount=0),
            f"JOIN pf ON pf.project_id = d.id {group}, pf.framework_id",
        ),
        (
            head.format(figure="article", k1="t.article_id", k2=0, s="''", amount=0),
            f"JOIN tags t ON t.project_id = d.id {group}, t.article_id",
        ),
        (
            head.format(figure="article_party", k1="t.article_id", k2="pr.party_id", s="''", amount=0),
            "JOIN tags t ON t.project_id = d.id JOIN pairs pr ON pr.project_id = d.id "
            f"{group}, t.article_id, pr.party_id",
        ),
        (
            head.format(figure="mode", k1=0, k2=0, s="d.cooperation_mode", amount=0),
            f"{group}, d.cooperation_mode",
        ),
        (
            head.format(figure="theme", k1="th.theme_id", k2=0, s="''", amount=0),
            f"JOIN themes th ON th.project_id = d.id {group}, th.theme_id",
        ),
        (
            head.format(
                figure="budget", k1="pp.pillar_id", k2=restricted, s="d.budget_currency", amount="SUM(d.budget_amount)"
            ),
            f"JOIN pp ON pp.project_id = d.id WHERE {budgeted} {group}, pp.pillar_id, {restricted}, d.budget_currency",
        ),
        (
            head.format(figure="budget", k1=0, k2=restricted, s="d.budget_currency", amount="SUM(d.budget_amount)"),
            f"WHERE {budgeted} {group}, {restricted}, d.budget_currency",
        ),
        (
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
            head.format(
                figure="budget_party", k1=0, k2="pr.party_id", s="d.budget_currency", amount="SUM(d.budget_amount)"
            ),
            "JOIN pairs pr ON pr.project_id = d.id "
            f"WHERE {budgeted} AND d.budget_restricted {group}, pr.party_id, d.budget_currency",
        ),
    ]
    selects = [f"{select} {rest}" for select, rest in parts]
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
    dimension: tuple | None  # (dim, value) read from the cube; None: computed from the base tables
    every_budget: bool
    budget_party_id: int | None


def _in(values) -> tuple[str, list]:
    return ", ".join(["%s"] * len(values)), [str(value) for value in values]


def figures_fetch(query: FigureQuery) -> list:
    """Rows (kind, k1, k2, s, n, amount, t1, t2, t3) of every figure and list, in one statement."""
    from .models import HEALTH_AMBER_AFTER, HEALTH_RED_AFTER

    counted, counted_params = _in(query.counted)
    funnel, funnel_params = _in(query.funnel)
    figure_counted, figure_params = counted, counted_params
    # Read once per list: inlined (NOT MATERIALIZED) so that each list's condition reaches the index.
    inline = " NOT MATERIALIZED" if connection.vendor == "postgresql" else ""
    ctes, params = [f"p AS{inline} ({query.projects_sql})"], list(query.projects_params)
    if query.dimension is None:
        select, select_params = _figure_select()
        ctes = [_figure_ctes(query.projects_sql, dims=False, snapshot=False)]
        ctes.append(f"fig (dim, value, figure, status, k1, k2, s, n, amount) AS ({select})")
        params += select_params
    else:
        ctes.append("fig AS (SELECT * FROM projects_coverage_cube WHERE dim = %s AND value = %s)")
        params += list(query.dimension)
        if sorted(query.counted) == sorted(PUBLIC):
            figure_counted, figure_params = _in(["+public"])
    today = timezone.localdate()
    # Health inputs once per ongoing project (MATERIALIZED: not re-evaluated per CASE branch).
    ctes.append(
        f"""hr AS MATERIALIZED (
            SELECT o.id, o.lead_party_id, o.reference_code, o.title_en, o.title_zh_hans, o.status,
                COALESCE(r.last, o.start_on) AS ref, CASE WHEN m.project_id IS NULL THEN 0 ELSE 1 END AS overdue
            FROM p o
            LEFT JOIN (
                SELECT project_id, MAX(submitted_on) AS last FROM {ProgressReport._meta.db_table} GROUP BY project_id
            ) r ON r.project_id = o.id
            LEFT JOIN (
                SELECT DISTINCT project_id FROM {Milestone._meta.db_table} WHERE done_on IS NULL AND due_on < %s
            ) m ON m.project_id = o.id
            WHERE o.status = 'ongoing' AND o.status IN ({counted})
        ),
        h AS (
            SELECT hr.*, CASE WHEN hr.overdue = 1 THEN 'red' WHEN hr.ref IS NULL OR hr.ref < %s THEN 'red'
                WHEN hr.ref < %s THEN 'amber' ELSE 'green' END AS health
            FROM hr
        )"""
    )
    params += [today, *counted_params, today - HEALTH_RED_AFTER, today - HEALTH_AMBER_AFTER]
    body = f"""
        SELECT fig.figure, fig.k1, fig.k2, fig.s, SUM(fig.n), SUM(fig.amount), NULL, NULL, NULL FROM fig
        WHERE (fig.figure = 'status' AND fig.status IN ({funnel}))
           OR (fig.figure IN ('cell', 'pillar', 'party', 'all', 'article', 'quarter', 'mode')
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
            SELECT t.k1, t.name, t.n, ROW_NUMBER() OVER (ORDER BY t.n DESC, t.name) AS rank FROM (
                SELECT fig.k1, tt.name, SUM(fig.n) AS n FROM fig JOIN {Theme._meta.db_table} tt ON tt.id = fig.k1
                WHERE fig.figure = 'theme' AND fig.status IN ({figure_counted})
                GROUP BY fig.k1, tt.name HAVING SUM(fig.n) > 0
            ) t
        ) th WHERE th.rank <= %s
        UNION ALL
        SELECT 'early', e.id, e.lead_party_id, e.reference_code, 0, 0, e.title_en, e.title_zh_hans, e.status
        FROM p e WHERE e.early_harvest AND e.status IN ({counted})
        UNION ALL
        SELECT 'health', h.lead_party_id, 0, h.health, COUNT(*), 0, NULL, NULL, NULL FROM h
        GROUP BY h.lead_party_id, h.health
        UNION ALL
        SELECT 'red', h.id, h.lead_party_id, h.reference_code, 0, 0, h.title_en, h.title_zh_hans, h.status
        FROM h WHERE h.health = 'red'
    """
    params += [*funnel_params, *figure_params, *figure_params, 1 if query.every_budget else 0, *figure_params]
    params += [query.budget_party_id or -1, *figure_params, *figure_params, TOP_THEMES, *counted_params]
    sql = "WITH " + ",\n".join(ctes) + body
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


def _snapshot_take(cursor, where: str, params: list) -> None:
    """Copy the facts of the projects `where` selects from the base tables into the snapshot."""
    columns = ", ".join(FIGURE_COLUMNS)
    projects = f"SELECT id FROM {Project._meta.db_table} WHERE {where}"
    statements = [
        f"INSERT INTO projects_coverage_project ({columns}) SELECT {columns} FROM {Project._meta.db_table} "
        f"WHERE {where}",
        f"""INSERT INTO projects_coverage_pair (project_id, party_id)
            SELECT id, lead_party_id FROM {Project._meta.db_table} WHERE {where}
            UNION
            SELECT pt.project_id, pt.party_id FROM {Participation._meta.db_table} pt
            WHERE pt.status = '{ParticipationStatus.ACTIVE}' AND pt.project_id IN ({projects})""",
        f"""INSERT INTO projects_coverage_tag (project_id, article_id, pillar_id, framework_id)
            SELECT DISTINCT t.project_id, t.article_id, a.pillar_id, a.framework_id
            FROM {ProjectArticle._meta.db_table} t JOIN {Article._meta.db_table} a ON a.id = t.article_id
            WHERE t.project_id IN ({projects})""",
        f"INSERT INTO projects_coverage_sdg (project_id, sdg_id) SELECT project_id, sdg_id "
        f"FROM {Project.sdgs.through._meta.db_table} WHERE project_id IN ({projects})",
        f"INSERT INTO projects_coverage_theme (project_id, theme_id) SELECT project_id, theme_id "
        f"FROM {Project.themes.through._meta.db_table} WHERE project_id IN ({projects})",
    ]
    for sql, times in zip(statements, (1, 2, 1, 1, 1), strict=True):
        cursor.execute(sql, params * times)


def _snapshot_drop(cursor, ids: list) -> None:
    marks = ", ".join(["%s"] * len(ids))
    cursor.execute(f"DELETE FROM projects_coverage_project WHERE id IN ({marks})", ids)
    for table in SNAPSHOT_TABLES[1:]:
        cursor.execute(f"DELETE FROM {table} WHERE project_id IN ({marks})", ids)


def _cube_add(cursor, where: str, params: list, sign: int) -> None:
    """Add (sign 1) or take out (sign -1) the figures of the snapshot's projects `where` selects.

    The cube keeps every status for the unfiltered rows, and "+public" (the sum of the public
    statuses, what a view without a status filter counts) for every dimension."""
    select, select_params = _figure_select()
    projects = f"SELECT {', '.join(FIGURE_COLUMNS)} FROM projects_coverage_project WHERE {where}"
    ctes = _figure_ctes(projects, dims=True, snapshot=True)
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
        [*params, *select_params],
    )


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
    the dashboard keeps computing its figures live). A full rebuild is also what picks up
    changes the sync feed does not record (an article moved to another pillar).

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
        cursor.execute(f"SELECT refreshed_at, full_at, last_change_id FROM projects_coverage_state WHERE id = 1{lock}")
        refreshed_at, full_at, last_change_id = cursor.fetchone()
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
            _snapshot_take(cursor, "1 = 1", [])
            _cube_add(cursor, "1 = 1", [], 1)
            full_at = started
        else:
            changed = _changed_projects(cursor, last_change_id, refreshed_at - OVERLAP)
        for offset in range(0, len(changed), CHUNK):
            ids = changed[offset : offset + CHUNK]
            marks = ", ".join(["%s"] * len(ids))
            _cube_add(cursor, f"id IN ({marks})", ids, -1)
            _snapshot_drop(cursor, ids)
            _snapshot_take(cursor, f"id IN ({marks})", ids)
            _cube_add(cursor, f"id IN ({marks})", ids, 1)
        if changed:
            cursor.execute("DELETE FROM projects_coverage_cube WHERE n = 0")
        ms = (time.time() - started) * 1000
        cursor.execute(
            "UPDATE projects_coverage_state SET refreshed_at = %s, full_at = %s, last_change_id = %s, duration_ms = %s"
            " WHERE id = 1",
            [started, full_at, latest, ms],
        )
    return {"full": full, "projects": len(changed), "ms": ms, "last_change_id": latest}
