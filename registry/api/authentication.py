"""API key authentication for partner systems: `Authorization: Api-Key <prefix>.<secret>`.

A valid key authenticates as its partner-system account (so the party comes from the key);
an unknown, revoked or expired key is refused with 401 rather than treated as anonymous."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from registry.models import PartnerKey

KEYWORD = "Api-Key"


class PartnerKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header.startswith(f"{KEYWORD} "):
            return None
        key = header[len(KEYWORD) + 1 :].strip()
        try:
            api_key = PartnerKey.objects.get_from_key(key)
        except PartnerKey.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Unknown API key.")) from None
        if api_key.revoked or api_key.has_expired:
            raise exceptions.AuthenticationFailed(_("This API key is revoked or expired."))
        account = api_key.account
        if not account.is_active:
            raise exceptions.AuthenticationFailed(_("The partner system account of this key is disabled."))
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            PartnerKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        return account, api_key

    def authenticate_header(self, request):
        return KEYWORD


class PartnerKeyScheme(OpenApiAuthenticationExtension):
    target_class = "registry.api.authentication.PartnerKeyAuthentication"
    name = "PartnerKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <key>`: a partner system's key, created by a coordinator in the admin.",
        }
