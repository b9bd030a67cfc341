"""Webhooks for partner systems, after the Standard Webhooks conventions.

An endpoint belongs to a partner-system account (and so to its party) and subscribes to some
event kinds. Each outbox event gives at most one `WebhookMessage` per endpoint (unique), whose
body is frozen when it is created; every try is logged as a `WebhookAttempt`.

Secrets are never stored: each is derived from SECRET_KEY, the endpoint and a random salt
(`webhooks.signing`), so rotating a secret means drawing a new salt.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def new_salt() -> str:
    return secrets.token_urlsafe(24)


def new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


class DisabledReason(models.TextChoices):
    GONE = "gone", _("The receiver answered 410 Gone")
    FAILING = "failing", _("Repeated failed deliveries")
    OWNER = "owner", _("Disabled by its owner")
    SECRETARIAT = "secretariat", _("Disabled by the secretariat")


class WebhookEndpoint(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="webhook_endpoints",
        limit_choices_to={"role": "partner_system"},
        verbose_name=_("owner"),
    )
    party = models.ForeignKey(
        "registry.Party", on_delete=models.CASCADE, related_name="+", editable=False, verbose_name=_("party")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    event_types = models.JSONField(_("event types"), default=list, help_text=_("Event kinds this endpoint receives."))
    is_active = models.BooleanField(_("active"), default=True, db_index=True)
    disabled_reason = models.CharField(_("disabled because"), max_length=16, choices=DisabledReason.choices, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    # Messages that ended dead one after the other, with no delivery in between.
    consecutive_failures = models.PositiveIntegerField(_("consecutive failed messages"), default=0)
    secret_salt = models.CharField(max_length=64, default=new_salt, editable=False)
    previous_secret_salt = models.CharField(max_length=64, blank=True, editable=False)
    previous_secret_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return f"{self.party_id and self.party.code} {self.url}"


class MessageStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    FAILED = "failed", _("Failed, will be retried")
    SENT = "sent", _("Sent")
    DEAD = "dead", _("Failed (no more retries)")


DUE_STATUSES = (MessageStatus.PENDING, MessageStatus.FAILED)


class WebhookMessage(models.Model):
    """One event for one endpoint; the `webhook-id` stays the same on every retry and replay."""

    msg_id = models.CharField(_("message id"), max_length=40, unique=True, default=new_msg_id, editable=False)
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey("notifications.OutboxEvent", on_delete=models.CASCADE, related_name="+")
    event_type = models.CharField(_("event type"), max_length=32)
    body = models.TextField(_("body"), help_text=_("The JSON sent, exactly as signed."))
    status = models.CharField(
        _("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.PENDING, db_index=True
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True, db_index=True)
    # When a send task was last queued for it: the sweeper queues it again only after a lease.
    queued_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook message")
        verbose_name_plural = _("webhook messages")
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_message_once_per_endpoint")]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_message_due")]

    def __str__(self):
        return f"{self.msg_id} ({self.status})"


class WebhookAttempt(models.Model):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    status_code = models.PositiveIntegerField(_("status code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.TextField(_("error"), blank=True)
    response_excerpt = models.TextField(_("response (start)"), blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self):
        return f"{self.message_id} @ {self.at:%Y-%m-%d %H:%M:%S} → {self.status_code or self.error[:40]}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
