"""Coverage aggregates for the coordinators' dashboard and `/api/v1/coverage/` (reads only).

Which projects count is decided by `CoverageFilter`, a subclass of the library's own
`ProjectFilter`, so that "party", "pillar", "SDG"… mean exactly what they mean in the library
(party = lead or active participant; pillars through the article tags): a matrix cell links
to the library page listing exactly the projects it counted.

Every figure is a GROUP BY in the database over one "base" subquery (the filtered project
ids), never a loop over projects: a constant number of queries whatever the data and the
filters. The SQL only reads the base tables through that subquery, so the same statements
can later read a materialized view instead.

Scope: non-public statuses count only for coordinators; a restricted budget counts only for
viewers who may see it (`projects.view_restricted`: coordinators, the lead party and active
participants).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import django_filters
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q
from django.db.models.functions import ExtractQuarter, ExtractYear
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from framework.models import Article
from registry.models import Party

from .choices import IN_REVIEW_STATUSES, PUBLIC_STATUSES, CooperationMode, ParticipationStatus, ProjectStatus
from .filters import ProjectFilter
from .models import Participation, Project, ProjectArticle, Theme, reporting_health

FUNNEL = (
    ("submitted", _("Submitted"), IN_REVIEW_STATUSES),
    ("published", _("Published"), (ProjectStatus.PUBLISHED,)),
    ("ongoing", _("Ongoing"), (ProjectStatus.ONGOING,)),
    ("completed", _("Completed"), (ProjectStatus.COMPLETED,)),
)
TOP_THEMES = 10
LINKED_FILTERS = ("framework", "status", "cooperation_mode", "project_type", "sdg")


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_coordinator))


class CoverageFilter(ProjectFilter):
    """The library's filters (same names, same meaning) plus the published date range.

    `status` offers every status to coordinators and only the public ones to others; it is
    applied by `coverage()` itself, because the funnel needs the projects of every status.
    """

    q = pillar = article = article_id = early_harvest = sort = None
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=ProjectStatus.choices,
        method="filter_nothing",
        empty_label=_("Published, ongoing and completed"),
    )
    published_from = django_filters.DateFilter(
        label=_("Published on or after"), field_name="published_at__date", lookup_expr="gte"
    )
    published_to = django_filters.DateFilter(
        label=_("Published on or before"), field_name="published_at__date", lookup_expr="lte"
    )

    @property
    def form(self):
        """The form, with the status choices of the viewer; also loads the framework's structure."""
        if not hasattr(self, "_form"):
            form = django_filters.FilterSet.form.fget(self)
            framework, articles = self._structure()
            self.structure_framework = framework
            self.structure_articles = {article.number: article for article in articles}
            if not sees_everything(self.request.user):
                form.fields["status"].choices = [form.fields["status"].choices[0]] + [
                    (status.value, status.label) for status in PUBLIC_STATUSES
                ]
            for name in ("published_from", "published_to"):
                form.fields[name].widget.input_type = "date"
        return self._form

    def filter_nothing(self, queryset, name, value):
        return queryset

    def filter_queryset(self, queryset):
        return django_filters.FilterSet.filter_queryset(self, queryset).order_by()


@dataclass
class Coverage:
    """Every figure of the dashboard for one scope (framework-wide, or one party)."""

    framework: object
    pillars: list
    parties: list
    matrix: list  # rows: {"pillar", "cells": [{"party", "count", "url"}], "total", "url"}
    party_totals: list
    total: int
    articles: list
    funnel: list
    quarters: list
    budgets: list
    themes: list
    modes: list
    early_harvest: list
    health: list
    red_projects: list
    linkable: bool
    scope_party: object = None
    notes: list = field(default_factory=list)


def coverage_filter(data, *, user) -> CoverageFilter:
    return CoverageFilter(data, queryset=Project.objects.all(), request=SimpleNamespace(user=user))


