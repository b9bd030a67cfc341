"""Every API error is RFC 9457 problem+json with its status; size limits; throttling per key."""

import pytest
from django.test import Client

from projects.models import Project
from tests.api.conftest import ApiClient, partner_key

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
LIST = "/api/v1/projects/"
BODY = {"language": "en", "title": {"en": "Limits"}}


@pytest.fixture
def chn_key(db):
    return ApiClient(Client(), partner_key("CHN", "read_write"))


def assert_problem(response, status):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    return body


def test_400_has_field_errors(chn_key):
    body = assert_problem(chn_key.request("post", LIST, {"language": "xx"}), 400)
    assert {"language", "title"} <= set(body["errors"])


def test_401_for_a_bad_key_and_for_no_credentials():
    assert_problem(Client().post(LIST, BODY, content_type="application/json"), 401)
    response = Client().get(LIST, HTTP_AUTHORIZATION="Api-Key wrong.secret")
    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "Api-Key"


def test_403_for_a_read_only_key():
    client = ApiClient(Client(), partner_key("CHN", "read"))
    assert_problem(client.request("post", LIST, BODY), 403)
    assert not Project.objects.exists()


def test_404_for_an_unknown_project_and_an_unknown_address(chn_key):
    assert_problem(chn_key.get(f"{LIST}999999/"), 404)
    assert_problem(chn_key.get("/api/v1/no-such-thing/"), 404)


def test_409_for_an_external_id_of_another_party(chn_key):
    url = "/api/v1/projects/external/src/one/"
    chn_key.request("put", url, BODY)
    other = ApiClient(Client(), partner_key("KEN", "read_write"))
    assert_problem(other.request("put", url, BODY), 409)


def test_412_for_a_stale_if_match(chn_key, draft):
    response = chn_key.request("patch", f"{LIST}{draft.pk}/", {"title": {"en": "x"}}, HTTP_IF_MATCH='"stale"')
    assert_problem(response, 412)


def test_413_for_a_body_over_the_limit_before_it_is_read(chn_key, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = assert_problem(chn_key.request("post", LIST, {**BODY, "places": "x" * 2000}), 413)
    assert "1000" in body["detail"]
    assert not Project.objects.exists()
    assert chn_key.request("post", LIST, BODY).status_code == 201  # under the limit


def test_413_applies_to_the_bulk_endpoint(chn_key, settings):
    settings.API_MAX_BODY_BYTES = 1000
    items = [{"source": "s", "external_id": str(n), "project": BODY} for n in range(50)]
    assert_problem(chn_key.request("post", "/api/v1/projects/external/bulk/", {"items": items}), 413)
    assert not Project.objects.exists()


def test_415_for_a_body_that_is_not_json(chn_key):
    response = chn_key.client.post(
        LIST, "language=en", content_type="application/x-www-form-urlencoded", **chn_key.headers
    )
    assert_problem(response, 415)
    response = chn_key.client.put(
        "/api/v1/projects/external/s/1/", "<project/>", content_type="application/xml", **chn_key.headers
    )
    assert_problem(response, 415)
    assert not Project.objects.exists()


def test_429_per_key_with_retry_after(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "key": "3/minute"}
    first, second = (ApiClient(Client(), partner_key(code, "read")) for code in ("CHN", "KEN"))
    for _ in range(3):
        assert first.get(LIST).status_code == 200
    body = assert_problem(first.get(LIST), 429)
    assert body["detail"]
    response = first.get(LIST)
    assert int(response["Retry-After"]) > 0
    assert second.get(LIST).status_code == 200  # another key has its own budget


def test_429_for_anonymous_callers_per_address(settings):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "2/minute"}
    client = Client()
    assert [client.get(LIST).status_code for _ in range(2)] == [200, 200]
    assert_problem(client.get(LIST), 429)
    assert Client(REMOTE_ADDR="10.0.0.9").get(LIST).status_code == 200


def test_a_cache_that_is_down_lets_requests_through_and_counting_resumes(settings, monkeypatch):
    from django.core.cache import cache

    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "anon": "1/minute"}
    client = Client()
    assert client.get(LIST).status_code == 200

    def down(*args, **kwargs):
        raise ConnectionError("Redis is restarting")

    with monkeypatch.context() as patched:
        patched.setattr(cache, "get", down)
        assert client.get(LIST).status_code == 200  # not a 500 while the counts cannot be read
    assert_problem(client.get(LIST), 429)  # back: the count kept before the outage still holds


def test_throttled_writes_change_nothing(settings, chn_key):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, "key": "1/minute"}
    assert chn_key.request("post", LIST, BODY).status_code == 201
    assert_problem(chn_key.request("post", LIST, BODY, HTTP_IDEMPOTENCY_KEY="t"), 429)
    assert Project.objects.count() == 1
