"""`/api/v1/webhooks/`: partner systems manage their party's webhook endpoints.

Only partner-system accounts (with a key, or signed in) may use these routes; another
party's endpoint or message is a 404. A read-only key reads (403 on writes). Coordinators
manage every endpoint in the admin instead.
"""

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from registry.api.permissions import KeyScopeAllowsMethod
from registry.models import Role

from .. import selectors, services
from ..models import MessageStatus, WebhookEndpoint, WebhookMessage
from .serializers import (
    WebhookEndpointCreatedSerializer,
    WebhookEndpointSerializer,
    WebhookEndpointWriteSerializer,
    WebhookMessageDetailSerializer,
    WebhookMessageSerializer,
    WebhookSecretSerializer,
)


class IsPartnerSystem(permissions.BasePermission):
    message = "Only partner systems manage webhooks through the API."

    def has_permission(self, request, view):
        return request.user.role == Role.PARTNER_SYSTEM and bool(request.user.party_id)


PERMISSIONS = [permissions.IsAuthenticated, IsPartnerSystem, KeyScopeAllowsMethod]


def _get(queryset, pk):
    found = queryset.filter(pk=pk).first() if str(pk).isdigit() else None
    if found is None:
        raise Http404
    return found


class WebhookEndpointViewSet(viewsets.GenericViewSet):
    permission_classes = PERMISSIONS
    serializer_class = WebhookEndpointSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user to scope by
            return WebhookEndpoint.objects.none()
        return selectors.endpoints_for(actor=self.request.user)

    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookEndpointSerializer(page, many=True).data)

    @extend_schema(request=WebhookEndpointWriteSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def create(self, request):
        data = WebhookEndpointWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = {
            name: data.validated_data[name]
            for name in ("url", "event_types", "description")
            if name in data.validated_data
        }
        endpoint, secret = services.endpoint_create(actor=request.user, **fields)
        endpoint.secret = secret
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)

    def retrieve(self, request, pk=None):
        return Response(WebhookEndpointSerializer(_get(self.get_queryset(), pk)).data)

    @extend_schema(request=WebhookEndpointWriteSerializer, responses={200: WebhookEndpointSerializer})
    def partial_update(self, request, pk=None):
        endpoint = _get(self.get_queryset(), pk)
        data = WebhookEndpointWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, actor=request.user, fields=dict(data.validated_data))
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, pk=None):
        services.endpoint_delete(endpoint=_get(self.get_queryset(), pk), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: WebhookSecretSerializer})
    @action(detail=True, methods=["post"], url_path="rotate-secret", url_name="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new secret, returned this once; the previous one keeps signing for 24 hours."""
        endpoint = _get(self.get_queryset(), pk)
        secret = services.endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
        endpoint.refresh_from_db()
        return Response({"secret": secret, "previous_secret_until": endpoint.previous_secret_until})

    @extend_schema(responses={200: WebhookMessageSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def messages(self, request, pk=None):
        """The delivery log, newest first; `?status=` filters (pending, failed, sent, dead)."""
        endpoint = _get(self.get_queryset(), pk)
        wanted = request.query_params.get("status", "")
        messages = selectors.endpoint_messages(endpoint=endpoint, status=wanted if wanted in MessageStatus else "")
        page = self.paginate_queryset(messages)
        return self.get_paginated_response(WebhookMessageSerializer(page, many=True).data)


class WebhookMessageViewSet(viewsets.GenericViewSet):
    permission_classes = PERMISSIONS
    serializer_class = WebhookMessageDetailSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return WebhookMessage.objects.none()
        return selectors.messages_for(actor=self.request.user)

    def retrieve(self, request, pk=None):
        message = _get(self.get_queryset().prefetch_related("attempt_log"), pk)
        return Response(WebhookMessageDetailSerializer(message).data)

    @extend_schema(
        request=None,
        responses={
            202: WebhookMessageSerializer,
            400: OpenApiResponse(description="The endpoint is disabled."),
        },
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, pk=None):
        """Send the message again (same webhook-id and body) with a fresh round of retries."""
        message = services.message_replay(message=_get(self.get_queryset(), pk), actor=request.user)
        return Response(WebhookMessageSerializer(message).data, status=status.HTTP_202_ACCEPTED)
