import functools
import logging
import os

from celery import Celery
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("opl")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

logger = logging.getLogger(__name__)

# Seconds between the worker's attempts to reach a broker that went away: 0, 0.5, 1, 1, 1 …
# (Celery's are 2, 4, 6 … up to 30, and no setting changes them). Still forever.
RECONNECT_INTERVALS = {"interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class PromptReconnectConsumer(Consumer):
    """The worker's consumer (CELERY_WORKER_CONSUMER), with two changes after a lost broker
    connection, e.g. Redis restarted:

    - it reconnects within about a second of the broker's return, not up to 30 s later;
    - closing the broken connection cannot stop the worker. With tasks in flight, kombu's Redis
      channel tries to give their messages back while it closes, finds its client gone and raises
      AttributeError, which Celery lets through: the worker shut down instead of reconnecting.
      Those messages come back anyway, after the visibility timeout, as for a killed worker.
    """

    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(conn.ensure_connection, **RECONNECT_INTERVALS)
        return super().ensure_connected(conn)

    def on_connection_error_after_connected(self, exc):
        if self.connection is not None:
            self.connection.close = functools.partial(_close_quietly, self.connection.close)
        super().on_connection_error_after_connected(exc)


def _close_quietly(close) -> None:
    try:
        close()
    except Exception as error:  # a broken connection being dropped: nothing left that matters
        logger.warning("Ignored %r while closing the lost broker connection", error)
        logger.debug("Closing the lost broker connection", exc_info=True)
