"""Idempotency-Key on POST under /api/v1/: replays, conflicts, concurrency and retention."""

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from config.api.idempotency import idempotency_records_prune
from projects.models import Project
from registry.models import IdempotencyRecord, IdempotencyState
from registry.tasks import prune_idempotency_records_task
from tests.api.conftest import ApiClient, partner_key

LIST = "/api/v1/projects/"
BODY = {"language": "en", "title": {"en": "Idempotent pilot"}}


@pytest.fixture
def chn_key(db):
    return ApiClient(Client(), partner_key("CHN", "read_write"))


@pytest.mark.django_db
def test_a_replay_returns_the_first_answer_and_creates_nothing(chn_key):
    first = chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201
    again = chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.content == first.content and again["Location"] == first["Location"] and again["ETag"] == first["ETag"]
    assert Project.objects.count() == 1
    assert chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    assert Project.objects.count() == 2  # another key is another request


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(chn_key):
    chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k-1")
    response = chn_key.request("post", LIST, {**BODY, "title": {"en": "Other"}}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert response.status_code == 422 and response["Content-Type"] == "application/problem+json"
    assert list(Project.objects.values_list("title_en", flat=True)) == ["Idempotent pilot"]


@pytest.mark.django_db
def test_keys_are_per_caller(chn_key, officer):
    chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="shared")
    other = ApiClient(Client())
    other.client.force_login(officer)
    assert other.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="shared").status_code == 201
    assert Project.objects.count() == 2


@pytest.mark.django_db
def test_a_key_in_flight_is_409(chn_key):
    key = chn_key.headers["HTTP_AUTHORIZATION"].split()[1]
    from registry.models import PartnerKey

    caller = f"key:{PartnerKey.objects.get_from_key(key).prefix}"
    IdempotencyRecord.objects.create(caller=caller, key="busy", fingerprint="x", state=IdempotencyState.IN_FLIGHT)
    response = chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="busy")
    # The stored fingerprint differs from this body's: refused as another request (422), never run.
    assert response.status_code == 422 and not Project.objects.exists()
    record = IdempotencyRecord.objects.get(key="busy")
    from config.api.idempotency import fingerprint_of

    class FakeRequest:
        method = "POST"
        body = json.dumps(BODY).encode()

        def get_full_path(self):
            return LIST

    IdempotencyRecord.objects.filter(pk=record.pk).update(fingerprint=fingerprint_of(FakeRequest()))
    response = chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="busy")
    assert response.status_code == 409 and response["Content-Type"] == "application/problem+json"
    assert response["Retry-After"] and not Project.objects.exists()


@pytest.mark.django_db
def test_refusals_are_replayed_but_errors_of_the_server_are_not(chn_key):
    bad = chn_key.request("post", LIST, {"language": "en"}, HTTP_IDEMPOTENCY_KEY="k-bad")
    assert bad.status_code == 400
    assert chn_key.request("post", LIST, {"language": "en"}, HTTP_IDEMPOTENCY_KEY="k-bad")["Idempotent-Replayed"]
    assert IdempotencyRecord.objects.get(key="k-bad").state == IdempotencyState.DONE


@pytest.mark.django_db
def test_unauthenticated_and_non_post_requests_are_not_recorded(client):
    response = client.post(LIST, BODY, content_type="application/json", HTTP_IDEMPOTENCY_KEY="anon")
    assert response.status_code == 401 and not IdempotencyRecord.objects.exists()
    bad_key = client.post(LIST, BODY, content_type="application/json", HTTP_AUTHORIZATION="Api-Key nope.nope")
    assert bad_key.status_code == 401 and not IdempotencyRecord.objects.exists()


@pytest.mark.django_db
def test_an_invalid_key_is_400(chn_key):
    response = chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="x" * 256)
    assert response.status_code == 400 and response["Content-Type"] == "application/problem+json"
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_keys_are_kept_at_least_a_day_then_pruned(chn_key, settings):
    assert settings.API_IDEMPOTENCY_TTL >= 24 * 3600
    chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="old")
    chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="new")
    IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=49))
    IdempotencyRecord.objects.filter(key="new").update(created_at=timezone.now() - timedelta(hours=25))
    assert prune_idempotency_records_task() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    assert idempotency_records_prune(now=timezone.now() + timedelta(days=3)) == 1


@pytest.mark.django_db
def test_an_expired_key_runs_again(chn_key, settings):
    chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k")
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(seconds=settings.API_IDEMPOTENCY_TTL + 1))
    assert "Idempotent-Replayed" not in chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="k")
    assert Project.objects.count() == 2


@pytest.mark.django_db
def test_bulk_posts_are_idempotent_too(chn_key):
    items = [{"source": "s", "external_id": "1", "project": BODY}]
    first = chn_key.request("post", "/api/v1/projects/external/bulk/", {"items": items}, HTTP_IDEMPOTENCY_KEY="b")
    again = chn_key.request("post", "/api/v1/projects/external/bulk/", {"items": items}, HTTP_IDEMPOTENCY_KEY="b")
    assert first.json()["counts"]["created"] == 1 and again.content == first.content
    assert again["Idempotent-Replayed"] == "true"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_identical_posts_create_exactly_one_project(transactional_db, officer):
    auth = {"HTTP_AUTHORIZATION": f"Api-Key {partner_key('CHN', 'read_write')}"}
    body = json.dumps(BODY)
    barrier, answers = threading.Barrier(20), []

    def post():
        try:
            barrier.wait()
            response = Client().post(LIST, body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="race", **auth)
            answers.append((response.status_code, response.content))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Project.objects.filter(title_en="Idempotent pilot").count() == 1
    statuses = sorted(status for status, _content in answers)
    assert len(statuses) == 20 and set(statuses) <= {201, 409} and 201 in statuses
    assert len({content for status, content in answers if status == 201}) == 1  # replays are the first answer
