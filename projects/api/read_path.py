"""The purpose-built read path of `GET /api/v1/projects/`.

It produces exactly the JSON `ProjectListSerializer` produces (tests/api/test_read_path.py
compares both on varied projects), but from plain rows of ONE query: the page's `values()`,
each many-valued relation (article tags, participations, themes, SDGs, external ids) folded
into a JSON array by a correlated subquery, decoded by orjson, then plain dicts rendered by
orjson. No model instances, no per-field serializer calls, no ORM compilation of prefetch
queries: the serializer stays the schema's description of the representation. (PostgreSQL
evaluates the subqueries after the LIMIT, for the page's rows only.)

Disclosure is the serializer's: contact only for signed-in callers (and, when restricted, for
the lead party, active participants and coordinators), a restricted budget likewise, every
participation for the lead party and coordinators and only active ones for everybody else.

`visible_projects` is `Project.objects.visible_to` written with EXISTS instead of a join and
DISTINCT, and the reporting inputs are correlated subqueries instead of a GROUP BY: the same
rows, but PostgreSQL can walk the `updated_at` index and stop after one page.
"""

from decimal import Decimal

import orjson
from django.db import connections
from django.db.models import Exists, OuterRef, Q, Subquery, TextField
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.http import HttpResponse
from django.utils import timezone

from framework.models import Article, Framework, Pillar
from projects.choices import PUBLIC_STATUSES, ParticipationStatus, ProjectStatus
from projects.models import (
    ExternalId,
    Milestone,
    Participation,
    ProgressReport,
    Project,
    ProjectArticle,
    Theme,
    reporting_health,
)
from registry.models import Party

COLUMNS = (
    "id",
    "reference_code",
    "status",
    "language",
    "title_zh_hans",
    "title_en",
    "summary_zh_hans",
    "summary_en",
    "lead_party_id",
    "lead_party__code",
    "lead_organization_id",
    "lead_organization__name_zh_hans",
    "lead_organization__name_en",
    "cooperation_mode",
    "project_type",
    "early_harvest",
    "places",
    "start_on",
    "end_on",
    "budget_amount",
    "budget_currency",
    "budget_restricted",
    "contact_name",
    "contact_email",
    "contact_phone",
    "contact_restricted",
    "created_at",
    "updated_at",
    "last_report_on",
    "has_overdue_milestone",
)
CENT = Decimal("0.01")


def _is_coordinator(user) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.is_coordinator))


def visible_projects(user):
    """The projects `user` may open (as `Project.objects.visible_to`), with the reporting inputs."""
    today = timezone.localdate()
    queryset = Project.objects.annotate(
        last_report_on=Subquery(
            ProgressReport.objects.filter(project=OuterRef("pk")).order_by("-submitted_on").values("submitted_on")[:1]
        ),
        has_overdue_milestone=Exists(
            Milestone.objects.filter(project=OuterRef("pk"), done_on__isnull=True, due_on__lt=today)
        ),
    )
    if _is_coordinator(user):
        return queryset
    visible = Q(status__in=PUBLIC_STATUSES)
    if user.is_authenticated and user.party_id:
        taking_part = Participation.objects.filter(
            project=OuterRef("pk"),
            party_id=user.party_id,
            status__in=(ParticipationStatus.ACTIVE, ParticipationStatus.INVITED),
        )
        visible |= Q(lead_party_id=user.party_id) | Q(Exists(taking_part))
    return queryset.filter(visible)


def _related_sql():
    """Per relation: (JSON array expression per row, FROM and WHERE on the outer project)."""
    project = f'"{Project._meta.db_table}"."id"'
    themes, sdgs = Project.themes.through._meta.db_table, Project.sdgs.through._meta.db_table
    return {
        "article_rows": (
            "{array}(f.code, a.number, pl.number, pa.is_primary, pa.note)",
            f"{ProjectArticle._meta.db_table} pa JOIN {Article._meta.db_table} a ON a.id = pa.article_id"
            f" JOIN {Framework._meta.db_table} f ON f.id = a.framework_id"
            f" LEFT JOIN {Pillar._meta.db_table} pl ON pl.id = a.pillar_id WHERE pa.project_id = {project}",
        ),
        "participation_rows": (
            "{array}(pt.party_id, pp.code, pt.role, pt.status, pt.id)",
            f"{Participation._meta.db_table} pt JOIN {Party._meta.db_table} pp ON pp.id = pt.party_id"
            f" WHERE pt.project_id = {project}",
        ),
        "theme_names": (
            "t.name",
            f"{themes} tl JOIN {Theme._meta.db_table} t ON t.id = tl.theme_id WHERE tl.project_id = {project}",
        ),
        "sdg_numbers": ("sl.sdg_id", f"{sdgs} sl WHERE sl.project_id = {project}"),
        "external_rows": (
            "{array}(e.source, e.external_id)",
            f"{ExternalId._meta.db_table} e WHERE e.project_id = {project}",
        ),
    }


# The JSON aggregation of each backend: an array of every row's value, `[]` when there is none.
AGGREGATES = {
    "postgresql": ("json_build_array", "COALESCE(json_agg({value}), '[]')::text"),
    "sqlite": ("json_array", "json_group_array({value})"),
}


