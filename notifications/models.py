"""The outbox (what happened), its deliveries (who was told, how) and the in-app inbox.

An `OutboxEvent` is written in the same transaction as the change it reports, so an event
exists exactly when the change was committed. Deliveries are keyed by (event, recipient,
channel): whatever runs the fan-out twice finds the row already there and sends nothing.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class EventKind(models.TextChoices):
    PROJECT_SUBMITTED = "project_submitted", _("Project submitted")
    PROJECT_RESUBMITTED = "project_resubmitted", _("Project resubmitted")
    PROJECT_RETURNED = "project_returned", _("Project returned for changes")
    PROJECT_PUBLISHED = "project_published", _("Project published")
    PROJECT_STATUS_CHANGED = "project_status_changed", _("Project status changed")
    JOIN_REQUESTED = "join_requested", _("Request to join")
    JOIN_ACCEPTED = "join_accepted", _("Request or invitation accepted")
    JOIN_DECLINED = "join_declined", _("Request or invitation declined")
    INVITATION = "invitation", _("Invitation to join")
    REVIEW_COMMENT = "review_comment", _("Review comment")
    MILESTONE_DUE_SOON = "milestone_due_soon", _("Milestone due soon")
    MILESTONE_OVERDUE = "milestone_overdue", _("Milestone overdue")
    REPORT_DUE_SOON = "report_due_soon", _("Progress report due soon")
    REPORT_OVERDUE = "report_overdue", _("Progress report overdue")
    PARTY_JOINED = "party_joined", _("A party joined the framework")
    API_KEY_CREATED = "api_key_created", _("API key created")
    API_KEY_EXPIRING = "api_key_expiring", _("API key about to expire")
    WEEKLY_DIGEST = "weekly_digest", _("Weekly digest for coordinators")


class OutboxEvent(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=EventKind.choices, db_index=True)
    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    participation = models.ForeignKey(
        "projects.Participation", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The party an event is about when it is not about a project (a party joined, an API key).
    party = models.ForeignKey("registry.Party", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Set for events that must exist once only (a reminder per object, kind and due date; a weekly
    # digest per week): whoever records it second, or concurrently, finds the row already there.
    # NULL, not "", for the other events: the unique constraint ignores NULLs.
    dedupe_key = models.CharField(  # noqa: DJ001
        _("deduplication key"), max_length=200, null=True, blank=True, editable=False
    )
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    # When the latest queued attempt was queued, or is due when a retry waits for its backoff;
    # the sweeper takes the event again only a grace period after it. NULL: not queued (yet, or
    # the broker refused it), which the sweeper takes at once (services.outbox_sweep).
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    # Set once every delivery is sent, skipped or dead: the sweeper leaves it alone from then on.
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        constraints = [models.UniqueConstraint(fields=["dedupe_key"], name="outbox_event_once_per_dedupe_key")]

    def __str__(self):
        return f"#{self.pk} {self.get_kind_display()}"


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In-app")
    EMAIL = "email", _("E-mail")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    DIGEST = "digest", _("Held for the daily digest")
    DEAD = "dead", _("Failed (no more retries)")


class Delivery(models.Model):
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "recipient", "channel"], name="delivery_once_per_channel"),
        ]

    def __str__(self):
        return f"{self.event} → {self.recipient} ({self.channel}, {self.status})"


class Notification(models.Model):
    """One entry of a person's in-app inbox."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="notifications")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["event", "recipient"], name="notification_once_per_event")]
        indexes = [models.Index(fields=["recipient", "read_at"])]

    def __str__(self):
        return f"{self.recipient}: {self.event}"

    @property
    def message(self) -> str:
        """What happened, in the active language."""
        from .services import describe

        return describe(self.event)


class Frequency(models.TextChoices):
    IMMEDIATE = "immediate", _("Immediately")
    DIGEST = "digest", _("In a daily digest")
    OFF = "off", _("Off")


class NotificationPreference(models.Model):
    """How a person wants to hear about one kind of event; no row means immediately."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("event"), max_length=32, choices=EventKind.choices)
    frequency = models.CharField(_("frequency"), max_length=16, choices=Frequency.choices)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="preference_once_per_kind")]

    def __str__(self):
        return f"{self.user}: {self.kind} {self.frequency}"
