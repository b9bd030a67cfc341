"""Actors of the projects API: sessions of each role and partner-system keys of two parties."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from projects.services import project_transition
from registry.models import PartnerKey
from tests.conftest import verify_two_factor
from tests.factories import UserFactory, draft_project, party


@pytest.fixture
def draft(officer):
    return draft_project(officer=officer, contact_name="Li Wei", contact_email="li.wei@example.org")


@pytest.fixture
def published(officer, focal_point):
    project = draft_project(
        officer=officer,
        title_en="Published pilot",
        contact_name="Li Wei",
        contact_restricted=True,
        budget_restricted=True,
    )
    project_transition(project=project, actor=officer, action="submit")
    return project_transition(project=project, actor=focal_point, action="publish")


class ApiClient:
    """A test client that speaks JSON and, for keys, sends `Authorization: Api-Key …`."""

    def __init__(self, client, secret=None):
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Api-Key {secret}"} if secret else {}

    def request(self, method, path, data=None, **headers):
        kwargs = {"content_type": "application/json", **self.headers, **headers}
        if data is not None:
            kwargs["data"] = data
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path, **headers):
        return self.request("get", path, **headers)


def partner_key(code: str, scope: str) -> str:
    account = UserFactory(role="partner_system", party=party(code), username=f"system-{code}-{scope}")
    key, secret = PartnerKey.objects.create_key(
        name=f"{code} system", account=account, scope=scope, expiry_date=timezone.now() + timedelta(days=30)
    )
    PartnerKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())  # no bookkeeping query
    return secret


@pytest.fixture
def actor_client(db, officer, focal_point, other_officer):
    """`actor_client(name)`: an ApiClient for one of the matrix's actors."""

    made = {}

    def make(name: str) -> ApiClient:
        if name not in made:
            made[name] = _make(name)
        return made[name]

    def _make(name: str) -> ApiClient:
        client = Client()
        if name == "anonymous":
            return ApiClient(client)
        if name == "other_officer":
            client.force_login(other_officer)
        elif name == "own_officer":
            client.force_login(officer)
        elif name == "focal_point":
            verify_two_factor(client, focal_point)
        elif name == "coordinator":
            verify_two_factor(client, UserFactory(role="coordinator", party=None, username="coord"))
        elif name == "other_key":
            return ApiClient(client, partner_key("KEN", "read_write"))
        elif name == "own_key_read":
            return ApiClient(client, partner_key("CHN", "read"))
        elif name == "own_key_write":
            return ApiClient(client, partner_key("CHN", "read_write"))
        else:
            raise ValueError(name)
        return ApiClient(client)

    return make
