"""`GET /api/v1/coverage/`: the dashboard's aggregates as JSON, with the dashboard's filters.

Open to everyone, like the library: anonymous callers, officers and partner systems get the
aggregates of published, ongoing and completed projects, with restricted budgets left out
unless their party leads or takes part in the project; coordinators may also ask for other
statuses and see every budget. Invalid filters are a 400 problem with the field messages.

Freshness: `as_of` is when the figures were computed and `source` where from: "aggregates"
(the store refreshed every 20 s after changes, `projects.aggregates`; at most a minute behind,
usually seconds) or "live" (computed from the base tables for this request: a store that fell
behind). An answer from the store is kept in the cache until the store changes.
"""

import hashlib
import logging

from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from projects import aggregates
from projects.aggregates import LIST_LIMIT
from projects.choices import ProjectStatus
from projects.coverage import coverage, coverage_filter, framework_code, sees_everything

# An answer read from the aggregate store is kept until the store changes (its key holds the
# store's version); this only bounds how long an answer nobody asks again stays in the cache.
RESPONSE_SECONDS = 3600
logger = logging.getLogger(__name__)

PARAMETERS = [
    OpenApiParameter("framework", OpenApiTypes.STR, description="Framework code (DEGD-2023 when left out)."),
    OpenApiParameter("party", OpenApiTypes.STR, description="Party code: projects it leads or actively takes part in."),
    OpenApiParameter(
        "status",
        OpenApiTypes.STR,
        enum=[status.value for status in ProjectStatus],
        description="One status instead of published, ongoing and completed (non-public ones for coordinators only).",
    ),
    OpenApiParameter("cooperation_mode", OpenApiTypes.STR, description="Cooperation mode."),
    OpenApiParameter("project_type", OpenApiTypes.STR, description="Project type."),
    OpenApiParameter("sdg", OpenApiTypes.INT, description="Sustainable Development Goal number (1 to 17)."),
    OpenApiParameter("published_from", OpenApiTypes.DATE, description="Published on or after this date."),
    OpenApiParameter("published_to", OpenApiTypes.DATE, description="Published on or before this date."),
]


@extend_schema(
    operation_id="coverage",
    summary="Coverage of the framework: pillar × party matrix, articles, funnel, quarters, budgets, health",
    description=(
        "`as_of` (ISO 8601) is when the figures were computed, `source` where from: `aggregates` (the "
        "pre-aggregated store, refreshed every 20 s after changes: a change shows within a minute; the same "
        "question is answered from a kept copy until the store changes) or `live` (computed from the projects "
        "for this request, while the store is behind). "
        f"The lists `early_harvest` and `reporting_overdue` hold their first {LIST_LIMIT} projects (the overdue "
        "ones longest without a report first); `…_total` counts them all and `…_url` is the library page "
        "listing them all (null where the library cannot list exactly these: a date range, a non-public status)."
    ),
    parameters=PARAMETERS,
    responses={200: OpenApiTypes.OBJECT, 400: OpenApiResponse(description="An invalid filter (problem+json).")},
    tags=["coverage"],
)
@api_view(["GET"])
def coverage_view(request):
    loaded = aggregates.structure_load(framework_code(request.query_params))
    key = _response_key(request, loaded)
    cached = None if key is None else _kept(cache.get, key)
    if cached is not None:  # the same store, catalogue, viewer and filters: the same answer
        return Response({**cached, "as_of": loaded.as_of.isoformat()})
    filterset = coverage_filter(request.query_params, user=request.user, structure=loaded)
    if not filterset.is_valid():
        raise ValidationError(filterset.form.errors)
    scope = coverage(filterset, user=request.user)
    data = as_json(scope)
    if key is not None and scope.as_of is not None:
        _kept(cache.set, key, data, RESPONSE_SECONDS)
    return Response(data)


def _response_key(request, loaded) -> str | None:
    """The cache key of this answer while the store is read, else None (computed from the base
    tables, the answer is not kept). An answer read from the store depends only on the store's
    version (its last whole build, and a number raised by every refresh that changes it or the
    day's health), the catalogue, what the viewer may see (every status and budget; or the public
    ones and their party's restricted budgets) and the filters as given."""
    if not loaded.cube_usable():
        return None
    user = request.user
    viewer = "all" if sees_everything(user) else (getattr(user, "party_id", None) if user.is_authenticated else None)
    asked = sorted((name, values) for name, values in request.query_params.lists())
    parts = (loaded.full_at, loaded.version, loaded.health_day, loaded.catalogue_key, viewer, asked)
    return "coverage:" + hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def _kept(operation, *args):
    """A cache read or write; a cache that is down (Redis restarting) costs speed, not the answer."""
    try:
        return operation(*args)
    except Exception:
        logger.warning("The coverage answer cache is unavailable", exc_info=True)
        return None


def as_json(scope) -> dict:
    return {
        "as_of": (scope.as_of or timezone.now()).isoformat(),
        "source": "live" if scope.as_of is None else "aggregates",
        "framework": scope.framework.code if scope.framework else None,
        "matrix": {
            "parties": [code for code, _name in scope.parties],
            "rows": [
                {
                    "pillar": row["number"],
                    "counts": [cell["count"] for cell in row["cells"]],
                    "total": row["total"],
                    "library_url": row["url"],
                }
                for row in scope.matrix
            ],
            "party_totals": [total["count"] for total in scope.party_totals],
            "total": scope.total,
        },
        "articles": [
            {
                "article": row["article"].number,
                "projects": row["projects"],
                "parties": row["parties"],
                "gap": row["gap"],
            }
            for row in scope.articles
        ],
        "funnel": [{"stage": s["stage"], "count": s["count"], "reached": s["reached"]} for s in scope.funnel],
        "quarters": [{"year": q["year"], "quarter": q["quarter"], "count": q["count"]} for q in scope.quarters],
        "budgets": [
            {
                "pillar": row["pillar"],
                "currency": row["currency"],
                "amount": str(row["amount"]),
                "projects": row["projects"],
            }
            for row in scope.budgets
        ],
        "themes": [{"name": theme["name"], "count": theme["count"]} for theme in scope.themes],
        "cooperation_modes": [{"mode": mode["mode"], "count": mode["count"]} for mode in scope.modes],
        "early_harvest": [{"id": p.pk, "reference_code": p.reference_code} for p in scope.early_harvest],
        "early_harvest_total": scope.early_harvest_total,
        "early_harvest_url": scope.early_harvest_url,
        "reporting_health": scope.health,
        "reporting_overdue": [{"id": p.pk, "reference_code": p.reference_code} for p in scope.red_projects],
        "reporting_overdue_total": scope.red_total,
        "reporting_overdue_url": scope.red_url,
    }
