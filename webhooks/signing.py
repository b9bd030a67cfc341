"""Standard Webhooks signatures (https://www.standardwebhooks.com/).

The secret of an endpoint is `whsec_` + base64 of 32 bytes; the signed content is
`{webhook-id}.{webhook-timestamp}.{body}` and the header carries `v1,<base64 HMAC-SHA256>`,
one per valid secret, separated by spaces (both secrets sign during a rotation's grace period).

Secrets are derived, not stored: HMAC(SECRET_KEY-derived key, endpoint id + salt). The database
holds only the salt, so a stolen dump cannot forge signatures; rotating SECRET_KEY rotates every
webhook secret at once (partners must then fetch new ones with rotate-secret).
"""

import base64
import hashlib
import hmac

from django.utils import timezone
from django.utils.crypto import salted_hmac

PREFIX = "whsec_"
KEY_SALT = "webhooks.WebhookEndpoint.secret"


def secret_bytes(endpoint_id: int, salt: str) -> bytes:
    return salted_hmac(KEY_SALT, f"{endpoint_id}:{salt}", algorithm="sha256").digest()


def secret_text(endpoint_id: int, salt: str) -> str:
    return PREFIX + base64.b64encode(secret_bytes(endpoint_id, salt)).decode()


def endpoint_secret(endpoint) -> str:
    """The endpoint's current secret, as the partner system stores it."""
    return secret_text(endpoint.pk, endpoint.secret_salt)


def signing_keys(endpoint, now=None) -> list[bytes]:
    """The current secret, and the previous one while its grace period lasts."""
    now = now or timezone.now()
    keys = [secret_bytes(endpoint.pk, endpoint.secret_salt)]
    if endpoint.previous_secret_salt and endpoint.previous_secret_until and endpoint.previous_secret_until > now:
        keys.append(secret_bytes(endpoint.pk, endpoint.previous_secret_salt))
    return keys


def sign(key: bytes, msg_id: str, timestamp: int, body: str) -> str:
    digest = hmac.new(key, f"{msg_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(endpoint, *, msg_id: str, timestamp: int, body: str, now=None) -> dict[str, str]:
    signatures = " ".join(sign(key, msg_id, timestamp, body) for key in signing_keys(endpoint, now))
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }
