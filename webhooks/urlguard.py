"""Refuse webhook URLs that reach the library's own network (SSRF).

Outside tests (`WEBHOOKS_ALLOW_PRIVATE_URLS` False) a URL must be https and every address its
host resolves to must be public: loopback, private, link-local (cloud metadata), shared,
multicast and reserved ranges are refused. The check runs when an endpoint is saved and again
before every send, since DNS can change in between.

Residual risk: requests resolves the name once more when it connects, so a host that answers
DNS with a public address and then a private one (DNS rebinding within seconds) is not caught.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def private_urls_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_URLS", False))


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos})


def check_url(url: str) -> None:
    """Raise ValidationError when `url` may not receive webhooks."""
    parts = urlsplit(url)
    allowed = private_urls_allowed()
    schemes = ("https", "http") if allowed else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        raise ValidationError(_("Enter an https:// address."), code="scheme")
    if parts.username or parts.password:
        raise ValidationError(_("The address may not contain a user name or password."), code="credentials")
    if allowed:
        return
    try:
        port = parts.port or 443
        addresses = resolve(parts.hostname, port)
    except (OSError, ValueError, UnicodeError):
        raise ValidationError(_("The host name of this address could not be resolved."), code="unresolved") from None
    if not addresses or not all(_is_public(address) for address in addresses):
        raise ValidationError(
            _("This address leads to a private, loopback or link-local network, which webhooks may not reach."),
            code="private",
        )
