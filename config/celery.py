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
      Those messages come back anyway, after the visibility timeout, as for a killed worker;
    - nor can a late acknowledgement on that closed connection. A task that finishes around the
      loss has its ack (or reject) run by the event loop after the reconnect, on the message's old
      channel: kombu's Redis channel rebuilds its client from a connection that is gone and raises
      AttributeError, which escapes the event loop ("Unrecoverable error"). It is logged and
      ignored; the message comes back after the visibility timeout and runs again (delivery is
      idempotent). A failure on the current connection's open channel still propagates.
    """

    def ensure_connected(self, conn):
        conn.ensure_connection = functools.partial(conn.ensure_connection, **RECONNECT_INTERVALS)
        return super().ensure_connected(conn)

    def call_soon_ack(self, p, *args, **kwargs):
        # Celery schedules every ack and reject of a task message through here, with
        # p = message.ack_log_error or message.reject_log_error.
        return super().call_soon_ack(self._settle, p, *args, **kwargs)

    def _settle(self, settle, *args, **kwargs):
        try:
            return settle(*args, **kwargs)
        except Exception as error:
            message = getattr(settle, "__self__", None)
            if message is None or not self._belongs_to_lost_connection(message.channel):
                raise
            logger.warning(
                "Ignored %r settling message %s of the lost broker connection; "
                "it comes back after the visibility timeout",
                error,
                message.delivery_tag,
            )
            logger.debug("Settling a message of the lost broker connection", exc_info=True)

    def _belongs_to_lost_connection(self, channel) -> bool:
        """Whether channel is closed or not one of the consumer's current connection. On kombu's
        virtual transports (Redis) channel.connection is the Transport, whose client is the
        kombu Connection; closing clears one or the other."""
        if channel is None:
            return False
        transport = getattr(channel, "connection", None)
        return bool(getattr(channel, "closed", False)) or getattr(transport, "client", None) is not self.connection

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
