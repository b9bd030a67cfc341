"""For coordinators: every endpoint (re-enable, disable), the delivery log with replay."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_mixins import ReadOnlyCoordinatorAdmin, is_secretariat

from . import services
from .models import WebhookAttempt, WebhookEndpoint, WebhookMessage


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_view_permission(self, request, obj=None):
        return is_secretariat(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WebhookAttemptInline(_ReadOnlyInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "duration_ms", "error", "response_excerpt"]
    readonly_fields = fields


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(ReadOnlyCoordinatorAdmin):
    list_display = ["pk", "url", "party", "owner", "is_active", "disabled_reason", "consecutive_failures", "created_at"]
    list_filter = ["is_active", "disabled_reason", "party"]
    list_select_related = ["party", "owner"]
    search_fields = ["url", "description", "owner__username"]
    readonly_fields = [
        "owner",
        "party",
        "url",
        "description",
        "event_types",
        "is_active",
        "disabled_reason",
        "disabled_at",
        "consecutive_failures",
        "previous_secret_until",
        "created_at",
        "updated_at",
    ]
    actions = ["enable", "disable"]

    @admin.action(description=_("Enable the selected endpoints again"))
    def enable(self, request, queryset):
        count = services.endpoints_enable(endpoints=queryset, actor=request.user)
        message = ngettext("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)

    @admin.action(description=_("Disable the selected endpoints"))
    def disable(self, request, queryset):
        count = 0
        for endpoint in queryset.filter(is_active=True):
            services.endpoint_update(endpoint=endpoint, actor=request.user, fields={"is_active": False})
            count += 1
        message = ngettext("%(count)d endpoint disabled.", "%(count)d endpoints disabled.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)


@admin.register(WebhookMessage)
class WebhookMessageAdmin(ReadOnlyCoordinatorAdmin):
    """The delivery log: filter on status (dead, failed) and replay."""

    list_display = ["msg_id", "endpoint", "event_type", "status", "attempts", "last_status_code", "next_attempt_at"]
    list_filter = ["status", "event_type"]
    list_select_related = ["endpoint__party"]
    search_fields = ["msg_id", "endpoint__url"]
    readonly_fields = [
        "msg_id",
        "endpoint",
        "event",
        "event_type",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
        "created_at",
        "sent_at",
    ]
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    @admin.action(description=_("Replay the selected messages"))
    def replay(self, request, queryset):
        count = services.messages_replay(messages=queryset, actor=request.user)
        message = ngettext("%(count)d message queued again.", "%(count)d messages queued again.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
