"""Request size and media type limits under /api/, answered as problem+json before any parsing.

A body larger than `API_MAX_BODY_BYTES` (from Content-Length) is refused with 413 without
being read. Non-JSON bodies get 415 from DRF's parser selection (JSON is the only parser).
"""

from django.conf import settings
from django.utils.translation import gettext as _

from .problems import problem_response

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class ApiBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in WRITE_METHODS and request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                return problem_response(request, 400, _("The Content-Length header is not a number."))
            limit = settings.API_MAX_BODY_BYTES
            if length > limit:
                detail = _("The request body is %(size)d bytes; at most %(limit)d are accepted.")
                return problem_response(request, 413, detail % {"size": length, "limit": limit})
        return self.get_response(request)
