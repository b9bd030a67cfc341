"""A NUL character in any filter of a list or aggregate is a clear refusal (or ignored), never a
500: PostgreSQL refuses NUL in text, so it must not reach a query (schemathesis found one)."""

import pytest

pytestmark = pytest.mark.django_db

NAMES = ["framework", "party", "q", "pillar", "article", "article_id", "sdg", "status", "cooperation_mode", "health"]
URLS = ["/api/v1/projects/", "/projects/", "/api/v1/coverage/", "/api/v1/iati/activities.xml"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("url", URLS)
def test_a_nul_in_a_filter_is_never_a_server_error(client, url, name):
    response = client.get(url, {name: "KEN\x00"})
    assert response.status_code in (200, 400), (url, name, response.status_code)


@pytest.mark.parametrize("url", ["/api/v1/projects/", "/api/v1/coverage/"])
def test_a_nul_in_a_code_is_an_invalid_choice(client, url):
    response = client.get(url, {"framework": "DEGD-2023\x00"})
    assert response.status_code == 400 and "framework" in response.json()["errors"]
