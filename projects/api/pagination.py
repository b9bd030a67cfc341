"""Cursor pagination of the projects API.

Stable pages while rows change, without a COUNT query. This is not yet an incremental sync:
rows committed out of order, withdrawals and projects leaving a key's scope need the
tombstone-based change feed (a later slice of issue 5)."""

from rest_framework.pagination import CursorPagination


class ProjectCursorPagination(CursorPagination):
    ordering = ("-updated_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def get_paginated_response_schema(self, schema):
        described = super().get_paginated_response_schema(schema)
        properties = described["properties"]
        properties["next"]["description"] = "The next page (an opaque cursor link), or null on the last page."
        properties["previous"]["description"] = "The previous page, or null on the first page."
        properties["results"]["description"] = "The projects of this page."
        return described
