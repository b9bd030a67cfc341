"""Coverage aggregates for the coordinators' dashboard and `/api/v1/coverage/` (reads only).

Which projects count is decided by `CoverageFilter`, a subclass of the library's own
`ProjectFilter`, so that "party", "pillar", "SDG"… mean exactly what they mean in the library
(party = lead or active participant; pillars through the article tags): a matrix cell links
to the library page listing exactly the projects it counted.

Two statements per scope, whatever the data and the filters (`projects.aggregates`): the
structure (frameworks, pillars, articles, parties, SDGs and the state of the aggregate store,
which also validates the filters' codes), then every figure and list. The figures come from
the aggregate cube for the unfiltered view and any one filter (framework, party, SDG, mode or
type, each with or without a status; a date range, from the cube's years, months and days),
and from GROUP BYs over the store's per-project snapshot otherwise (two
filters, a date range with a status); both as of the store's last refresh (`Coverage.as_of`).
A store older than `aggregates.STALE_AFTER` that misses changes is not read: the figures are
then computed from the base tables (`as_of` None).

Scope: non-public statuses count only for coordinators; a restricted budget counts only for
viewers who may see it (`projects.view_restricted`: coordinators, the lead party and active
participants). The cube holds every status and keeps restricted budgets apart (in total, and
per party leading or taking part), so each viewer's statement adds only what they may see.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from operator import attrgetter
from types import SimpleNamespace

import django_filters
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from config.i18n import TranslatedField

from . import aggregates
from .choices import IN_REVIEW_STATUSES, PUBLIC_STATUSES, CooperationMode, ProjectStatus
from .filters import ProjectFilter
from .models import Project

FUNNEL = (
    ("submitted", _("Submitted"), IN_REVIEW_STATUSES),
    ("published", _("Published"), (ProjectStatus.PUBLISHED,)),
    ("ongoing", _("Ongoing"), (ProjectStatus.ONGOING,)),
    ("completed", _("Completed"), (ProjectStatus.COMPLETED,)),
)
TOP_THEMES = aggregates.TOP_THEMES
LINKED_FILTERS = ("framework", "status", "cooperation_mode", "project_type", "sdg")


def sees_everything(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_coordinator))


def _loaded_choice(field, instances, key) -> None:
    """Make a model choice field take its choices from `instances` (found by `key`, any case)
    instead of querying: the structure statement already loaded them."""
    lookup = {str(key(instance)).casefold(): instance for instance in instances}

    def to_python(value):
        if value in field.empty_values:
            return None
        match = lookup.get(str(value).strip().casefold())
        if match is None:
            raise ValidationError(
                field.error_messages["invalid_choice"], code="invalid_choice", params={"value": value}
            )
        return match

    field.to_python = to_python
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    # Set past the setter (django-filter's wraps the list in a queryset iterator).
    field._choices = field.widget.choices = empty + [
        (field.prepare_value(obj), field.label_from_instance(obj)) for obj in instances
    ]


class CoverageFilter(ProjectFilter):
    """The library's filters (same names, same meaning) plus the published date range.

    `status` offers every status to coordinators and only the public ones to others; it is
    applied by `coverage()` itself, because the funnel needs the projects of every status.
    Framework, party and SDG codes are checked against the structure loaded in one statement.
    """

    q = pillar = article = article_id = early_harvest = health = sort = None
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
            loaded = self.structure
            by_code, by_number = attrgetter("code"), attrgetter("number")
            frameworks = sorted(loaded.frameworks, key=lambda f: f.code)
            frameworks.sort(key=lambda f: (not f.is_primary, -(f.adopted_on or date.min).toordinal()))
            _loaded_choice(form.fields["framework"], frameworks, by_code)
            _loaded_choice(form.fields["party"], sorted(loaded.parties, key=by_code), by_code)
            _loaded_choice(form.fields["sdg"], sorted(loaded.sdgs, key=by_number), by_number)
            if not sees_everything(self.request.user):
                form.fields["status"].choices = [form.fields["status"].choices[0]] + [
                    (status.value, status.label) for status in PUBLIC_STATUSES
                ]
            for name in ("published_from", "published_to"):
                form.fields[name].widget.input_type = "date"
        return self._form

    def _structure(self):
        """The framework asked for (or the primary one) and its articles, as `ProjectFilter`
        chooses them, from the one structure statement (`self.structure`)."""
        code = framework_code(self.data)
        loaded = getattr(self, "preloaded", None)
        self.structure = loaded = loaded or aggregates.structure_load(code)
        chosen = [f for f in loaded.frameworks if code and f.code.casefold() == code.casefold()]
        framework = (chosen or [f for f in loaded.frameworks if f.is_primary] or [None])[0]
        if framework is None:
            return None, []
        articles = sorted((a for a in loaded.articles if a.framework_id == framework.pk), key=lambda a: a.number)
        return framework, articles

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
    early_harvest: list  # the first `list_limit` (all without a limit), the latest published first
    health: list
    red_projects: list  # the first `list_limit` overdue ones, the longest without a report first
    linkable: bool
    early_harvest_total: int = 0
    red_total: int = 0
    early_harvest_url: str | None = None  # the library's page of all of them
    red_url: str | None = None
    scope_party: object = None
    notes: list = field(default_factory=list)
    as_of: datetime | None = None  # when the aggregates read were computed; None: computed now


class ListedProject:
    """A project in a dashboard list (early harvest, reporting overdue): what the lists show,
    without building a model instance for each of thousands of rows."""

    __slots__ = ("lead_party", "pk", "reference_code", "status", "title_en", "title_zh_hans")
    title = TranslatedField()

    def __init__(self, pk, reference_code, title_en, title_zh_hans, status, lead_party):
        self.pk, self.reference_code, self.status, self.lead_party = pk, reference_code, status, lead_party
        self.title_en, self.title_zh_hans = title_en or "", title_zh_hans or ""

    @property
    def id(self):
        return self.pk

    def __str__(self):
        return self.reference_code or self.title or f"#{self.pk}"

    def __eq__(self, other):
        return isinstance(other, ListedProject | Project) and other.pk == self.pk

    def __hash__(self):
        return hash(self.pk)

    def get_absolute_url(self):
        return reverse("projects:detail", kwargs={"pk": self.pk})

    def get_status_display(self):
        return ProjectStatus(self.status).label


def framework_code(data) -> str:
    """The framework code asked for, as the structure statement takes it (a NUL is refused by the form)."""
    return str(data.get("framework") or "").strip().replace("\x00", "")


def coverage_filter(data, *, user, structure=None) -> CoverageFilter:
    """The filters of `data`; `structure`: `aggregates.structure_load(framework_code(data))`
    when the caller has read it already."""
    filterset = CoverageFilter(data, queryset=Project.objects.all(), request=SimpleNamespace(user=user))
    filterset.preloaded = structure
    return filterset


def coverage(
    filterset: CoverageFilter, *, user, party=None, list_limit: int | None = aggregates.LIST_LIMIT
) -> Coverage:
    """The figures for the valid filters of `filterset` (invalid ones are ignored, as in the
    library), narrowed to `party` (lead or active participant) when one is given. The lists
    (early harvest, reporting overdue) hold their first `list_limit` projects, all with None;
    their totals and library links come with them."""
    form = filterset.form
    filterset.is_valid()
    cleaned = form.cleaned_data
    everything = sees_everything(user)
    framework = filterset.structure_framework
    articles = filterset.structure_articles
    pillars = sorted({a.pillar.number: a.pillar for a in articles.values() if a.pillar_id}.items())

    filtered = filterset.qs  # every status; the status filter is applied by the figures' statement
    if party is not None:
        filtered = filterset.filter_party(filtered, "party", party)
    status = cleaned.get("status") or ""
    if not everything:
        filtered = filtered.filter(status__in=PUBLIC_STATUSES)
    projects_sql, projects_params = filtered.values(*aggregates.PROJECT_COLUMNS).query.sql_with_params()
    loaded = filterset.structure
    usable = loaded.cube_usable()
    dimension = _cube_dimension(cleaned, party, status) if usable else None
    periods = None
    if usable and dimension is None and not (status or party or _chosen(cleaned)):
        periods = _date_range(cleaned)  # a date range alone
    budget_party = getattr(user, "party_id", None) if user.is_authenticated else None
    query = aggregates.FigureQuery(
        projects_sql=projects_sql,
        projects_params=projects_params,
        counted=[status] if status else list(PUBLIC_STATUSES),
        funnel=list(ProjectStatus.values) if everything else list(PUBLIC_STATUSES),
        dimension=dimension,
        every_budget=everything,
        budget_party_id=None if everything else budget_party,
    )
    if usable:  # the store: the cube where it holds the figures, else the snapshot; the lists from the snapshot
        asked = _instants(cleaned.get("published_from"), cleaned.get("published_to"))
        selection = _snapshot_selection(cleaned, party, everything)
        query.snapshot_sql, query.snapshot_params = aggregates.snapshot_projects(**selection, published=asked)
        query.periods = periods or None  # none: a range that ends before it starts, from the snapshot
    rows = aggregates.figures_fetch(query, list_limit=list_limit)
    figures = _read(rows, loaded, framework)

    parties = [(code, code) for code in sorted(figures["party"])]
    # The library takes one party: with a party filter or a party view, only that party's
    # cells (and the rows, through that party) can be listed exactly.
    restricting = {p.code for p in (party, cleaned.get("party")) if p is not None}
    linkable = _linkable(cleaned, status) and len(restricting) <= 1
    base_query = _library_prefix(_link_query(cleaned))
    only = next(iter(restricting), None)
    matrix = []
    for number, pillar in pillars:
        cells = []
        for code, _name in parties:
            count = figures["cell"].get((pillar.pk, code), 0)
            url = None
            if count and linkable and only in (None, code):
                url = _library_url(base_query, pillar=number, party=code)
            cells.append({"party": code, "count": count, "url": url})
        total = figures["pillar"].get(pillar.pk, 0)
        row_url = _library_url(base_query, pillar=number, party=only) if total and linkable else None
        matrix.append({"pillar": pillar, "number": number, "cells": cells, "total": total, "url": row_url})

    return Coverage(
        framework=framework,
        pillars=[pillar for _number, pillar in pillars],
        parties=parties,
        matrix=matrix,
        party_totals=[
            {"party": code, "count": figures["party"][code], "iso_numeric": figures["numeric"].get(code, "")}
            for code, _name in parties
        ],
        total=figures["all"],
        articles=[
            {
                "article": article,
                "projects": figures["article"].get(article.pk, 0),
                "parties": figures["article_parties"].get(article.pk, 0),
                "gap": not figures["article"].get(article.pk, 0),
            }
            for _number, article in sorted(articles.items())
        ],
        funnel=_funnel(figures["status"], everything),
        quarters=figures["quarters"],
        budgets=figures["budgets"] if framework is not None else [],
        themes=figures["themes"],
        modes=[
            {"mode": value, "label": label, "count": figures["mode"].get(value, 0)}
            for value, label in CooperationMode.choices
        ],
        early_harvest=figures["early"],
        health=figures["health"],
        red_projects=figures["red"],
        linkable=linkable,
        early_harvest_total=figures["harvest"],
        red_total=sum(row["red"] for row in figures["health"]),
        early_harvest_url=_library_url(base_query, party=only, early_harvest="yes") if linkable else None,
        red_url=_library_url(base_query, party=only, health="red") if linkable else None,
        scope_party=party,
        as_of=loaded.as_of if usable else None,
    )


def _cube_dimension(cleaned, party, status) -> tuple | None:
    """The cube's (dim, value) holding these filters, or None when it holds none (a date range,
    or two filters: the cube holds each dimension for the public statuses, and the unfiltered
    figures for each status)."""
    if cleaned.get("published_from") or cleaned.get("published_to"):
        return None
    chosen = set()
    parties = {p.pk for p in (party, cleaned.get("party")) if p is not None}
    if len(parties) > 1:
        return None
    if parties:
        chosen.add(("party", str(parties.pop())))
    if cleaned.get("framework"):
        chosen.add(("framework", str(cleaned["framework"].pk)))
    if cleaned.get("sdg"):
        chosen.add(("sdg", str(cleaned["sdg"].pk)))
    for name in ("cooperation_mode", "project_type"):
        if cleaned.get(name):
            chosen.add((name, cleaned[name]))
    if len(chosen) > 1 or (chosen and status):
        return None
    return chosen.pop() if chosen else ("", "")


def _chosen(cleaned) -> bool:
    """A filter other than the date range and the status."""
    return any(cleaned.get(name) for name in ("party", "framework", "sdg", "cooperation_mode", "project_type"))


def _snapshot_selection(cleaned, party, everything) -> dict:
    """The filters (and the party of a party view) as `aggregates.snapshot_projects` takes
    them; the status is left to the figures' statement, as for the base tables."""
    return {
        "statuses": None if everything else [status.value for status in PUBLIC_STATUSES],
        "parties": sorted({p.pk for p in (party, cleaned.get("party")) if p is not None}),
        "framework_id": cleaned["framework"].pk if cleaned.get("framework") else None,
        "sdg_id": cleaned["sdg"].pk if cleaned.get("sdg") else None,
        "mode": cleaned.get("cooperation_mode") or "",
        "project_type": cleaned.get("project_type") or "",
    }


