"""The webhooks API as a partner system uses it: secrets shown once, validation as problem
details, the delivery log (query count pinned), replay, enabling and disabling."""

import pytest
from django.test import Client

from notifications.models import EventKind, OutboxEvent
from registry.models import User
from tests.api.conftest import ApiClient, partner_key
from webhooks import signing
from webhooks.models import DisabledReason, MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage

from .test_signing import verify

pytestmark = pytest.mark.django_db
BASE = "/api/v1/webhooks/endpoints/"


@pytest.fixture
def api(db):
    return ApiClient(Client(), partner_key("CHN", "read_write"))


def create(api, url="https://partner.example.org/hooks", kinds=("project_published",)):
    response = api.request("post", BASE, {"url": url, "event_types": list(kinds), "description": "Sync"})
    assert response.status_code == 201, response.content
    return response.json()


def test_creating_returns_the_secret_once(api):
    created = create(api)
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert created["secret"] == signing.endpoint_secret(endpoint)
    assert endpoint.owner == User.objects.get(username="system-CHN-read_write") and endpoint.party.code == "CHN"
    detail = api.get(f"{BASE}{endpoint.pk}/").json()
    assert "secret" not in detail and detail["event_types"] == ["project_published"]
    assert "secret" not in api.get(BASE).json()["results"][0]


def test_invalid_fields_are_problem_details_and_create_nothing(api, settings):
    response = api.request("post", BASE, {"url": "https://partner.example.org/", "event_types": ["nonsense"]})
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert "event_types" in response.json()["errors"]
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    response = api.request("post", BASE, {"url": "https://169.254.169.254/", "event_types": ["project_published"]})
    assert response.status_code == 400 and "url" in response.json()["errors"]
    assert not WebhookEndpoint.objects.exists()


def test_rotating_returns_a_new_secret_and_both_sign_for_a_while(api):
    created = create(api)
    response = api.request("post", f"{BASE}{created['id']}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != created["secret"] and response.json()["previous_secret_until"]
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    headers = signing.headers(endpoint, msg_id="msg_x", timestamp=1, body="{}")
    assert verify(new, headers, "{}") and verify(created["secret"], headers, "{}")


def test_disabling_and_enabling_again(api):
    created = create(api)
    response = api.request("patch", f"{BASE}{created['id']}/", {"is_active": False})
    assert response.status_code == 200 and response.json()["disabled_reason"] == DisabledReason.OWNER
    WebhookEndpoint.objects.filter(pk=created["id"]).update(consecutive_failures=3)
    response = api.request("patch", f"{BASE}{created['id']}/", {"is_active": True})
    endpoint = WebhookEndpoint.objects.get(pk=created["id"])
    assert response.status_code == 200 and endpoint.is_active
    assert (endpoint.disabled_reason, endpoint.disabled_at, endpoint.consecutive_failures) == ("", None, 0)


def _messages(endpoint, draft, count):
    for _ in range(count):
        event = OutboxEvent.objects.create(kind=EventKind.PROJECT_PUBLISHED, project=draft)
        message = WebhookMessage.objects.create(endpoint=endpoint, event=event, body='{"type":"project_published"}')
        WebhookAttempt.objects.create(message=message, status_code=500, error="")


def test_the_delivery_log_does_not_grow_in_queries(api, draft, django_assert_max_num_queries):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    _messages(endpoint, draft, 2)
    with django_assert_max_num_queries(8) as few:
        response = api.get(f"{BASE}{endpoint.pk}/messages/")
    assert response.status_code == 200 and response.json()["count"] == 2
    _messages(endpoint, draft, 20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = api.get(f"{BASE}{endpoint.pk}/messages/?status=pending")
    assert response.json()["count"] == 22
    assert api.get(f"{BASE}{endpoint.pk}/messages/?status=sent").json()["count"] == 0


def test_a_message_shows_its_payload_and_attempts(api, draft):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    _messages(endpoint, draft, 1)
    message = WebhookMessage.objects.get()
    body = api.get(f"/api/v1/webhooks/messages/{message.pk}/").json()
    assert body["payload"] == {"type": "project_published"} and body["msg_id"] == message.msg_id
    assert [attempt["status_code"] for attempt in body["attempt_log"]] == [500]


def test_replay_through_the_api_sends_again(api, draft, receiver, django_capture_on_commit_callbacks):
    endpoint = WebhookEndpoint.objects.get(pk=create(api, url=receiver.url)["id"])
    _messages(endpoint, draft, 1)
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(status=MessageStatus.DEAD, attempts=10)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.request("post", f"/api/v1/webhooks/messages/{message.pk}/replay/")
    assert response.status_code == 202
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert len(receiver.requests) == 1 and receiver.requests[0]["headers"]["webhook-id"] == message.msg_id


def test_replay_on_a_disabled_endpoint_is_refused(api, draft):
    endpoint = WebhookEndpoint.objects.get(pk=create(api)["id"])
    _messages(endpoint, draft, 1)
    message = WebhookMessage.objects.get()
    WebhookMessage.objects.filter(pk=message.pk).update(status=MessageStatus.DEAD)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)
    response = api.request("post", f"/api/v1/webhooks/messages/{message.pk}/replay/")
    assert response.status_code == 400
    assert WebhookMessage.objects.get().status == MessageStatus.DEAD
