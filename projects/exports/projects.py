# ruff: noqa: S608 - SQL text is built from model table names and fixed fragments; values are parameters
"""The filtered project list as CSV or XLSX, with the columns the viewer picks.

One statement gives every row: the filtered ids (the library's filters and sort order, as a
numbered CTE), joined to one GROUP BY per multi-valued field (article tags, participants,
themes, SDGs), each over the filtered projects only. It is read through a server-side cursor
(`connection.chunked_cursor()`), so rows go out as the database sends them and memory does not
grow with the number of projects; the number of queries does not either.

Who sees what: coordinators export projects of every status; everyone else the public ones
(published, ongoing, completed). Restricted budgets and contacts are blank in the rows of
projects the viewer may not see them for (`projects.view_restricted`: coordinators, the lead
party and active participants), as the spreadsheet export does.
"""

from django.db import connection, transaction
from django.db.models.expressions import Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.translation import gettext as _

from config.i18n import active_language, column_suffix
from framework.models import Article, Framework
from registry.models import Organization, Party

from ..models import Participation, Project, ProjectArticle, Theme
from . import cells, writers
from . import columns as c

FETCH_ROWS = 2000
# PostgreSQL settings for the export's transaction: JIT compilation only adds time to a statement
# like this one, and its sorts and hashes of every project stay in memory instead of on disk.
STATEMENT_SETTINGS = {"jit": "off", "work_mem": "64MB"}


def _settings_apply(cursor) -> None:
    cursor.execute("; ".join(f"SET LOCAL {name} = '{value}'" for name, value in STATEMENT_SETTINGS.items()))


def _other(suffix: str) -> str:
    return "en" if suffix == "zh_hans" else "zh_hans"


def _translated(alias: str, field: str) -> str:
    mine = column_suffix(active_language())
    return f"COALESCE(NULLIF({alias}.{field}_{mine}, ''), {alias}.{field}_{_other(mine)})"


def _may_see_restricted(user) -> tuple[str, list]:
    """SQL truth of `projects.view_restricted` for the row `p`."""
    if user.is_superuser or user.is_coordinator:
        return "1 = 1", []
    if not user.party_id:
        return "1 = 0", []
    sql = (
        f"(p.lead_party_id = %s OR EXISTS (SELECT 1 FROM {Participation._meta.db_table} x"
        " WHERE x.project_id = p.id AND x.party_id = %s AND x.status = %s))"
    )
    return sql, [user.party_id, user.party_id, c.ACTIVE]


def _ordered(select: str, order: str) -> str:
    """SQLite's GROUP_CONCAT keeps the order of its input; PostgreSQL's STRING_AGG sorts itself."""
    return select if c.postgres() else f"{select} ORDER BY {order}"


