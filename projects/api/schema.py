"""Shared pieces of the projects API's OpenAPI description."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse

IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The project's current ETag (428 without it, 412 when stale).",
)
REFUSED = {
    400: OpenApiResponse(description="Invalid fields (problem+json with `errors`)."),
    401: OpenApiResponse(description="No valid credentials."),
    403: OpenApiResponse(description="Visible, but the caller may not do this."),
    404: OpenApiResponse(description="No such project, or the caller may not see it."),
    412: OpenApiResponse(description="If-Match is stale."),
    428: OpenApiResponse(description="If-Match is missing."),
}


def refusals(*left_out: int) -> dict:
    """`REFUSED` without the given statuses."""
    return {code: response for code, response in REFUSED.items() if code not in left_out}
