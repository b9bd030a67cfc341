"""The feed page as partner systems receive it (OpenAPI names prefixed `Sync…`, unique)."""

from rest_framework import serializers

from projects.api.serializers import ProjectListSerializer

from ..selectors import DELETED, LEFT_SCOPE, WITHDRAWN


class SyncEntrySerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Library id of the project.")
    position = serializers.IntegerField(
        help_text="Feed position of the project's last change in this page (the snapshot's base while listing it)."
    )
    tombstone = serializers.ChoiceField(
        choices=[DELETED, WITHDRAWN, LEFT_SCOPE],
        allow_null=True,
        help_text="Null: `project` is its current state. Otherwise remove the project from your copy: it was "
        "deleted, withdrawn, or is no longer visible to you (left_scope).",
    )
    project = ProjectListSerializer(allow_null=True, help_text="The project's current state, or null for a tombstone.")


class SyncPageSerializer(serializers.Serializer):
    cursor = serializers.CharField(help_text="Store it; send it back as `?cursor=` to get what follows. Opaque.")
    next = serializers.URLField(help_text="This endpoint with `cursor`.")
    has_more = serializers.BooleanField(
        help_text="More is waiting now: call again at once. False: you are up to date; poll later with `cursor`."
    )
    snapshot = serializers.BooleanField(help_text="True while the full listing (a call without cursor) is paged.")
    results = SyncEntrySerializer(many=True, help_text="In position order; each project at most once per page.")
