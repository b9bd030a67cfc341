"""The worker's consumer retries a lost broker connection promptly, forever, and survives closing it
and late acknowledgements of its messages."""

import logging

import kombu
import kombu.transport.redis
import pytest
from django.conf import settings
from kombu.asynchronous import Hub
from kombu.message import Message
from vine import promise

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


class FakeRedis:
    """redis-py's client as kombu's Redis channel uses it: pinged when the channel opens; an ack
    that gets as far as Redis fails loudly."""

    def __init__(self, **kwargs):
        self.connection = None

    def ping(self):
        return True

    def pipeline(self):
        raise RuntimeError("the ack reached Redis")


@pytest.fixture
def broker(monkeypatch):
    """Opens kombu Redis connections and channels with FakeRedis, and the event loop that runs acks."""
    monkeypatch.setattr(kombu.transport.redis.Channel, "_get_client", lambda channel: FakeRedis)
    opened, hub = [], Hub()

    def connect() -> kombu.Connection:
        opened.append(kombu.Connection("redis://127.0.0.1:6379/0"))
        return opened[-1]

    yield connect, hub
    hub.close()
    for connection in opened:
        connection.release()


def ack_late(made: PromptReconnectConsumer, message: Message, hub: Hub) -> None:
    """As a task with acks_late ends: Celery's Request.acknowledge calls the promise the consumer's
    task handler made, which schedules message.ack_log_error; the event loop runs it on its next
    turn (an error there escapes the loop and stops the worker)."""
    ack = promise(made.call_soon_ack, (message.ack_log_error,))
    ack(logging.getLogger("celery.worker.request"), made.connection.connection_errors)
    next(hub.create_loop(sleep=lambda seconds: None))


def test_a_late_ack_on_the_lost_connection_cannot_stop_the_worker(broker, caplog):
    connect, hub = broker
    lost = connect()
    message = Message(body=b"{}", channel=lost.default_channel, delivery_tag="tag-1")
    lost.collect()  # what Celery does to the lost connection before it reconnects
    made = consumer()
    made.hub, made.connection = hub, connect()  # reconnected

    with caplog.at_level(logging.WARNING, logger="config.celery"):
        ack_late(made, message, hub)  # kombu: AttributeError: 'NoneType' object has no attribute 'client'

    assert "tag-1" in caplog.text and "lost broker connection" in caplog.text
    assert not message.acknowledged  # the message comes back after the visibility timeout


def test_a_failing_ack_on_the_current_connection_still_stops_the_loop(broker):
    connect, hub = broker
    made = consumer()
    made.hub, made.connection = hub, connect()
    message = Message(body=b"{}", channel=made.connection.default_channel, delivery_tag="tag-2")

    with pytest.raises(RuntimeError, match="the ack reached Redis"):
        ack_late(made, message, hub)
