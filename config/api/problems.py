"""RFC 9457 problem details for every API error.

DRF's own exceptions, Django's ValidationError, PermissionDenied and Http404 all leave
the API as `application/problem+json` with `type`, `title`, `status`, `detail` and,
for invalid input, `errors` keyed by field.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    410: "Gone",
    412: "Precondition failed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


def problem(status_code: int, detail: str = "", **extra) -> dict:
    body = {"type": "about:blank", "title": TITLES.get(status_code, "Error"), "status": status_code}
    if detail:
        body["detail"] = str(detail)
    body.update(extra)
    return body


def problem_exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None

    extra = {}
    if isinstance(exc, exceptions.ValidationError):
        errors = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        detail = "One or more fields are invalid."
        extra["errors"] = errors
    else:
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    request = context.get("request")
    if request is not None:
        extra["instance"] = request.get_full_path()
    body = problem(response.status_code, detail, **extra)
    headers = {k: v for k, v in response.items() if k.lower() in {"retry-after", "www-authenticate", "allow"}}
    return Response(body, status=response.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def problem_response(request, status_code: int, detail: str = "") -> JsonResponse:
    """A problem+json answer from plain Django views (404/500 handlers under /api/)."""
    return JsonResponse(
        problem(status_code, detail, instance=request.get_full_path()),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def api_not_found(request, exception=None):
    return problem_response(request, status.HTTP_404_NOT_FOUND, "No API resource at this address.")