def _joins(names: set, *, source: str = "base", suffix: str = "") -> tuple[list, list]:
    """The LEFT JOINs of the multi-valued columns asked for, with their parameters: GROUP BYs
    over the projects of the CTE `source` only, aliased `tg`, `pa`, `th`, `sd` + `suffix`."""
    joins, params = [], []
    if "articles" in names:
        # Two GROUP BYs: the articles of each (project, framework), then the frameworks of each
        # project, so that the code is written once per framework: `DEGD-2023 art. 5 (primary); art. 12`.
        labels = (
            f"SELECT a.id, f.code AS fcode, f.is_primary AS fprimary, a.number,"
            f" REPLACE(%s, '{{number}}', CAST(a.number AS TEXT)) AS label"
            f" FROM {Article._meta.db_table} a JOIN {Framework._meta.db_table} f ON f.id = a.framework_id"
        )
        per_framework = _ordered(
            f"""SELECT t.project_id, al.fcode, al.fprimary,
                al.label || CASE WHEN t.is_primary THEN %s ELSE '' END AS label, t.is_primary, al.number
            FROM {ProjectArticle._meta.db_table} t JOIN {source} b ON b.id = t.project_id
            JOIN ({labels}) al ON al.id = t.article_id""",
            "t.project_id, al.fcode, t.is_primary DESC, al.number",
        )
        grouped = _ordered(
            f"SELECT s.project_id, s.fcode, s.fprimary,"
            f" {c.string_agg('s.label', 's.is_primary DESC, s.number')} AS arts"
            f" FROM ({per_framework}) s GROUP BY s.project_id, s.fcode, s.fprimary",
            "s.project_id, s.fprimary DESC, s.fcode",
        )
        cell = c.string_agg("g.fcode || ' ' || g.arts", "g.fprimary DESC, g.fcode")
        joins.append(
            f"LEFT JOIN (SELECT g.project_id, {cell} AS cell FROM ({grouped}) g GROUP BY g.project_id) tg{suffix}"
            f" ON tg{suffix}.project_id = p.id"
        )
        params += [_(" (primary)"), _("art. {number}")]  # in the order they appear in the SQL
    if "participants" in names:
        role, role_params = c.labels("pt.role", c.ROLE_CHOICES)
        inner = _ordered(
            f"""SELECT pt.project_id, pr.code || ' (' || {role} || ')' AS label, pr.code AS ord
            FROM {Participation._meta.db_table} pt JOIN {Party._meta.db_table} pr ON pr.id = pt.party_id
            JOIN {source} b ON b.id = pt.project_id WHERE pt.status = %s""",
            "pt.project_id, pr.code",
        )
        joins.append(
            f"LEFT JOIN (SELECT s.project_id, {c.string_agg('s.label', 's.ord')} AS cell FROM ({inner}) s"
            f" GROUP BY s.project_id) pa{suffix} ON pa{suffix}.project_id = p.id"
        )
        params += [*role_params, c.ACTIVE]
    if "themes" in names:
        through = Project.themes.through._meta.db_table
        inner = _ordered(
            f"""SELECT pt.project_id, th.name AS label FROM {through} pt
            JOIN {Theme._meta.db_table} th ON th.id = pt.theme_id JOIN {source} b ON b.id = pt.project_id""",
            "pt.project_id, th.name",
        )
        joins.append(
            f"LEFT JOIN (SELECT s.project_id, {c.string_agg('s.label', 's.label')} AS cell FROM ({inner}) s"
            f" GROUP BY s.project_id) th{suffix} ON th{suffix}.project_id = p.id"
        )
    if "sdgs" in names:
        through = Project.sdgs.through._meta.db_table
        inner = _ordered(
            f"SELECT ps.project_id, ps.sdg_id AS ord FROM {through} ps JOIN {source} b ON b.id = ps.project_id",
            "ps.project_id, ps.sdg_id",
        )
        joins.append(
            f"LEFT JOIN (SELECT s.project_id, {c.string_agg('CAST(s.ord AS TEXT)', 's.ord')} AS cell"
            f" FROM ({inner}) s GROUP BY s.project_id) sd{suffix} ON sd{suffix}.project_id = p.id"
        )
    if "lead_organization" in names:
        joins.append(f"LEFT JOIN {Organization._meta.db_table} lo ON lo.id = p.lead_organization_id")
    return joins, params


def _cell(name: str, *, guard: bool, restricted: dict, url_prefix: str, kept: bool = False) -> tuple[str, list]:
    """The SQL of one column's cell (`kept`: the multi-valued ones from `cells`, see `export_query`)."""
    column = c.COLUMNS[name]
    params: list = []
    simple = {
        "reference_code": "p.reference_code",
        "title": _translated("p", "title"),
        "title_zh_hans": "p.title_zh_hans",
        "title_en": "p.title_en",
        "summary": _translated("p", "summary"),
        "lead_party": "lp.code",
        "lead_organization": _translated("lo", "name"),
        "participants": "pa.cell",
        "articles": "tg.cell",
        "themes": "th.cell",
        "sdgs": "sd.cell",
        "places": "p.places",
        "start_on": "p.start_on",
        "end_on": "p.end_on",
        "published_on": c.as_date("p.published_at"),
        "budget_amount": "p.budget_amount",
        "budget_currency": "p.budget_currency",
        "funding_sources": "p.funding_sources",
        "contact_name": "p.contact_name",
        "contact_email": "p.contact_email",
        "contact_phone": "p.contact_phone",
    }
    if kept and name in cells.MULTI_VALUED:
        kept_column = cells.column(name, column_suffix(active_language()))
        sql = f"CASE WHEN lv.id IS NULL THEN ec.{kept_column} ELSE {simple[name]} END"
    elif name in simple:
        sql = simple[name]
    elif name == "status":
        sql, params = c.labels("p.status", c.STATUS_CHOICES)
    elif name == "cooperation_mode":
        sql, params = c.labels("p.cooperation_mode", c.MODE_CHOICES)
    elif name == "project_type":
        sql, params = c.labels("p.project_type", c.TYPE_CHOICES)
    elif name == "beneficiary_groups":
        sql, params = c.json_list("p.beneficiary_groups", c.GROUP_CHOICES)
    elif name == "countries":
        sql, params = c.json_list("p.countries")
    elif name == "early_harvest":
        sql, params = "CASE WHEN p.early_harvest THEN %s ELSE '' END", [_("yes")]
    elif name == "url":
        sql, params = "%s || CAST(p.id AS TEXT) || '/'", [url_prefix]
    if guard and column.text:
        sql, guard_params = c.guarded(sql)
        params = _repeat_for_guard(params, guard_params)
    if column.restricted:
        condition, condition_params = restricted[column.restricted]
        sql = f"CASE WHEN {condition} THEN {sql} END"
        params = [*condition_params, *params]
    return sql, params


