import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_framework_list(client):
    response = client.get("/api/v1/frameworks/")
    assert response.status_code == 200
    frameworks = response.json()
    assert frameworks[0]["code"] == "DEGD-2023"
    assert {f["code"] for f in frameworks} == {"DEGD-2023", "BRDE-2017", "BRDE-BJ-2023"}
    assert frameworks[0]["title"]["zh-hans"] == "数字经济和绿色发展国际经贸合作框架倡议"
    assert frameworks[0]["title"]["en"].startswith("Digital Economy and Green Development")


def test_framework_detail_nests_parts_pillars_articles_in_few_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/frameworks/DEGD-2023/")
    assert response.status_code == 200
    assert len(queries) <= 5
    body = response.json()
    assert [p["number"] for p in body["parts"]] == [1, 2, 3, 4]
    assert [p["number"] for p in body["pillars"]] == [1, 2, 3, 4, 5, 6, 7]
    assert body["pillars"][4] | {"title": None} == {"framework": "DEGD-2023", "number": 5, "part": 2, "title": None}
    assert len(body["articles"]) == 35
    assert set(body["preamble"]) == {"zh-hans", "en"}


def test_article_representation(client):
    response = client.get("/api/v1/articles/", {"framework": "DEGD-2023", "pillar": 2})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [a["number"] for a in results] == [4, 5, 6, 7, 8]
    article = results[0]
    assert article["framework"] == "DEGD-2023" and article["part"] == 1 and article["pillar"] == 2
    assert set(article["text"]) == {"zh-hans", "en"} and all(article["text"].values())
    assert article["web_url"].endswith("/frameworks/DEGD-2023/articles/4/")


def test_articles_outside_pillars_have_null_pillar(client):
    results = client.get("/api/v1/articles/", {"framework": "DEGD-2023", "part": 4}).json()["results"]
    assert [a["number"] for a in results] == [31, 32, 33, 34, 35]
    assert {a["pillar"] for a in results} == {None}


def test_article_list_query_count_does_not_grow_with_page_size(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/articles/", {"page_size": 500})
    assert response.json()["count"] == 70
    assert len(queries) <= 2


def test_pillars_filter_by_framework_and_part(client):
    results = client.get("/api/v1/pillars/", {"framework": "DEGD-2023", "part": 2}).json()["results"]
    assert [p["number"] for p in results] == [5, 6, 7]


def test_unknown_framework_is_a_problem_document(client):
    response = client.get("/api/v1/frameworks/NOPE/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_invalid_filter_value_is_a_400_problem_with_field_errors(client):
    response = client.get("/api/v1/articles/", {"pillar": "abc"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["title"] == "Invalid request" and "pillar" in body["errors"]


def test_unknown_api_address_is_a_problem_document(client):
    response = client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_writes_are_not_allowed_on_the_catalogue(client, coordinator_client):
    for c in (client, coordinator_client):
        response = c.post("/api/v1/articles/", {}, content_type="application/json")
        assert response.status_code in (403, 405)
        assert response["Content-Type"] == "application/problem+json"


def test_openapi_schema_documents_the_catalogue(client):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/articles/" in schema["paths"] and "/api/v1/parties/" in schema["paths"]
    article = schema["components"]["schemas"]["Article"]
    assert article["properties"]["text"]["required"] == ["zh-hans", "en"]
