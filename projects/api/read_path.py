"""The purpose-built read path of `GET /api/v1/projects/`.

It produces exactly the JSON `ProjectListSerializer` produces (tests/api/test_read_path.py
compares both on varied projects), but from plain rows: one `values()` query for the page,
one for its participations, one UNION for every other relation (article tags, themes, SDGs,
external ids), then plain dicts rendered by orjson. No model instances, no per-field
serializer calls: the serializer stays the schema's description of the representation.

Disclosure is the serializer's: contact only for signed-in callers (and, when restricted, for
the lead party, active participants and coordinators), a restricted budget likewise, every
participation for the lead party and coordinators and only active ones for everybody else.

`visible_projects` is `Project.objects.visible_to` written with EXISTS instead of a join and
DISTINCT, and the reporting inputs are correlated subqueries instead of a GROUP BY: the same
rows, but PostgreSQL can walk the `updated_at` index and stop after one page.
"""

from collections import defaultdict
from decimal import Decimal

import orjson
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import HttpResponse
from django.utils import timezone

from projects.choices import PUBLIC_STATUSES, ParticipationStatus, ProjectStatus
from projects.models import Milestone, Participation, ProgressReport, Project, reporting_health

from .serializers import TRUE_TEXT, _related_rows

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
    "beneficiary_groups",
    "early_harvest",
    "countries",
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


def page_rows(queryset):
    """The rows the representation is built from (the pagination slices this)."""
    return queryset.values(*COLUMNS)


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
    """The list representation of `rows` (from `page_rows`), with two more queries."""
    ids = [row["id"] for row in rows]
    if not ids:
        return []
    participations = defaultdict(list)
    participation_rows = (
        Participation.objects.filter(project_id__in=ids)
        .order_by("-role", "pk")
        .values_list("project_id", "party_id", "party__code", "role", "status")
    )
    for project_id, *rest in participation_rows:
        participations[project_id].append(rest)
    related = defaultdict(lambda: defaultdict(list))
    for kind, project_id, a, b, c, d, e in _related_rows(ids):
        related[project_id][kind].append((a, b, c, d, e))
    viewer, zone = Viewer(user), timezone.get_current_timezone()
    return [_project(row, participations[row["id"]], related[row["id"]], viewer, zone) for row in rows]


def _project(row, participations, related, viewer, zone) -> dict:
    restricted_visible = viewer.restricted(row, participations)
    articles = [
        {"framework": a, "number": int(b), "pillar": int(c) if c else None, "primary": d in TRUE_TEXT, "note": e}
        for a, b, c, d, e in related["article"]
    ]
    articles.sort(key=lambda tag: (not tag["primary"], tag["framework"], tag["number"]))
    pillars = sorted({tag["pillar"] for tag in articles if tag["pillar"] is not None})
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
        "articles": [
            {"framework": tag["framework"], "number": tag["number"], "primary": tag["primary"], "note": tag["note"]}
            for tag in articles
        ],
        "pillars": pillars,
        "themes": sorted((theme for theme, *_ in related["theme"]), key=str.casefold),
        "sdgs": sorted(int(sdg) for sdg, *_ in related["sdg"]),
        "beneficiary_groups": list(row["beneficiary_groups"] or []),
        "early_harvest": row["early_harvest"],
        "countries": list(row["countries"] or []),
        "places": row["places"],
        "start_on": _date(row["start_on"]),
        "end_on": _date(row["end_on"]),
        "budget": budget,
        "contact": contact,
        "participations": shown,
        "reporting_health": str(health) if health else None,
        "external_ids": [
            {"source": source, "external_id": external_id}
            for source, external_id in sorted(((a, b) for a, b, *_ in related["external"]), key=_external_key)
        ],
        "created_at": _datetime(row["created_at"], zone),
        "updated_at": _datetime(row["updated_at"], zone),
    }


def _external_key(pair):
    """The serializer's order: `sorted(dicts, key=str)`, i.e. by the text of the dict."""
    source, external_id = pair
    return str({"source": source, "external_id": external_id})


def json_response(body, status=200) -> HttpResponse:
    return HttpResponse(orjson.dumps(body), status=status, content_type="application/json")
