from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# Paths an unverified coordinator or focal point may still reach: the two-factor pages
# themselves, signing out, the language switch, static files and the health probes.
OPEN_PATH_PREFIXES = ("/account/two-factor/", "/account/logout/", "/i18n/", "/static/", "/healthz", "/readyz")


class TwoFactorRequiredMiddleware:
    """Coordinators and focal points must finish two-factor sign-in before anything else.

    Runs after django-otp's OTPMiddleware, which sets `request.user.is_verified()`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            settings.REQUIRE_TWO_FACTOR
            and user.is_authenticated
            and user.needs_two_factor
            and not user.is_verified()
            and not request.path.startswith(OPEN_PATH_PREFIXES)
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Two-factor sign-in required",
                        "status": 403,
                        "detail": "Finish two-factor sign-in before using the API with this session.",
                    },
                    status=403,
                    content_type="application/problem+json",
                )
            return redirect(f"{reverse('two_factor_verify')}?next={request.get_full_path()}")
        return self.get_response(request)
