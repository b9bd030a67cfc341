"""Settings of the worker processes the real-thing tests and bench/notifications_faults.py start:
the test settings, with e-mail written where the test reads it and, for fault injection, a short
visibility timeout (WORKER_VISIBILITY_TIMEOUT) so that messages of a killed worker come back in
seconds. The production value and its arithmetic are in config/settings/base.py."""

import os

from config.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.notifications.real.mailbox.MailboxBackend"
WEBHOOKS_ALLOW_PRIVATE_URLS = True  # the test's receiver listens on 127.0.0.1

_visibility = int(os.environ.get("WORKER_VISIBILITY_TIMEOUT", "0"))
if _visibility:
    CELERY_VISIBILITY_TIMEOUT = _visibility
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
        "visibility_timeout": _visibility,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility}
