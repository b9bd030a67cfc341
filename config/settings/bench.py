"""Benchmark settings (bench/api_list.py): production-like (DEBUG off, persistent database
connections, the real middleware), on the benchmark's PostgreSQL, plus the floor endpoint of
`bench/urls.py`. Never used to serve anything but a benchmark."""

from .base import *  # noqa: F403
from .base import REST_FRAMEWORK

SECRET_KEY = "bench-secret-key-not-for-production"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "bench.urls"
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Measure the endpoint, not the throttle (the benchmark's caller is authenticated anyway).
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