def coverage(filterset: CoverageFilter, *, user, party=None) -> Coverage:
    """The figures for the valid filters of `filterset` (invalid ones are ignored, as in the
    library), narrowed to `party` (lead or active participant) when one is given."""
    form = filterset.form
    filterset.is_valid()
    cleaned = form.cleaned_data
    everything = sees_everything(user)
    framework = filterset.structure_framework
    articles = filterset.structure_articles
    pillars = sorted({a.pillar.number: a.pillar for a in articles.values() if a.pillar_id}.items())

    filtered = filterset.qs  # every status; the status filter is applied below
    if party is not None:
        filtered = filterset.filter_party(filtered, "party", party)
    status = cleaned.get("status") or ""
    if not everything:
        filtered = filtered.filter(status__in=PUBLIC_STATUSES)
    counted = filtered.filter(status=status) if status else filtered.filter(status__in=PUBLIC_STATUSES)

    structure = _structure_counts(counted, framework)
    parties = _parties(structure)
    # The library takes one party: with a party filter or a party view, only that party's
    # cells (and the rows, through that party) can be listed exactly.
    restricting = {p.code for p in (party, cleaned.get("party")) if p is not None}
    linkable = _linkable(cleaned, status) and len(restricting) <= 1
    base_query = _link_query(cleaned)
    only = next(iter(restricting), None)
    matrix = []
    for number, pillar in pillars:
        cells = []
        for code, _name in parties:
            count = structure["cell"].get((pillar.pk, code), 0)
            url = None
            if count and linkable and only in (None, code):
                url = _library_url(base_query, pillar=number, party=code)
            cells.append({"party": code, "count": count, "url": url})
        total = structure["pillar"].get(pillar.pk, 0)
        row_url = _library_url(base_query, pillar=number, party=only) if total and linkable else None
        matrix.append({"pillar": pillar, "number": number, "cells": cells, "total": total, "url": row_url})

    return Coverage(
        framework=framework,
        pillars=[pillar for _number, pillar in pillars],
        parties=parties,
        matrix=matrix,
        party_totals=[
            {"party": code, "count": structure["party"].get(code, 0), "iso_numeric": structure["numeric"].get(code, "")}
            for code, _name in parties
        ],
        total=structure["all"],
        articles=[
            {
                "article": article,
                "projects": structure["article"].get(article.pk, 0),
                "parties": structure["article_parties"].get(article.pk, 0),
                "gap": not structure["article"].get(article.pk, 0),
            }
            for _number, article in sorted(articles.items())
        ],
        funnel=_funnel(filtered if everything else filtered.filter(status__in=PUBLIC_STATUSES), everything),
        quarters=_quarters(counted),
        budgets=_budgets(counted, framework, user),
        themes=list(
            Theme.objects.filter(projects__in=counted.values("pk"))
            .values("name")
            .annotate(count=Count("projects"))
            .order_by("-count", "name")[:TOP_THEMES]
        ),
        modes=_modes(counted),
        early_harvest=list(
            counted.filter(early_harvest=True).select_related("lead_party").order_by("reference_code", "pk")
        ),
        **_health(counted),
        linkable=linkable,
        scope_party=party,
    )


def _base_sql(queryset):
    """SQL and parameters of the ids and lead parties of `queryset` (a subquery)."""
    return queryset.order_by().values("id", "lead_party_id").query.sql_with_params()


