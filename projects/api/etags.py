"""Strong ETags and If-Match preconditions for project writes.

The ETag hashes what changes on every write (the project's id, status and `updated_at`).
Writes must send `If-Match`: without it 428, with a stale value 412. The view checks it once
before doing any work and again under the row lock (`select_for_update`) inside the write's
transaction, so of two concurrent writers holding the same ETag only the first one wins.
"""

import hashlib

from django.utils.translation import gettext_lazy as _
from rest_framework import status
from rest_framework.exceptions import APIException

from projects.models import Project


class PreconditionRequired(APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send the project's current ETag in an If-Match header.")
    default_code = "precondition_required"


class PreconditionFailed(APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The project changed since you read it: fetch it again and retry with the new ETag.")
    default_code = "precondition_failed"


def etag_for(project: Project) -> str:
    raw = f"{project.pk}:{project.status}:{project.updated_at.isoformat()}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


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