def page_rows(queryset):
    """The rows the representation is built from (the pagination slices this): the project's
    columns, and each relation as the JSON text of an array."""
    array, aggregate = AGGREGATES[connections[queryset.db].vendor]
    related = {}
    for name, (value, source) in _related_sql().items():
        # Constants and table names only: no caller's input reaches this SQL.
        sql = f"(SELECT {aggregate.format(value=value.format(array=array))} FROM {source})"  # noqa: S608
        related[name] = RawSQL(sql, (), TextField())  # noqa: S611
    # JSON lists as text, decoded by orjson: JSONField's decoder is the stdlib's.
    related["groups_json"] = Cast("beneficiary_groups", TextField())
    related["countries_json"] = Cast("countries", TextField())
    return queryset.values(*COLUMNS, **related)


def _datetime(value, zone) -> str:
    """As DRF's DateTimeField: in the current time zone, ISO 8601, `Z` for UTC."""
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _date(value):
    return value.isoformat() if value is not None else None


class Viewer:
    """What the caller may see of one row (the rules of `projects/rules.py`, on plain values)."""

    def __init__(self, user):
        self.signed_in = bool(user.is_authenticated)
        self.coordinator = _is_coordinator(user)
        self.party_id = user.party_id if self.signed_in else None

    def in_lead_party(self, row) -> bool:
        return bool(self.party_id and self.party_id == row["lead_party_id"])

    def restricted(self, row, participations) -> bool:
        """`projects.view_restricted`: coordinators, the lead party and active participants."""
        if self.coordinator or self.in_lead_party(row):
            return True
        return bool(self.party_id) and any(
            party_id == self.party_id and status == ParticipationStatus.ACTIVE
            for party_id, _code, _role, status in participations
        )


def represent(rows, user) -> list[dict]:
    """The list representation of `rows` (from `page_rows`): no further query."""
    viewer, zone = Viewer(user), timezone.get_current_timezone()
    return [_project(row, viewer, zone) for row in rows]


def _participations(row) -> list:
    """(party id, party code, role, status) in the serializer's order: role descending, then id."""
    rows = orjson.loads(row["participation_rows"])
    rows.sort(key=_fifth)
    rows.sort(key=_third, reverse=True)
    return [(party_id, code, role, status) for party_id, code, role, status, _pk in rows]


def _third(values):
    return values[2]


def _fifth(values):
    return values[4]


def _article_order(tag):
    return (not tag[3], tag[0], tag[1])


def _project(row, viewer, zone) -> dict:
    participations = _participations(row)
    restricted_visible = viewer.restricted(row, participations)
    tags = sorted(orjson.loads(row["article_rows"]), key=_article_order)
    articles = [
        {"framework": framework, "number": number, "primary": bool(primary), "note": note}
        for framework, number, _pillar, primary, note in tags
    ]
    pillars = sorted({pillar for _f, _n, pillar, _p, _note in tags if pillar is not None})
    organization = None
    if row["lead_organization_id"] is not None:
        organization = {
            "id": row["lead_organization_id"],
            "name": {"zh-hans": row["lead_organization__name_zh_hans"], "en": row["lead_organization__name_en"]},
        }
    budget = None
    if row["budget_amount"] is not None and (not row["budget_restricted"] or restricted_visible):
        budget = {"amount": format(row["budget_amount"].quantize(CENT), "f"), "currency": row["budget_currency"]}
    contact = None
    if viewer.signed_in and (not row["contact_restricted"] or restricted_visible):
        contact = {
            "name": row["contact_name"],
            "email": row["contact_email"],
            "phone": row["contact_phone"],
            "restricted": row["contact_restricted"],
        }
    everyone = viewer.coordinator or viewer.in_lead_party(row)  # `projects.view_history`
    shown = [
        {"party": code, "role": role, "status": status}
        for _party_id, code, role, status in participations
        if everyone or status == ParticipationStatus.ACTIVE
    ]
    health = None
    if row["status"] == ProjectStatus.ONGOING:
        health = reporting_health(
            status=row["status"],
            last_report_on=row["last_report_on"],
            has_overdue_milestone=row["has_overdue_milestone"],
            started_on=row["start_on"],
        )
    return {
        "id": row["id"],
        "reference_code": row["reference_code"],
        "status": row["status"],
        "language": row["language"],
        "title": {"zh-hans": row["title_zh_hans"], "en": row["title_en"]},
        "summary": {"zh-hans": row["summary_zh_hans"], "en": row["summary_en"]},
        "lead_party": row["lead_party__code"],
        "lead_organization": organization,
        "cooperation_mode": row["cooperation_mode"],
        "project_type": row["project_type"],
        "articles": articles,
        "pillars": pillars,
        "themes": sorted(orjson.loads(row["theme_names"]), key=str.casefold),
        "sdgs": sorted(orjson.loads(row["sdg_numbers"])),
        "beneficiary_groups": _list(row["groups_json"]),
        "early_harvest": row["early_harvest"],
        "countries": _list(row["countries_json"]),
        "places": row["places"],
        "start_on": _date(row["start_on"]),
        "end_on": _date(row["end_on"]),
        "budget": budget,
        "contact": contact,
        "participations": shown,
        "reporting_health": str(health) if health else None,
        "external_ids": [
            {"source": source, "external_id": external_id}
            for source, external_id in sorted(orjson.loads(row["external_rows"]), key=_external_key)
        ],
        "created_at": _datetime(row["created_at"], zone),
        "updated_at": _datetime(row["updated_at"], zone),
    }


def _list(text) -> list:
    return list(orjson.loads(text) or []) if text else []


def _external_key(pair):
    """The serializer's order: `sorted(dicts, key=str)`, i.e. by the text of the dict."""
    source, external_id = pair
    return str({"source": source, "external_id": external_id})


def json_response(body, status=200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")
