"""The real services CI starts. Skipped on a laptop without them; failing under CI=true."""

import pytest
from django.db import IntegrityError, connection, transaction

from registry.models import User

pytestmark = pytest.mark.django_db


@pytest.mark.postgres
def test_ci_runs_on_postgresql_and_it_enforces_the_role_constraint():
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="orphan", role="officer", party=None)


@pytest.mark.redis
def test_readyz_sees_the_real_broker(client, settings):
    settings.CELERY_BROKER_URL = settings.REDIS_URL
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "broker": "ok"}
