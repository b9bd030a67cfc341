"""A real Redis (on a port of our own, so it may be stopped) and real worker processes,
connected to the test database pytest-django created."""

import pytest
from django.conf import settings

from tests.factories import UserFactory, party
from tests.webhooks.conftest import Receiver

from .processes import RedisServer, Worker, point_app_at


def _database_url() -> str:
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(autouse=True)
def _deliver_in_process():
    """Overrides the notifications conftest: here tasks go through the broker to a worker."""
    yield


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This process publishes to our Redis, not eagerly."""
    from config.celery import app

    before = app.conf.broker_url, app.conf.task_always_eager
    point_app_at(redis_server.url, eager=False)
    yield redis_server
    point_app_at(*before[:1], eager=before[1])


@pytest.fixture
def mailbox(tmp_path):
    return tmp_path / "mailbox.jsonl"


@pytest.fixture
def start_worker(transactional_db, broker, mailbox):
    """Start workers; every one is stopped before the database is emptied."""
    workers = []

    def start(*, concurrency: int = 2, env=None, wait: bool = True) -> Worker:
        worker = Worker(
            broker_url=broker.url, database_url=_database_url(), mailbox=mailbox, concurrency=concurrency, env=env
        )
        workers.append(worker)
        return worker.start(wait=wait)

    yield start
    for worker in workers:
        worker.kill()  # nothing is left running that matters, and a warm shutdown takes seconds


@pytest.fixture
def receiver():
    """A partner system's HTTP receiver on 127.0.0.1 (the workers allow private URLs)."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def chn_system(transactional_db):
    """The partner-system account of the lead party of the tests' projects."""
    return UserFactory(role="partner_system", party=party("CHN"), username="system_chn")
