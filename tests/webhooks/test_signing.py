"""Signatures checked by an independent implementation of the Standard Webhooks algorithm,
secrets that are derived (never stored), and rotation with a grace period."""

import base64
import hashlib
import hmac
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from webhooks import services, signing
from webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db


def verify(secret: str, headers: dict, body: str, *, tolerance: int = 300, now: int | None = None) -> bool:
    """What a receiver does, from the Standard Webhooks specification (not from our code)."""
    assert secret.startswith("whsec_")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, timestamp = headers["webhook-id"], headers["webhook-timestamp"]
    if now is not None and abs(now - int(timestamp)) > tolerance:
        return False
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest())
    for versioned in headers["webhook-signature"].split(" "):
        version, _, signature = versioned.partition(",")
        if version == "v1" and hmac.compare_digest(signature.encode(), expected):
            return True
    return False


def test_the_secret_follows_the_standard_and_is_not_stored(chn_system, make_endpoint):
    endpoint, secret = make_endpoint(chn_system, "https://partner.example.org/hooks")
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    assert signing.endpoint_secret(endpoint) == secret  # derived again, the same
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM webhooks_webhookendpoint")
        stored = repr(cursor.fetchall())
    assert secret not in stored and secret[6:] not in stored


def test_a_signature_verifies_with_an_independent_implementation(chn_system, make_endpoint):
    endpoint, secret = make_endpoint(chn_system, "https://partner.example.org/hooks")
    body = '{"type":"project_published","data":{"id":1,"title":{"zh-hans":"数字经济"}}}'
    headers = signing.headers(endpoint, msg_id="msg_abc", timestamp=1700000000, body=body)
    assert headers["webhook-id"] == "msg_abc" and headers["webhook-timestamp"] == "1700000000"
    assert headers["webhook-signature"].startswith("v1,") and " " not in headers["webhook-signature"]
    assert verify(secret, headers, body)
    assert not verify(secret, headers, body.replace("1", "2"))  # a changed body fails
    assert not verify(secret, {**headers, "webhook-timestamp": "1700000001"}, body)
    _, other_secret = make_endpoint(chn_system, "https://partner.example.org/other")
    assert other_secret != secret and not verify(other_secret, headers, body)


def test_rotation_signs_with_both_secrets_during_the_grace_period_only(chn_system, make_endpoint):
    endpoint, old = make_endpoint(chn_system, "https://partner.example.org/hooks")
    now = timezone.now()
    new = services.endpoint_rotate_secret(endpoint=endpoint, actor=chn_system, now=now)
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert new != old and new == signing.endpoint_secret(endpoint)

    during = signing.headers(endpoint, msg_id="msg_1", timestamp=1, body="{}", now=now + timedelta(hours=23))
    assert len(during["webhook-signature"].split(" ")) == 2
    assert verify(old, during, "{}") and verify(new, during, "{}")

    after = signing.headers(endpoint, msg_id="msg_1", timestamp=1, body="{}", now=now + timedelta(hours=25))
    assert len(after["webhook-signature"].split(" ")) == 1
    assert verify(new, after, "{}") and not verify(old, after, "{}")


def test_another_partys_system_cannot_rotate(chn_system, ken_system, make_endpoint):
    from django.core.exceptions import PermissionDenied

    endpoint, secret = make_endpoint(chn_system, "https://partner.example.org/hooks")
    with pytest.raises(PermissionDenied):
        services.endpoint_rotate_secret(endpoint=endpoint, actor=ken_system)
    endpoint.refresh_from_db()
    assert signing.endpoint_secret(endpoint) == secret and not endpoint.previous_secret_salt
