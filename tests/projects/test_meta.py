import pytest

pytestmark = pytest.mark.django_db


def test_meta_lists_every_choice_with_labels_in_both_languages(client):
    response = client.get("/api/v1/meta/")
    assert response.status_code == 200
    body = response.json()
    assert [v["value"] for v in body["cooperation_mode"]] == ["autonomous", "bilateral", "plurilateral", "collective"]
    collective = body["cooperation_mode"][3]["label"]
    assert collective == {"zh-hans": "集体行动", "en": "Collective action"}
    assert len(body["project_status"]) == 9 and len(body["sdg"]) == 17
    assert {"value": "USD", "label": {"zh-hans": "美元", "en": "US Dollar"}} in body["currency"]
    kenya = next(c for c in body["country"] if c["value"] == "KEN")
    assert kenya["label"] == {"zh-hans": "肯尼亚", "en": "Kenya"}
    for field in ("project_status", "project_type", "participation_role", "party_status"):
        assert all(v["label"]["zh-hans"] and v["label"]["en"] for v in body[field]), field


def test_meta_is_in_the_schema(client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    assert "/api/v1/meta/" in schema["paths"]
