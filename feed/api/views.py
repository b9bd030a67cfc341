"""`GET /api/v1/sync/projects/`: incremental sync of the projects a caller may see.

Thin: parse the cursor, ask `feed.selectors.feed_page`, serialize. Design in `feed/__init__.py`."""

from urllib.parse import urlencode

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import IsAuthenticatedOrReadOnly
from rest_framework.response import Response
from rest_framework.views import APIView

from registry.api.permissions import KeyScopeAllowsMethod

from .. import cursors
from ..selectors import CursorGone, feed_page
from .serializers import SyncPageSerializer

PAGE_SIZE, MAX_PAGE_SIZE = 100, 500

DESCRIPTION = """
Every change of the projects you may see, each exactly once, in the order the library commits
them — withdrawals, deletions and projects that leave your scope included, as tombstones.

1. Call without `cursor`: you get a full listing of your projects (`snapshot: true`), page by page.
2. Always store `cursor` after you have stored a page, and call again with it while `has_more`.
3. When `has_more` is false you are up to date: poll later with the same cursor.

An entry is either the project's current state (the list representation of `/api/v1/projects/`)
or a tombstone (`deleted`, `withdrawn`, `left_scope`): remove the project from your copy.
Positions are assigned only to committed changes, so a change committed late (a long
transaction) still comes after your cursor. Changes are kept for {days} days: an older cursor
is answered **410 Gone**; then start again without a cursor. A cursor you did not receive is
answered 400.
"""


class SyncGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_code = "gone"


class ProjectSyncView(APIView):
    permission_classes = [IsAuthenticatedOrReadOnly, KeyScopeAllowsMethod]

    @extend_schema(
        operation_id="sync_projects",
        summary="Sync projects incrementally",
        description=DESCRIPTION.format(days=settings.FEED_TOMBSTONE_RETENTION.days),
        parameters=[
            OpenApiParameter("cursor", OpenApiTypes.STR, description="The `cursor` of the last page you stored."),
            OpenApiParameter("page_size", OpenApiTypes.INT, description=f"1 to {MAX_PAGE_SIZE} (default {PAGE_SIZE})."),
        ],
        responses={
            200: SyncPageSerializer,
            400: OpenApiResponse(description="The cursor is not one this endpoint issued, or page_size is invalid."),
            410: OpenApiResponse(description="The cursor is older than the changes kept: resync without a cursor."),
        },
    )
    def get(self, request):
        cursor = self._cursor(request)
        try:
            page = feed_page(user=request.user, cursor=cursor, size=self._size(request))
        except CursorGone:
            raise SyncGone(
                _("This cursor is older than the changes the library keeps: sync in full again, without a cursor.")
            ) from None
        token = cursors.encode(page.next_cursor)
        results = [
            {"id": e.id, "position": e.position, "tombstone": e.tombstone, "project": e.project} for e in page.entries
        ]
        data = SyncPageSerializer(
            {
                "cursor": token,
                "next": request.build_absolute_uri(f"{request.path}?{self._next_query(request, token)}"),
                "has_more": page.has_more,
                "snapshot": page.snapshot,
                "results": results,
            },
            context={"request": request},
        ).data
        return Response(data)

    def _next_query(self, request, token) -> str:
        query = {"cursor": token}
        if request.query_params.get("page_size"):
            query["page_size"] = request.query_params["page_size"]
        return urlencode(query)

    def _cursor(self, request):
        text = request.query_params.get("cursor")
        if not text:
            return None
        try:
            return cursors.decode(text)
        except cursors.BadCursor:
            raise exceptions.ValidationError({"cursor": [_("This is not a cursor this feed issued.")]}) from None

    def _size(self, request) -> int:
        text = request.query_params.get("page_size") or str(PAGE_SIZE)
        if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
            raise exceptions.ValidationError(
                {"page_size": [_("Give a number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]}
            )
        return int(text)
