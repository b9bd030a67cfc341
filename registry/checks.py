"""System checks that keep the security baseline from being switched off by mistake."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def two_factor_enforced(app_configs, **kwargs):
    if not settings.REQUIRE_TWO_FACTOR:
        return [
            Error(
                "Two-factor sign-in is not enforced for coordinators and focal points.",
                hint="Set REQUIRE_TWO_FACTOR=true (production.py always does).",
                id="registry.E001",
            )
        ]
    return []
