from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_mixins import ReadOnlyCoordinatorAdmin, is_secretariat

from . import services
from .models import Delivery, DeliveryStatus, OutboxEvent


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    can_delete = False
    fields = ["recipient", "channel", "status", "attempts", "sent_at", "last_error"]
    readonly_fields = fields

    def has_view_permission(self, request, obj=None):
        return is_secretariat(request.user)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyCoordinatorAdmin):
    list_display = ["pk", "kind", "project", "actor", "created_at", "dispatched_at", "delivered_at"]
    list_filter = ["kind", ("delivered_at", admin.EmptyFieldListFilter)]
    list_select_related = ["project", "actor"]
    readonly_fields = [
        "kind",
        "project",
        "participation",
        "actor",
        "payload",
        "created_at",
        "dispatched_at",
        "delivered_at",
    ]
    inlines = [DeliveryInline]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyCoordinatorAdmin):
    """Dead deliveries (filter on "Failed") with a retry action."""

    list_display = ["pk", "event", "recipient", "channel", "status", "attempts", "last_error", "sent_at"]
    list_filter = ["status", "channel"]
    list_select_related = ["event", "recipient"]
    readonly_fields = ["event", "recipient", "channel", "status", "attempts", "last_error", "created_at", "sent_at"]
    actions = ["retry"]

    @admin.action(description=_("Retry the selected failed deliveries"))
    def retry(self, request, queryset):
        count = services.deliveries_retry(deliveries=queryset.filter(status=DeliveryStatus.DEAD))
        message = ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", count)
        self.message_user(request, message % {"count": count}, messages.SUCCESS)
