"""Shared fixtures. Tests marked `postgres` or `redis` need those services: they are
skipped on a laptop without them, and fail under CI=true where the services must exist."""

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory, party

IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(reason: str):
    if IN_CI:
        pytest.fail(f"CI=true but {reason}", pytrace=False)
    pytest.skip(reason)


def redis_available() -> bool:
    url = settings.REDIS_URL
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


@pytest.fixture(autouse=True)
def _require_services(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        _missing("PostgreSQL is not configured (set DATABASE_URL)")
    if request.node.get_closest_marker("redis") and not redis_available():
        _missing("Redis is not reachable (set REDIS_URL)")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the real catalogue and parties, as bootstrap loads them."""
    with django_db_blocker.unblock():
        call_command("bootstrap", verbosity=0)


@pytest.fixture(autouse=True)
def _catalogue_for_transactional_tests(request):
    """Transactional tests (live server, real workers) empty the tables after they run;
    pytest-django runs them last, and each one reloads the catalogue when it is gone."""
    if not {"transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("transactional_db")
    from framework.models import Framework

    if not Framework.objects.exists():
        call_command("bootstrap", verbosity=0)
    yield


@pytest.fixture(autouse=True)
def _reset_axes_cache():
    from django.core.cache import cache

    cache.clear()


def verify_two_factor(client, user):
    """Sign `user` in through a confirmed authenticator, as if the code had been entered."""
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def coordinator(db):
    return UserFactory(role="coordinator", party=None)


@pytest.fixture
def coordinator_client(client, coordinator):
    return verify_two_factor(client, coordinator)


@pytest.fixture
def officer(db):
    return UserFactory(role="officer", party=party("CHN"), username="officer_chn")


@pytest.fixture
def focal_point(db):
    return UserFactory(role="focal_point", party=party("CHN"), username="focal_chn")


@pytest.fixture
def other_officer(db):
    return UserFactory(role="officer", party=party("KEN"), username="officer_ken")


@pytest.fixture
def other_focal_point(db):
    return UserFactory(role="focal_point", party=party("KEN"), username="focal_ken")