def _structure_counts(counted, framework) -> dict:
    """The matrix, its totals and the article coverage in one statement (UNION ALL of GROUP BYs).

    `pairs` is every (project, party) with the party leading or actively taking part; `tags`
    every (project, article, pillar) of the framework. Counts are DISTINCT projects (or
    parties), so a project tagged to two articles of one pillar counts once in that pillar.
    """
    result = {"cell": {}, "pillar": {}, "party": {}, "numeric": {}, "all": 0, "article": {}, "article_parties": {}}
    if framework is None:
        return result
    base_sql, base_params = _base_sql(counted)
    party_table = Party._meta.db_table
    sql = f"""
        WITH base AS ({base_sql}),
        pairs AS (
            SELECT base.id AS project_id, base.lead_party_id AS party_id FROM base
            UNION
            SELECT pt.project_id, pt.party_id FROM {Participation._meta.db_table} pt
            WHERE pt.status = %s AND pt.project_id IN (SELECT id FROM base)
        ),
        tags AS (
            SELECT DISTINCT t.project_id, a.id AS article_id, a.pillar_id
            FROM {ProjectArticle._meta.db_table} t JOIN {Article._meta.db_table} a ON a.id = t.article_id
            WHERE a.framework_id = %s AND t.project_id IN (SELECT id FROM base)
        )
        SELECT 'cell', tags.pillar_id, p.code, COUNT(DISTINCT tags.project_id), NULL
            FROM tags JOIN pairs ON pairs.project_id = tags.project_id JOIN {party_table} p ON p.id = pairs.party_id
            WHERE tags.pillar_id IS NOT NULL GROUP BY tags.pillar_id, p.code
        UNION ALL
        SELECT 'pillar', tags.pillar_id, NULL, COUNT(DISTINCT tags.project_id), NULL
            FROM tags WHERE tags.pillar_id IS NOT NULL GROUP BY tags.pillar_id
        UNION ALL
        SELECT 'party', NULL, p.code, COUNT(DISTINCT tags.project_id), p.iso_numeric
            FROM tags JOIN pairs ON pairs.project_id = tags.project_id JOIN {party_table} p ON p.id = pairs.party_id
            WHERE tags.pillar_id IS NOT NULL GROUP BY p.code, p.iso_numeric
        UNION ALL
        SELECT 'all', NULL, NULL, COUNT(DISTINCT tags.project_id), NULL FROM tags WHERE tags.pillar_id IS NOT NULL
        UNION ALL
        SELECT 'article', tags.article_id, NULL, COUNT(DISTINCT tags.project_id), NULL
            FROM tags GROUP BY tags.article_id
        UNION ALL
        SELECT 'article_parties', tags.article_id, NULL, COUNT(DISTINCT pairs.party_id), NULL
            FROM tags JOIN pairs ON pairs.project_id = tags.project_id GROUP BY tags.article_id
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, ParticipationStatus.ACTIVE, framework.pk])
        for kind, key, code, count, numeric in cursor.fetchall():
            if kind == "cell":
                result["cell"][(key, code)] = count
            elif kind == "pillar":
                result["pillar"][key] = count
            elif kind == "party":
                result["party"][code] = count
                result["numeric"][code] = numeric or ""
            elif kind == "all":
                result["all"] = count
            else:
                result[kind][key] = count
    return result


def _parties(structure) -> list:
    """The matrix columns: parties with at least one counted project, by code."""
    return [(code, code) for code in sorted(structure["party"])]


def _linkable(cleaned, status) -> bool:
    """The library can list exactly a cell's projects only for public statuses and no date range."""
    if cleaned.get("published_from") or cleaned.get("published_to"):
        return False
    return not status or status in PUBLIC_STATUSES


def _link_query(cleaned) -> dict:
    query = {}
    for name in LINKED_FILTERS:
        value = cleaned.get(name)
        if value in (None, ""):
            continue
        query[name] = getattr(value, "code", None) or getattr(value, "number", None) or value
    return query


def _library_url(base_query, **extra) -> str:
    from django.urls import reverse

    query = {**base_query, **{key: value for key, value in extra.items() if value is not None}}
    return f"{reverse('projects:library')}?{urlencode(query)}"


def _funnel(queryset, everything) -> list:
    counts = dict(queryset.order_by().values_list("status").annotate(count=Count("pk")))
    stages = []
    for key, label, statuses in FUNNEL:
        if key == "submitted" and not everything:
            continue
        stages.append({"stage": key, "label": label, "count": sum(counts.get(s, 0) for s in statuses)})
    reached = 0
    for stage in reversed(stages):  # a completed project has been submitted, published and ongoing
        reached += stage["count"]
        stage["reached"] = reached
    return stages


