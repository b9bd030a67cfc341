"""Settings shared by every environment; each value can be set from the environment.

The embedded default (no variables at all) runs on SQLite with Celery tasks executed
in-process, so a fresh clone needs no services. Production reads everything it needs
from the environment and has no default secret (see production.py).
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = env_str("SECRET_KEY", "insecure-local-development-key-change-me")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "config.apps.LibraryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "rules.apps.AutodiscoverRulesConfig",
    "simple_history",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "framework",
    "registry",
    "projects",
    "notifications",
    "feed",
    "webhooks",
]
# Changes (and tombstones) of the sync feed are kept this long; older cursors get 410 Gone.
FEED_TOMBSTONE_RETENTION = timedelta(days=env_int("FEED_TOMBSTONE_RETENTION_DAYS", 30))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "registry.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.api.limits.ApiBodyLimitMiddleware",  # 413 before any body is read
    "config.api.idempotency.IdempotencyMiddleware",  # after authentication: keys are per caller
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "notifications.context_processors.unread_count",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security -----------------------------------------------------------
AUTH_USER_MODEL = "registry.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must come first: refuses locked-out logins
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Two-factor sign-in (TOTP + recovery codes) for coordinators and focal points.
# Production always enforces it (see production.py and registry.checks).
REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", True)
OTP_TOTP_ISSUER = "Open Project Library"

# Login lockout (django-axes): per (username, IP) and per IP, with a cool-off that grows
# with each lockout of the same IP in the last day (registry.security.progressive_cool_off).
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_COOLOFF_TIME = "registry.security.progressive_cool_off"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_IPWARE_PROXY_COUNT = env_int("PROXY_COUNT", 0)
AXES_VERBOSE = False

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content Security Policy (django-csp 4): no inline script, nothing from other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Internationalisation ------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "opl_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and media files ----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Cache, broker, tasks ------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
# Without a broker (the embedded default) tasks run in-process, after the commit that queued them.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# JSON only: nothing a worker unpickles.
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# The outbox (and webhooks' messages) record what was sent; no result backend is read.
CELERY_TASK_IGNORE_RESULT = True
# At least once: a message is acknowledged after its task ran, put back when the process running
# it dies, and each worker process holds one message at a time. Tasks are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
# A warm shutdown (SIGTERM) finishes running tasks; a cold one gets 10 s to put messages back.
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 10.0
# Queues: e-mail (notifications) and webhooks apart, so a slow receiver never delays e-mail.
# Workers: `celery -A config worker -Q email,default` and `celery -A config worker -Q webhooks`.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "notifications.*": {"queue": "email"},
    "webhooks.*": {"queue": "webhooks"},
}
# Redis redelivers a message not acknowledged within the visibility timeout, including one a
# worker holds until its retry countdown is due: the timeout must exceed the longest task plus
# the longest countdown, or such a task runs again, in a loop.
#   longest task       CELERY_TASK_TIME_LIMIT                         120 s (no task sets more)
#   longest countdown  notifications.tasks BACKOFF_MAX (retry_backoff_max)  3600 s
#                      (webhooks retry from the database, by next_attempt_at: no countdown)
#   margin                                                             180 s
#   → 120 + 3600 + 180 = 3900 s. A message lost with a killed worker returns after this at the
#   latest; the outbox sweeper queues its event again much sooner (NOTIFICATIONS_SWEEP_GRACE).
# Celery's Redis caveats require the same value in all three settings below.
_longest_retry_countdown = 3600  # seconds, as above
CELERY_VISIBILITY_TIMEOUT = CELERY_TASK_TIME_LIMIT + _longest_retry_countdown + 180
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # Without a socket timeout a publish to a Redis that vanished without closing the
    # connection waits forever (kombu's Redis transport notes).
    "socket_timeout": 10,
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
# The worker reconnects to the broker forever, also at start-up, trying every second at most
# (config.celery.PromptReconnectConsumer: Celery's own backoff waits up to 30 s between tries).
CELERY_BROKER_CONNECTION_RETRY = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_WORKER_CONSUMER = "config.celery:PromptReconnectConsumer"
# Publishing gives up quickly instead (0.2 s when Redis refuses connections; the socket timeouts
# above when it does not answer): the change is committed and its outbox row is left marked not
# queued, so the next sweep queues it; a request must not hang on a missing broker.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    # Queues again the outbox events whose queueing failed, and those queued more than
    # NOTIFICATIONS_SWEEP_GRACE seconds ago and still undelivered. Cheap (delivered_at is indexed
    # and few rows are undelivered), so often; a run not started within its interval is dropped.
    "sweep-outbox": {
        "task": "notifications.tasks.sweep_outbox_task",
        "schedule": 15.0,
        "options": {"expires": 15.0},
    },
    # Reminders and digests are idempotent (once per due date, per week, per held delivery), so
    # plain intervals do: the hour of day they run at does not matter.
    "notification-reminders": {"task": "notifications.tasks.send_reminders_task", "schedule": 24 * 3600.0},
    "notification-daily-digests": {"task": "notifications.tasks.send_daily_digests_task", "schedule": 24 * 3600.0},
    # Records the coordinators' weekly digest on its first run of each ISO week, nothing after.
    "notification-weekly-digest": {"task": "notifications.tasks.record_weekly_digest_task", "schedule": 6 * 3600.0},
    # Webhook messages whose next attempt (jittered exponential backoff) has come.
    "send-due-webhooks": {"task": "webhooks.tasks.send_due_webhooks_task", "schedule": 30.0},
    # Sync feed: tombstones older than FEED_TOMBSTONE_RETENTION, idempotency keys past 24 hours.
    "feed-prune": {"task": "feed.tasks.feed_prune_task", "schedule": 3600.0},
    # Positions committed changes when no partner reads, so that a reader's first page stays short.
    "feed-position": {"task": "feed.tasks.feed_position_task", "schedule": 10.0, "options": {"expires": 10.0}},
    "prune-idempotency-keys": {"task": "registry.tasks.prune_idempotency_records_task", "schedule": 3600.0},
    # Dashboard aggregates: the figures of the projects changed since the last run (projects.aggregates).
    "coverage-refresh": {"task": "projects.tasks.coverage_refresh_task", "schedule": 20.0},
}
NOTIFICATIONS_SWEEP_GRACE = env_int("NOTIFICATIONS_SWEEP_GRACE", 120)
# The address in links sent by e-mail (no request to build them from in a worker).
SITE_URL = env_str("SITE_URL", "http://localhost:8000")
# Webhooks (webhooks/): 15 s per attempt; private, loopback and link-local receivers are
# refused unless this is on (tests only: their receiver listens on 127.0.0.1).
WEBHOOKS_TIMEOUT = env_int("WEBHOOKS_TIMEOUT", 15)
WEBHOOKS_ALLOW_PRIVATE_URLS = False

# --- E-mail --------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
# Where django.core.mail.backends.filebased.EmailBackend writes (one file per message).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Open Project Library <no-reply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "registry.api.authentication.PartnerKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["registry.api.permissions.KeyScopeAllowsMethod"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "config.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.problems.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": ["config.api.throttling.CallerRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {},  # CallerRateThrottle reads API_THROTTLE_RATES at request time
}
# Requests per API key, per signed-in user, per client address (anonymous).
API_THROTTLE_RATES = {
    "key": env_str("API_KEY_RATE", "1200/minute"),
    "user": env_str("API_USER_RATE", "1200/minute"),
    "anon": env_str("API_ANON_RATE", "600/minute"),
}
# Largest request body under /api/ (413 above it); Django's own limit follows it.
API_MAX_BODY_BYTES = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES
API_BULK_MAX_ITEMS = 500
# Idempotency-Key answers are kept this long (at least 24 hours); an in-flight key is
# taken to be abandoned after API_IDEMPOTENCY_LOCK_SECONDS.
API_IDEMPOTENCY_TTL = max(env_int("API_IDEMPOTENCY_TTL", 48 * 3600), 24 * 3600)
API_IDEMPOTENCY_LOCK_SECONDS = env_int("API_IDEMPOTENCY_LOCK_SECONDS", 300)
SPECTACULAR_SETTINGS = {
    "TITLE": "Open Project Library API",
    "DESCRIPTION": (
        "Read and write access to the open project library of the Digital Economy and Green "
        "Development International Economic and Trade Cooperation Framework Initiative. "
        "Errors are RFC 9457 problem details (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Stable enum names: several serializers have a `status` or `role` field with different choices.
    "ENUM_NAME_OVERRIDES": {
        "ProjectStatusEnum": "projects.choices.ProjectStatus",
        "ParticipationStatusEnum": "projects.choices.ParticipationStatus",
        "ParticipationRoleEnum": "projects.choices.ParticipationRole",
        "JoinableRoleEnum": "projects.api.nested_serializers.JOINABLE_CHOICES",
        "CooperationModeEnum": "projects.choices.CooperationMode",
        "ProjectTypeEnum": "projects.choices.ProjectType",
        "BeneficiaryGroupEnum": "projects.choices.BeneficiaryGroup",
        "LanguageEnum": "projects.choices.Language",
        "ReportingHealthEnum": "projects.models.Health",
        "TransitionActionEnum": "projects.api.serializers.TRANSITION_CHOICES",
        "DecisionEnum": "projects.api.nested_serializers.DECISION_CHOICES",
        "PartyStatusEnum": "registry.models.PartyStatus",
        "PartyKindEnum": "registry.models.PartyKind",
        "WebhookMessageStatusEnum": "webhooks.models.MessageStatus",
    },
}

# --- Logging -------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "opl.security": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "axes": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

PROJECT_NAME = _("Open Project Library")

# --- IATI export ---------------------------------------------------------------------
IATI_REPORTING_ORG_REF = env_str("IATI_REPORTING_ORG_REF", "XI-OPL")
IATI_REPORTING_ORG_TYPE = env_str("IATI_REPORTING_ORG_TYPE", "40")
IATI_REPORTING_ORG_NAME = env_str("IATI_REPORTING_ORG_NAME", "Open Project Library secretariat")
