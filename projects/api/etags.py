"""Strong ETags and If-Match preconditions for project writes.

The ETag is a hash over everything the project's representation is built from: the project's
own row (`updated_at` and `status`), its participations (party, role, status, `updated_at`), its
article tags, themes, SDGs and external ids, and the reporting-health inputs (last report,
overdue milestone). So inviting a party, re-tagging a theme or recording an external id all
change it, not only edits of the project's columns. It is the same for every caller (the hash
covers the unfiltered rows), so it discloses nothing.

Writes must send `If-Match`: without it 428, with a stale value 412. The view checks it once
before doing any work and again under the row lock (`select_for_update`) inside the write's
transaction, so of two concurrent writers holding the same ETag only the first one wins.
"""

import hashlib

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from projects.models import Project

from .serializers import attach_related


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send the project's current ETag in an If-Match header.")
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The project changed since you read it: fetch it again and retry with the new ETag.")
    default_code = "precondition_failed"


def _loaded(project: Project) -> Project:
    """The project with its related rows and reporting inputs (reloaded when they are missing,
    e.g. for a bare row just locked: `select_for_update` cannot carry the aggregate annotations)."""
    if hasattr(project, "api_articles") and hasattr(project, "last_report_on"):
        return project
    fresh = Project.objects.with_reporting().get(pk=project.pk)
    return attach_related([fresh])[0]


def version_of(project: Project) -> str:
    """The text the ETag hashes: every input of the representation, whoever reads it."""
    project = _loaded(project)
    participations = sorted(
        (p.party_id, p.role, p.status, p.updated_at.isoformat() if p.updated_at else "")
        for p in project.participations.all()
    )
    parts = [
        project.pk,
        project.status,
        project.updated_at.isoformat(),
        project.last_report_on,
        bool(project.has_overdue_milestone),
        participations,
        project.api_articles,
        project.api_themes,
        project.api_sdgs,
        project.api_external_ids,
    ]
    return repr(parts)


def etag_for(project: Project) -> str:
    return '"' + hashlib.sha256(version_of(project).encode()).hexdigest()[:32] + '"'


def if_match_values(request) -> list[str] | None:
    """The ETags the client sent (None when it sent no If-Match header at all)."""
    header = request.headers.get("If-Match")
    if header is None or not header.strip():
        return None
    return [value.strip() for value in header.split(",") if value.strip()]


def check_if_match(request, project: Project) -> None:
    """Raise 428 without If-Match, 412 when none of the values is the project's current ETag.

    Weak ETags (W/"…") never match: the comparison for If-Match is strong (RFC 9110 13.1.1)."""
    values = if_match_values(request)
    if values is None:
        raise PreconditionRequired
    if "*" in values:
        return
    if etag_for(project) not in values:
        raise PreconditionFailed