def _quarters(counted) -> list:
    rows = (
        counted.filter(published_at__isnull=False)
        .annotate(year=ExtractYear("published_at"), quarter=ExtractQuarter("published_at"))
        .values("year", "quarter")
        .annotate(count=Count("pk"))
        .order_by("year", "quarter")
    )
    return [{"label": f"{row['year']} Q{row['quarter']}", **row} for row in rows]


def _budget_visible(user):
    """Restricted budgets only for those who may see them (`projects.view_restricted`)."""
    if sees_everything(user):
        return Q()
    visible = Q(budget_restricted=False)
    party_id = getattr(user, "party_id", None) if user.is_authenticated else None
    if party_id:
        active = Participation.objects.filter(
            project=OuterRef("pk"), party_id=party_id, status=ParticipationStatus.ACTIVE
        )
        visible |= Q(lead_party_id=party_id) | Exists(active)
    return visible


def _budgets(counted, framework, user) -> list:
    """Budget sums per pillar and currency (never across currencies), and per currency over all
    counted projects (a project in two pillars counts once in the "all" row)."""
    if framework is None:
        return []
    shown = counted.filter(_budget_visible(user), budget_amount__isnull=False)
    base_sql, base_params = shown.order_by().values("id", "budget_amount", "budget_currency").query.sql_with_params()
    from framework.models import Pillar

    sql = f"""
        WITH base AS ({base_sql}),
        pp AS (
            SELECT DISTINCT t.project_id, a.pillar_id
            FROM {ProjectArticle._meta.db_table} t JOIN {Article._meta.db_table} a ON a.id = t.article_id
            WHERE a.framework_id = %s AND a.pillar_id IS NOT NULL AND t.project_id IN (SELECT id FROM base)
        )
        SELECT pl.number, base.budget_currency, SUM(base.budget_amount), COUNT(*)
            FROM pp JOIN base ON base.id = pp.project_id JOIN {Pillar._meta.db_table} pl ON pl.id = pp.pillar_id
            GROUP BY pl.number, base.budget_currency
        UNION ALL
        SELECT NULL, base.budget_currency, SUM(base.budget_amount), COUNT(*) FROM base GROUP BY base.budget_currency
    """  # noqa: S608 - table names come from the models, values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [*base_params, framework.pk])
        rows = cursor.fetchall()
    result = [
        {
            "pillar": number,
            "currency": currency,
            "amount": Decimal(str(amount)).quantize(Decimal("0.01")),
            "projects": n,
        }
        for number, currency, amount, n in rows
    ]
    return sorted(result, key=lambda row: (row["pillar"] is None, row["pillar"] or 0, row["currency"]))


def _modes(counted) -> list:
    counts = dict(counted.order_by().values_list("cooperation_mode").annotate(count=Count("pk")))
    return [{"mode": value, "label": label, "count": counts.get(value, 0)} for value, label in CooperationMode.choices]


def _health(counted) -> dict:
    """Reporting health of the counted ongoing projects, per lead party (the party that reports)."""
    ongoing = (
        counted.filter(status=ProjectStatus.ONGOING)
        .with_reporting()
        .select_related("lead_party")
        .order_by("lead_party__code", "reference_code", "pk")
    )
    per_party = defaultdict(lambda: {"green": 0, "amber": 0, "red": 0})
    red = []
    for project in ongoing:
        health = reporting_health(
            status=project.status,
            last_report_on=project.last_report_on,
            has_overdue_milestone=project.has_overdue_milestone,
            started_on=project.start_on,
        )
        per_party[project.lead_party.code][health.value] += 1
        if health == "red":
            red.append(project)
    return {"health": [{"party": code, **counts} for code, counts in sorted(per_party.items())], "red_projects": red}
