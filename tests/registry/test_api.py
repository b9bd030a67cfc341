import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

pytestmark = pytest.mark.django_db


def test_party_representation(client):
    response = client.get("/api/v1/parties/CHN/")
    assert response.status_code == 200
    assert response.json() == {
        "code": "CHN",
        "kind": "country",
        "status": "participant",
        "name": {"zh-hans": "中国", "en": "China"},
        "joined_on": "2023-10-18",
        "iso_alpha2": "CN",
        "iso_numeric": "156",
        "frameworks": ["DEGD-2023", "BRDE-BJ-2023", "BRDE-2017"],  # primary first, then newest
    }


@pytest.mark.parametrize(
    "filters, count",
    [
        ({}, 47),
        ({"status": "participant"}, 35),
        ({"status": "supporter"}, 3),
        ({"kind": "international_organization"}, 3),
        ({"framework": "BRDE-BJ-2023"}, 14),
        ({"framework": "DEGD-2023", "kind": "country"}, 35),
        ({"status": "non_participant", "framework": "BRDE-2017"}, 3),
    ],
)
def test_party_filters(client, filters, count):
    response = client.get("/api/v1/parties/", filters)
    assert response.status_code == 200
    assert response.json()["count"] == count


def test_party_list_queries_are_constant(client):
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/parties/", {"page_size": 500})
    assert len(queries) <= 3


def test_invalid_status_filter_is_a_problem(client):
    response = client.get("/api/v1/parties/", {"status": "martian"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "status" in response.json()["errors"]