def _repeat_for_guard(params: list, guard_params: list) -> list:
    """`guarded` writes the expression three times: its parameters come three times too."""
    return [*params, *guard_params, *params, *params]


def visible_projects(user):
    """Coordinators export every status; everyone else the public library's projects."""
    if user.is_superuser or user.is_coordinator:
        return Project.objects.all()
    return Project.objects.public()


def export_query(filterset, names: list, *, user, request=None, guard: bool = True) -> tuple[list, str, list]:
    """The header, SQL and parameters of the export of `filterset.qs` with the columns `names`.

    `guard`: prefix text that starts like a formula with `'` (CSV; XLSX cells are typed as text)."""
    queryset = filterset.qs
    order = list(queryset.query.order_by) or ["-pk"]
    numbered = queryset.annotate(export_order=Window(RowNumber(), order_by=order)).order_by()
    base_sql, base_params = numbered.values("id", "export_order").query.sql_with_params()
    can, can_params = _may_see_restricted(user)
    restricted = {
        "budget": (f"(NOT p.budget_restricted OR {can})", can_params),
        "contact": (f"(NOT p.contact_restricted OR {can})", can_params),
    }
    url_prefix = reverse("projects:detail", kwargs={"pk": 0})[:-2]
    if request is not None:
        url_prefix = request.build_absolute_uri(url_prefix)
    # The multi-valued cells kept by the refresh, for the projects it has seen since their last
    # change; the others' computed here (the CTE `live`), over those projects only.
    stale_since = cells.cells_stale_since() if set(names) & set(cells.MULTI_VALUED) else None
    kept = stale_since is not None
    selected, cell_params = [], []
    for name in names:
        sql, params = _cell(name, guard=guard, restricted=restricted, url_prefix=url_prefix, kept=kept)
        selected.append(sql)
        cell_params += params
    joins, join_params = _joins(set(names), source="live" if kept else "base")
    ctes, cte_params = "", []
    if kept:
        ctes = f""",
        stale AS (SELECT project_id FROM feed_feedchange WHERE id > %s OR created_at >= %s),
        live AS (SELECT b.id FROM base b WHERE b.id IN (SELECT project_id FROM stale)
            OR NOT EXISTS (SELECT 1 FROM {cells.TABLE} k WHERE k.project_id = b.id))"""
        cte_params = list(stale_since)
        joins = [f"LEFT JOIN live lv ON lv.id = p.id LEFT JOIN {cells.TABLE} ec ON ec.project_id = p.id", *joins]
    sql = f"""WITH base AS ({base_sql}){ctes}
        SELECT {", ".join(selected)}
        FROM base JOIN {Project._meta.db_table} p ON p.id = base.id
        JOIN {Party._meta.db_table} lp ON lp.id = p.lead_party_id
        {" ".join(joins)}
        ORDER BY base.export_order"""
    header = [str(c.COLUMNS[name].label) for name in names]
    return header, sql, [*base_params, *cte_params, *cell_params, *join_params]


def export_csv_blocks(sql: str, params: list):
    """The rows as CSV bytes, as PostgreSQL's `COPY … TO STDOUT` writes them (the same quoting
    rules; lines end with LF): blocks go out as the server sends them, with no Python per row.
    On SQLite, `csv` writes `export_rows`. A generator: nothing runs before the first block is
    asked for, so the header leaves first."""
    if not c.postgres():
        yield from writers.csv_lines([], export_rows(sql, params), safe=True, header_line=False)
        return
    with transaction.atomic(), connection.cursor() as cursor:
        _settings_apply(cursor)
        with cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for block in copy:
                yield bytes(block)


def export_rows(sql: str, params: list):
    """The rows, fetched FETCH_ROWS at a time through a server-side cursor on PostgreSQL.

    Inside a transaction: outside one, Django declares the cursor WITH HOLD, and PostgreSQL
    then computes and stores the whole result before the first row leaves. JIT compilation
    only adds time to a statement like this one."""
    with transaction.atomic():
        if c.postgres():
            with connection.cursor() as settings:
                _settings_apply(settings)
        with connection.chunked_cursor() as cursor:
            cursor.execute(sql, params)
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch
