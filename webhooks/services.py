"""Managing webhook endpoints: create, change, rotate the secret, enable, disable, replay.

Partner systems manage the endpoints of their own party (the API scopes lookups so that
another party's endpoint is a 404); coordinators manage every endpoint from the admin.
Sending lives in `webhooks.delivery`.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.admin_mixins import is_secretariat
from notifications.models import EventKind
from registry.models import Role

from . import delivery, signing
from .models import DisabledReason, MessageStatus, WebhookEndpoint, WebhookMessage, new_salt
from .urlguard import check_url

# How long the previous secret keeps signing after a rotation, so receivers can switch over.
SECRET_GRACE = timedelta(hours=24)
EDITABLE = ("url", "description", "event_types", "is_active")


def _check_manage(actor, endpoint: WebhookEndpoint) -> None:
    if is_secretariat(actor):
        return
    if actor.role == Role.PARTNER_SYSTEM and actor.party_id and actor.party_id == endpoint.party_id:
        return
    raise PermissionDenied


def _clean(fields: dict) -> dict:
    """Validate the editable fields; raises ValidationError keyed by field."""
    errors = {}
    cleaned = {}
    if "url" in fields:
        url = str(fields["url"] or "").strip()
        try:
            if len(url) > 500:
                raise ValidationError(_("Ensure this address has at most 500 characters."))
            check_url(url)
            cleaned["url"] = url
        except ValidationError as error:
            errors["url"] = error.messages
    if "event_types" in fields:
        kinds = fields["event_types"]
        if not isinstance(kinds, list | tuple) or not kinds:
            errors["event_types"] = [_("Choose at least one event type.")]
        elif unknown := sorted({str(kind) for kind in kinds} - set(EventKind.values)):
            errors["event_types"] = [_("Unknown event types: %(kinds)s.") % {"kinds": ", ".join(unknown)}]
        else:
            cleaned["event_types"] = [kind for kind in EventKind.values if kind in kinds]
    if "description" in fields:
        cleaned["description"] = str(fields["description"] or "")[:200]
    if "is_active" in fields:
        cleaned["is_active"] = bool(fields["is_active"])
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def endpoint_create(*, actor, url: str, event_types: list[str], description: str = "") -> tuple[WebhookEndpoint, str]:
    """A new endpoint of the actor's party, and its secret (shown to the caller this once)."""
    if actor.role != Role.PARTNER_SYSTEM or not actor.party_id:
        raise PermissionDenied
    fields = _clean({"url": url, "event_types": event_types, "description": description})
    endpoint = WebhookEndpoint.objects.create(owner=actor, party_id=actor.party_id, **fields)
    return endpoint, signing.endpoint_secret(endpoint)


@transaction.atomic
def endpoint_update(*, endpoint: WebhookEndpoint, actor, fields: dict) -> WebhookEndpoint:
    _check_manage(actor, endpoint)
    cleaned = _clean({name: value for name, value in fields.items() if name in EDITABLE})
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    active = cleaned.pop("is_active", endpoint.is_active)
    for name, value in cleaned.items():
        setattr(endpoint, name, value)
    if active and not endpoint.is_active:
        _enable(endpoint)
    elif not active and endpoint.is_active:
        _disable(endpoint, reason=DisabledReason.SECRETARIAT if is_secretariat(actor) else DisabledReason.OWNER)
    endpoint.save()
    return endpoint


def _enable(endpoint: WebhookEndpoint) -> None:
    endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = True, "", None
    endpoint.consecutive_failures = 0


def _disable(endpoint: WebhookEndpoint, *, reason: str) -> None:
    endpoint.is_active, endpoint.disabled_reason, endpoint.disabled_at = False, reason, timezone.now()


@transaction.atomic
def endpoints_enable(*, endpoints, actor) -> int:
    """Re-enable disabled endpoints (the admin's action): their waiting messages resume."""
    count = 0
    for endpoint in WebhookEndpoint.objects.select_for_update().filter(pk__in=[e.pk for e in endpoints]):
        _check_manage(actor, endpoint)
        if not endpoint.is_active:
            _enable(endpoint)
            endpoint.save()
            count += 1
    return count


@transaction.atomic
def endpoint_delete(*, endpoint: WebhookEndpoint, actor) -> None:
    _check_manage(actor, endpoint)
    endpoint.delete()


@transaction.atomic
def endpoint_rotate_secret(*, endpoint: WebhookEndpoint, actor, now=None) -> str:
    """Draw a new secret; the old one keeps signing too for SECRET_GRACE. Returns the new secret."""
    _check_manage(actor, endpoint)
    now = now or timezone.now()
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.previous_secret_salt, endpoint.previous_secret_until = endpoint.secret_salt, now + SECRET_GRACE
    endpoint.secret_salt = new_salt()
    endpoint.save(update_fields=["previous_secret_salt", "previous_secret_until", "secret_salt", "updated_at"])
    return signing.endpoint_secret(endpoint)


@transaction.atomic
def message_replay(*, message: WebhookMessage, actor, now=None) -> WebhookMessage:
    """Send a message again (same webhook-id, same body), with a fresh round of retries."""
    now = now or timezone.now()
    message = WebhookMessage.objects.select_for_update(of=("self",)).select_related("endpoint").get(pk=message.pk)
    _check_manage(actor, message.endpoint)
    if not message.endpoint.is_active:
        raise ValidationError(_("This endpoint is disabled: enable it before replaying its messages."))
    message.status, message.attempts, message.last_error = MessageStatus.PENDING, 0, ""
    message.next_attempt_at = message.queued_at = now
    message.save(update_fields=["status", "attempts", "last_error", "next_attempt_at", "queued_at"])
    transaction.on_commit(lambda pk=message.pk: delivery.queue_send(pk))
    return message


def messages_replay(*, messages, actor) -> int:
    """The admin's replay action: messages of disabled endpoints are left out."""
    count = 0
    for message in messages.filter(endpoint__is_active=True):
        message_replay(message=message, actor=actor)
        count += 1
    return count