def _date_range(cleaned) -> list:
    """The cube's periods that make up the date range exactly, as (dim, first, last) with None
    where the range is open: the days before its first whole month and after its last, the
    months before its first whole year and after its last, and the whole years between."""
    start, end = cleaned.get("published_from"), cleaned.get("published_to")
    one = timedelta(days=1)
    periods = []
    # The days of a partial month at each end (a range within one month is all days).
    if start is not None and start.day != 1:
        last = _month_end(start) if end is None else min(_month_end(start), end)
        periods.append(("day", _day(start), _day(last)))
        start = last + one
    if end is not None and (end + one).day != 1 and (start is None or start <= end):
        first = end.replace(day=1) if start is None else max(end.replace(day=1), start)
        periods.append(("day", _day(first), _day(end)))
        end = first - one
    if start is not None and end is not None and start > end:
        return periods
    # The months of a partial year at each end: `start` is now a month's first day, `end` a
    # month's last.
    if start is not None and start.month != 1:
        last = date(start.year, 12, 31) if end is None else min(date(start.year, 12, 31), end)
        periods.append(("month", _month(start), _month(last)))
        start = last + one
    if end is not None and end.month != 12 and (start is None or start <= end):
        first = date(end.year, 1, 1) if start is None else max(date(end.year, 1, 1), start)
        periods.append(("month", _month(first), _month(end)))
        end = first - one
    if start is None or end is None or start <= end:
        periods.append(("year", _year(start), _year(end)))
    return periods


