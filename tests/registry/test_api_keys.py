"""Partner system API keys: created by coordinators, stored hashed, shown once, revocable, expiring."""

from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.utils import timezone

from registry.models import PartnerKey
from tests.factories import UserFactory, party

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner_account():
    return UserFactory(role="partner_system", party=party("KEN"), username="kenya-projects-db")


def make_key(account, **extra):
    extra.setdefault("expiry_date", timezone.now() + timedelta(days=90))
    return PartnerKey.objects.create_key(name="Kenya national project database", account=account, **extra)


def api(client, key, method="get", path="/api/v1/parties/KEN/"):
    return getattr(client, method)(path, HTTP_AUTHORIZATION=f"Api-Key {key}", content_type="application/json")


def test_coordinator_creates_a_key_and_sees_it_once(coordinator_client, partner_account):
    response = coordinator_client.post(
        "/admin/registry/partnerkey/add/",
        {
            "name": "Kenya national project database",
            "account": partner_account.pk,
            "scope": "read_write",
            "expiry_date_0": (timezone.now() + timedelta(days=30)).strftime("%Y-%m-%d"),
            "expiry_date_1": "12:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    stored = PartnerKey.objects.get()
    shown = next(str(m) for m in get_messages(response.wsgi_request) if "is not shown again" in str(m))
    key = shown.split(" is ")[1].split(" ")[0]
    assert key.startswith(stored.prefix + ".")
    assert key not in stored.hashed_key and stored.hashed_key.startswith("sha512$$")
    assert key in coordinator_client.get(response["Location"]).content.decode()  # shown on the next page
    page = coordinator_client.get(response["Location"]).content.decode()
    assert key not in page  # and never again
    assert api(coordinator_client.__class__(), key).status_code == 200


def test_a_key_acts_as_its_partner_system(client, partner_account):
    _key, secret = make_key(partner_account)
    response = api(client, secret)
    assert response.status_code == 200 and response.json()["code"] == "KEN"
    assert PartnerKey.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "secret",
    ["nonsense", "abcdefgh.ijklmnopqrstuvwxyz012345", ""],
)
def test_unknown_keys_are_refused_with_401(client, secret):
    response = api(client, secret)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Api-Key"


def test_revoked_and_expired_keys_are_refused(client, partner_account):
    revoked, revoked_secret = make_key(partner_account)
    revoked.revoked = True
    revoked.save()
    _expired, expired_secret = make_key(partner_account, expiry_date=timezone.now() - timedelta(minutes=1))
    assert api(client, revoked_secret).status_code == 401
    assert api(client, expired_secret).status_code == 401


def test_a_disabled_account_disables_its_keys(client, partner_account):
    _key, secret = make_key(partner_account)
    partner_account.is_active = False
    partner_account.save()
    assert api(client, secret).status_code == 401


def test_read_only_key_cannot_write(client, partner_account):
    _key, read_secret = make_key(partner_account)
    _key2, write_secret = make_key(partner_account, scope="read_write")
    refused = api(client, read_secret, "post", "/api/v1/parties/")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert api(client, write_secret, "post", "/api/v1/parties/").status_code == 405  # the catalogue is read-only


def test_keys_belong_to_partner_system_accounts_only():
    from django.core.exceptions import ValidationError

    officer = UserFactory(role="officer", party=party("KEN"))
    key = PartnerKey(name="x", account=officer, expiry_date=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError):
        key.full_clean()
    key = PartnerKey(name="x", account=UserFactory(role="partner_system", party=party("KEN")))
    with pytest.raises(ValidationError):
        key.full_clean()  # no expiry


def test_no_plain_text_secret_is_stored(partner_account):
    from django.db import connection

    _key, secret = make_key(partner_account)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM registry_partnerkey")
        row = cursor.fetchone()
    assert all(secret.split(".")[1] not in str(value) for value in row)
