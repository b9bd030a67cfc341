"""Only coordinators manage parties, organizations, users and the catalogue in the admin."""

import pytest

from registry.models import Party, SecurityEvent, SecurityEventKind, User
from tests.conftest import verify_two_factor
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "/admin/",
    "/admin/registry/party/",
    "/admin/registry/party/add/",
    "/admin/registry/organization/",
    "/admin/registry/user/",
    "/admin/framework/article/",
    "/admin/framework/framework/",
    "/admin/registry/securityevent/",
    "/admin/registry/partnerkey/",
    "/admin/registry/partnerkey/add/",
]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_anonymous_users_are_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


@pytest.mark.parametrize("role", ["officer", "focal_point", "partner_system"])
@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_non_coordinators_are_refused(client, role, path):
    user = UserFactory(role=role, party=Party.objects.get(code="KEN"))
    verify_two_factor(client, user)
    response = client.get(path)
    assert response.status_code == 403


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_coordinators_get_in(coordinator_client, path):
    assert coordinator_client.get(path).status_code == 200


def test_non_coordinator_cannot_change_a_party(client):
    verify_two_factor(client, UserFactory(role="focal_point"))
    party = Party.objects.get(code="KEN")
    response = client.post(f"/admin/registry/party/{party.pk}/change/", {"name_en": "Changed"})
    assert response.status_code == 403
    party.refresh_from_db()
    assert party.name_en == "Kenya"


def test_coordinator_without_second_factor_is_sent_to_verify(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/two-factor/")


def test_coordinator_changes_a_role_and_it_is_logged(coordinator_client):
    person = UserFactory(role="officer", party=Party.objects.get(code="THA"))
    response = coordinator_client.post(
        f"/admin/registry/user/{person.pk}/change/",
        {
            "username": person.username,
            "first_name": "",
            "last_name": "",
            "email": person.email,
            "preferred_language": "en",
            "role": "focal_point",
            "party": person.party_id,
            "organization": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert person.role == "focal_point"
    event = SecurityEvent.objects.get(kind=SecurityEventKind.ROLE_CHANGED, user=person)
    assert event.detail["before"]["role"] == "officer" and event.detail["after"]["role"] == "focal_point"


def test_role_that_needs_a_party_is_refused_without_one(coordinator_client):
    response = coordinator_client.post(
        "/admin/registry/user/add/",
        {
            "username": "nobody",
            "password1": "a-long-password-123",
            "password2": "a-long-password-123",
            "role": "officer",
            "party": "",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="nobody").exists()
