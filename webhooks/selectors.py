"""Reads for the webhooks API: a partner system sees its own party's endpoints only."""

from django.db.models import QuerySet

from .models import WebhookEndpoint, WebhookMessage


def endpoints_for(*, actor) -> QuerySet[WebhookEndpoint]:
    if not actor.party_id:
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.filter(party_id=actor.party_id).select_related("owner")


def messages_for(*, actor) -> QuerySet[WebhookMessage]:
    if not actor.party_id:
        return WebhookMessage.objects.none()
    return WebhookMessage.objects.filter(endpoint__party_id=actor.party_id)


def endpoint_messages(*, endpoint: WebhookEndpoint, status: str = "") -> QuerySet[WebhookMessage]:
    messages = endpoint.messages.all()
    return messages.filter(status=status) if status else messages
