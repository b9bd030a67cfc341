"""The worker's consumer retries a lost broker connection promptly, forever, and survives closing it."""

from django.conf import settings

from config.celery import RECONNECT_INTERVALS, PromptReconnectConsumer, app


class Connection:
    def __init__(self, close_error=None):
        self.calls, self.close_error, self.closed = [], close_error, False

    def ensure_connection(self, *args, **kwargs):
        self.calls.append((args, kwargs))
        return self

    def close(self):
        self.closed = True
        if self.close_error:
            raise self.close_error


def consumer() -> PromptReconnectConsumer:
    made = object.__new__(PromptReconnectConsumer)  # the parts ensure_connected uses, without a worker
    made.app, made.first_connection_attempt, made.broker_connection_retry_attempt = app, False, 0
    return made


def test_the_worker_uses_the_prompt_consumer():
    assert settings.CELERY_WORKER_CONSUMER == "config.celery:PromptReconnectConsumer"
    assert settings.CELERY_BROKER_CONNECTION_MAX_RETRIES is None  # forever


def test_reconnection_is_tried_with_short_intervals_and_no_limit():
    connection = Connection()
    assert consumer().ensure_connected(connection) is connection
    ((args, kwargs),) = connection.calls
    assert args[1] is None  # max_retries: forever
    assert {key: kwargs[key] for key in RECONNECT_INTERVALS} == RECONNECT_INTERVALS
    assert RECONNECT_INTERVALS["interval_max"] <= 1


def test_closing_the_lost_connection_cannot_stop_the_worker(monkeypatch):
    made = consumer()
    made.connection = Connection(close_error=AttributeError("'NoneType' object has no attribute 'pipeline'"))
    seen = []
    monkeypatch.setattr(
        "celery.worker.consumer.Consumer.on_connection_error_after_connected",
        lambda self, exc: (seen.append(exc), self.connection.close()),
    )
    made.on_connection_error_after_connected(ConnectionError("Redis went away"))
    assert made.connection.closed and len(seen) == 1
