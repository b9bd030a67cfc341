"""Every webhooks endpoint and method × every kind of caller, with the expected status, and for
every refused write the proof that nothing happened.

The target is an endpoint of a CHN partner system (the "own" party) with one sent message.
Only partner systems use these routes (people, coordinators included, get 403: coordinators
use the admin); another party's key gets 404; a read-only key reads only.
"""

import pytest

from notifications.models import EventKind, OutboxEvent
from tests.factories import UserFactory, party
from webhooks import services
from webhooks.models import MessageStatus, WebhookAttempt, WebhookEndpoint, WebhookMessage

from .matrix import cases, row

pytestmark = pytest.mark.django_db


READ = row(401, 403, 403, 403, 403, 404, 200, 200)
MATRIX = {
    ("api:webhook-endpoint-list", "GET"): row(401, 403, 403, 403, 403, 200, 200, 200),
    # Another party's key may create an endpoint of its own party: the target is untouched.
    ("api:webhook-endpoint-list", "POST"): row(401, 403, 403, 403, 403, 201, 403, 201),
    ("api:webhook-endpoint-detail", "GET"): READ,
    ("api:webhook-endpoint-detail", "PATCH"): row(401, 403, 403, 403, 403, 404, 403, 200),
    ("api:webhook-endpoint-detail", "DELETE"): row(401, 403, 403, 403, 403, 404, 403, 204),
    ("api:webhook-endpoint-rotate-secret", "POST"): row(401, 403, 403, 403, 403, 404, 403, 200),
    ("api:webhook-endpoint-messages", "GET"): READ,
    ("api:webhook-message-detail", "GET"): READ,
    ("api:webhook-message-replay", "POST"): row(401, 403, 403, 403, 403, 404, 403, 202),
}
ENDPOINTS = set(MATRIX)

PATHS = {
    "api:webhook-endpoint-list": "/api/v1/webhooks/endpoints/",
    "api:webhook-endpoint-detail": "/api/v1/webhooks/endpoints/{endpoint}/",
    "api:webhook-endpoint-rotate-secret": "/api/v1/webhooks/endpoints/{endpoint}/rotate-secret/",
    "api:webhook-endpoint-messages": "/api/v1/webhooks/endpoints/{endpoint}/messages/",
    "api:webhook-message-detail": "/api/v1/webhooks/messages/{message}/",
    "api:webhook-message-replay": "/api/v1/webhooks/messages/{message}/replay/",
}
PAYLOADS = {
    ("api:webhook-endpoint-list", "POST"): {"url": "https://example.org/new", "event_types": ["project_published"]},
    ("api:webhook-endpoint-detail", "PATCH"): {"description": "Changed", "event_types": ["review_comment"]},
}
CASES = cases(MATRIX)


@pytest.fixture
def target(draft):
    owner = UserFactory(role="partner_system", party=party("CHN"), username="system-CHN-owner")
    endpoint, _ = services.endpoint_create(
        actor=owner, url="https://partner.example.org/hooks", event_types=["project_published"]
    )
    event = OutboxEvent.objects.create(kind=EventKind.PROJECT_PUBLISHED, project=draft)
    message = WebhookMessage.objects.create(
        endpoint=endpoint, event=event, event_type=event.kind, body="{}", status=MessageStatus.SENT, attempts=1
    )
    WebhookAttempt.objects.create(message=message, status_code=200)
    return endpoint, message


def snapshot(endpoint, message):
    row = WebhookEndpoint.objects.filter(pk=endpoint.pk).values().first()
    sent = WebhookMessage.objects.filter(pk=message.pk).values("status", "attempts", "next_attempt_at").first()
    return row, sent, WebhookEndpoint.objects.filter(party=endpoint.party).count(), WebhookMessage.objects.count()


@pytest.mark.parametrize(("name", "method", "actor", "expected"), CASES, ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in CASES])
def test_webhooks_permission_matrix(actor_client, target, name, method, actor, expected):
    endpoint, message = target
    before = snapshot(endpoint, message)
    path = PATHS[name].format(endpoint=endpoint.pk, message=message.pk)
    response = actor_client(actor).request(method, path, PAYLOADS.get((name, method)))
    assert response.status_code == expected, response.content[:500]
    if expected >= 400:
        assert response["Content-Type"] == "application/problem+json"
    if method != "GET" and expected >= 400:
        assert snapshot(endpoint, message) == before  # nothing changed, nothing created
    if method != "GET" and expected < 300 and actor != "other_key":
        assert snapshot(endpoint, message) != before  # and an accepted write did happen
    if name == "api:webhook-endpoint-list" and method == "GET" and expected == 200:
        listed = [row["id"] for row in response.json()["results"]]
        assert (endpoint.pk in listed) == (READ[actor] == 200)


def test_another_partys_key_creates_for_its_own_party_only(actor_client, target):
    endpoint, message = target
    before = snapshot(endpoint, message)
    response = actor_client("other_key").request(
        "post", PATHS["api:webhook-endpoint-list"], PAYLOADS[("api:webhook-endpoint-list", "POST")]
    )
    assert response.status_code == 201
    created = WebhookEndpoint.objects.get(pk=response.json()["id"])
    assert created.party.code == "KEN" and snapshot(endpoint, message) == before
