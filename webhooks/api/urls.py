"""Included by config/api_urls.py under `webhooks/`, in the `api` namespace."""

from rest_framework.routers import SimpleRouter

from .views import WebhookEndpointViewSet, WebhookMessageViewSet

router = SimpleRouter()
router.register("endpoints", WebhookEndpointViewSet, basename="webhook-endpoint")
router.register("messages", WebhookMessageViewSet, basename="webhook-message")

urlpatterns = router.urls