def _month_end(day) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _day(day) -> str:
    return f"{day.year * 10000 + day.month * 100 + day.day}"


def _instants(start, end) -> tuple:
    """The days [start, end] as publication times [from, to): the first instant of `start` and
    of the day after `end` in the current time zone (as `published_at__date` takes the date);
    None where open."""
    zone = timezone.get_current_timezone()
    return (
        None if start is None else datetime.combine(start, time.min, tzinfo=zone),
        None if end is None else datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _month(day) -> str:
    return f"{day.year * 100 + day.month}"


def _year(day) -> str | None:
    return None if day is None else str(day.year)


def _read(rows, loaded, framework) -> dict:
    """The statement's rows as the figures: counts by key, budgets, lists of projects."""
    parties = {p.pk: p for p in loaded.parties}
    pillar_numbers = {p.pk: p.number for p in loaded.pillars if framework and p.framework_id == framework.pk}
    fw = framework.pk if framework else None
    result = {
        "cell": {},
        "pillar": {},
        "party": {},
        "numeric": {},
        "all": 0,
        "article": {},
        "article_parties": {},
        "status": {},
        "mode": {},
        "harvest": 0,
    }
    quarters, themes, budgets, early, red = [], [], defaultdict(lambda: [Decimal(0), 0]), [], []
    health = defaultdict(lambda: {"green": 0, "amber": 0, "red": 0})
    for kind, k1, k2, s, n, amount, title_en, title_zh, status in rows:
        n = int(n or 0)
        if kind == "cell":
            if k1 in pillar_numbers and n:
                result["cell"][(k1, parties[k2].code)] = n
        elif kind == "pillar":
            result["pillar"][k1] = n
        elif kind == "party":
            if k1 == fw and n:
                result["party"][parties[k2].code] = n
                result["numeric"][parties[k2].code] = parties[k2].iso_numeric or ""
        elif kind == "all":
            if k1 == fw:
                result["all"] = n
        elif kind in ("article", "article_parties"):
            result[kind][k1] = n
        elif kind in ("status", "mode"):
            result[kind][s] = n
        elif kind == "quarter" and n:
            quarters.append({"label": f"{k1} Q{k2}", "year": int(k1), "quarter": int(k2), "count": n})
        elif kind == "theme":
            themes.append((k2, {"name": s, "count": n}))
        elif kind in ("budget", "budget_party") and n:
            if k1 == 0 or k1 in pillar_numbers:
                total = budgets[(pillar_numbers.get(k1), s)]
                total[0] += Decimal(str(amount))
                total[1] += n
        elif kind == "harvest":
            result["harvest"] = n
        elif kind == "health" and n:
            health[parties[k1].code][s] = n
        elif kind in ("early", "red"):
            project = ListedProject(k1, s, title_en, title_zh, status, parties[k2])
            (early if kind == "early" else red).append(project)
    result["quarters"] = sorted(quarters, key=lambda q: (q["year"], q["quarter"]))
    result["themes"] = [theme for _rank, theme in sorted(themes, key=lambda pair: pair[0])]
    result["budgets"] = sorted(
        (
            {"pillar": pillar, "currency": currency, "amount": amount.quantize(Decimal("0.01")), "projects": n}
            for (pillar, currency), (amount, n) in budgets.items()
        ),
        key=lambda row: (row["pillar"] is None, row["pillar"] or 0, row["currency"]),
    )
    # In the statement's order: the early-harvest ones most recently published first, the
    # overdue ones longest without a report first.
    result["early"], result["red"] = early, red
    result["health"] = [{"party": code, **counts} for code, counts in sorted(health.items())]
    return result


def _funnel(counts, everything) -> list:
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


def _library_prefix(base_query) -> str:
    """The library's URL with the page's filters, to which `_library_url` adds a cell's."""
    return f"{reverse('projects:library')}?{urlencode(base_query)}"


def _library_url(prefix: str, **extra) -> str:
    """`prefix` and then `extra` (whose keys are not among the page's filters): the path and the
    filters are encoded once per scope, not once per cell (a thousand cells or more)."""
    rest = urlencode({name: value for name, value in extra.items() if value is not None})
    return f"{prefix}&{rest}" if not prefix.endswith("?") and rest else f"{prefix}{rest}"
