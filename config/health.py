"""Liveness (`/healthz`) and readiness (`/readyz`) probes for load balancers and compose."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str | None:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"database: {exc.__class__.__name__}: {exc}"
    return None


def _check_broker() -> str | None:
    url = settings.CELERY_BROKER_URL
    if not url:
        return None
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except Exception as exc:
        return f"broker: {exc.__class__.__name__}: {exc}"
    return None


@never_cache
@require_GET
def readyz(request):
    problems = [problem for problem in (_check_database(), _check_broker()) if problem]
    checks = {"database": "ok", "broker": "ok" if settings.CELERY_BROKER_URL else "not configured"}
    for problem in problems:
        checks[problem.split(":", 1)[0]] = "failing"
    if problems:
        return JsonResponse({"status": "unavailable", "checks": checks, "reasons": problems}, status=503)
    return JsonResponse({"status": "ok", "checks": checks})
