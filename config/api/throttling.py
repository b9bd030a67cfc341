"""Throttling per caller: per API key, else per signed-in user, else per client address.

Rates come from `settings.API_THROTTLE_RATES` (`{"key": …, "user": …, "anon": …}`), read at
request time. A refusal is a 429 problem+json with Retry-After (see config.api.problems).
The counts live in the cache (Redis in production): while it cannot be reached (a restart), the
request is let through and a warning logged, rather than every API call failing.
"""

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from registry.models import PartnerKey

logger = logging.getLogger(__name__)


class CallerRateThrottle(SimpleRateThrottle):
    scope = "anon"
    cache_format = "throttle_%(scope)s_%(ident)s"

    def get_rate(self):
        return settings.API_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        self.scope = self._scope(request)
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception:  # the cache is unreachable: counting resumes when it is back
            logger.warning("API throttling skipped: the cache is unavailable", exc_info=True)
            return True

    @staticmethod
    def _scope(request) -> str:
        if isinstance(request.auth, PartnerKey):
            return "key"
        return "user" if request.user and request.user.is_authenticated else "anon"

    def get_cache_key(self, request, view):
        if isinstance(request.auth, PartnerKey):
            ident = request.auth.prefix
        elif request.user and request.user.is_authenticated:
            ident = request.user.pk
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
