"""Outside tests, webhooks never reach private, loopback or link-local addresses: refused when
the endpoint is saved and again when a message is sent (names resolved each time)."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from notifications.models import EventKind, OutboxEvent
from webhooks import delivery, services, urlguard
from webhooks.models import WebhookAttempt, WebhookEndpoint, WebhookMessage

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture
def strict(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False


@pytest.fixture
def dns(monkeypatch):
    """Names resolve from this table; anything else does not resolve."""
    table = {"partner.example.org": [PUBLIC], "sneaky.example.org": [PUBLIC, "10.1.2.3"]}

    def getaddrinfo(host, port, *args, **kwargs):
        if host not in table:
            if host.replace(".", "").isdigit() or ":" in host:
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                return [(family, socket.SOCK_STREAM, 6, "", (host, port))]
            raise socket.gaierror("unknown host")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in table[host]]

    monkeypatch.setattr(urlguard.socket, "getaddrinfo", getaddrinfo)
    return table


REFUSED = [
    "https://127.0.0.1/hooks",
    "https://localhost.localdomain.invalid/hooks",  # does not resolve
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://10.0.0.5/hooks",
    "https://172.16.3.4/hooks",
    "https://192.168.1.10/hooks",
    "https://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
    "https://[fe80::1]/hooks",
    "https://100.64.0.1/hooks",  # shared address space
    "https://0.0.0.0/hooks",
    "https://sneaky.example.org/hooks",  # one of its addresses is private
    "http://partner.example.org/hooks",  # not https
    "https://user:pass@partner.example.org/hooks",
    "ftp://partner.example.org/hooks",
]


@pytest.mark.parametrize("url", REFUSED)
def test_private_and_loopback_urls_are_refused(strict, dns, chn_system, url):
    with pytest.raises(ValidationError) as refused:
        services.endpoint_create(actor=chn_system, url=url, event_types=["project_published"])
    assert "url" in refused.value.message_dict
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_url_is_accepted(strict, dns, chn_system):
    endpoint, _ = services.endpoint_create(
        actor=chn_system, url="https://partner.example.org/hooks", event_types=["project_published"]
    )
    assert endpoint.url == "https://partner.example.org/hooks"


def test_changing_the_url_to_a_private_one_is_refused(strict, dns, chn_system):
    endpoint, _ = services.endpoint_create(
        actor=chn_system, url="https://partner.example.org/hooks", event_types=["project_published"]
    )
    with pytest.raises(ValidationError):
        services.endpoint_update(endpoint=endpoint, actor=chn_system, fields={"url": "https://169.254.169.254/"})
    endpoint.refresh_from_db()
    assert endpoint.url == "https://partner.example.org/hooks"


def test_the_address_is_checked_again_at_send_time(settings, dns, draft, chn_system, receiver):
    """The name resolved to a public address when saved and to a private one now: nothing is sent."""
    endpoint, _ = services.endpoint_create(actor=chn_system, url=receiver.url, event_types=["review_comment"])
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    event = OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft)
    message = WebhookMessage.objects.create(endpoint=endpoint, event=event, body="{}", next_attempt_at=timezone.now())

    assert delivery.message_send(message_id=message.pk) == "failed"
    assert not receiver.requests
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None and attempt.error.startswith("refused:")


def test_dns_rebinding_at_send_time_is_refused(settings, dns, draft, chn_system, receiver):
    settings.WEBHOOKS_ALLOW_PRIVATE_URLS = False
    endpoint, _ = services.endpoint_create(
        actor=chn_system, url="https://partner.example.org/hooks", event_types=["review_comment"]
    )
    dns["partner.example.org"] = ["127.0.0.1"]  # the name now points home
    event = OutboxEvent.objects.create(kind=EventKind.REVIEW_COMMENT, project=draft)
    message = WebhookMessage.objects.create(endpoint=endpoint, event=event, body="{}", next_attempt_at=timezone.now())
    assert delivery.message_send(message_id=message.pk) == "failed"
    assert "refused:" in WebhookAttempt.objects.get().error
