"""Sign-in, two-factor sign-in, lockout and the security log."""

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from registry.models import SecurityEvent, SecurityEventKind
from registry.security import progressive_cool_off
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def sign_in(client, username, password=PASSWORD):
    return client.post("/account/login/", {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_officer_signs_in_and_the_interface_follows_their_language(client):
    officer = UserFactory(preferred_language="zh-hans")
    response = sign_in(client, officer.username)
    assert response.status_code == 302
    assert response.cookies["opl_language"].value == "zh-hans"
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN, user=officer).exists()
    assert '<html lang="zh-Hans">' in client.get("/").content.decode()


def test_wrong_password_shows_a_clear_error_and_is_logged(client):
    officer = UserFactory()
    response = sign_in(client, officer.username, "wrong")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOGIN_FAILED, username=officer.username).exists()


def test_sign_out_needs_post(client):
    officer = UserFactory()
    client.force_login(officer)
    assert client.get("/account/logout/").status_code == 405
    assert client.post("/account/logout/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures_refuses_even_the_right_password(client):
    officer = UserFactory()
    for _ in range(5):
        sign_in(client, officer.username, "wrong")
    response = sign_in(client, officer.username)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.LOCKED_OUT).exists()


def test_lockout_is_per_address_too(client):
    for n in range(5):
        sign_in(client, f"guess{n}", "wrong")
    officer = UserFactory()
    assert sign_in(client, officer.username).status_code == 429


def test_cool_off_grows_with_each_lockout_and_is_capped():
    request = RequestFactory().get("/", REMOTE_ADDR="10.9.9.9")
    request.axes_ip_address = "10.9.9.9"
    assert progressive_cool_off(request) == timedelta(minutes=5)
    durations = []
    for _ in range(12):
        SecurityEvent.objects.create(kind=SecurityEventKind.LOCKED_OUT, ip_address="10.9.9.9")
        durations.append(progressive_cool_off(request))
    assert durations[:4] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert durations[-1] == timedelta(hours=24)


@pytest.mark.parametrize("role", ["coordinator", "focal_point"])
def test_coordinators_and_focal_points_must_set_up_two_factor(client, role):
    user = UserFactory(role=role, party=None if role == "coordinator" else UserFactory().party)
    sign_in(client, user.username)
    response = client.get("/parties/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/")
    response = client.get("/account/two-factor/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/account/two-factor/setup/")

    device = TOTPDevice.objects.get(user=user, confirmed=False)
    wrong = f"{(totp(device.bin_key) + 1) % 1_000_000:06d}"
    response = client.post("/account/two-factor/setup/", {"token": wrong})
    assert "not valid" in response.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows retries after a failure; the test skips the wait

    response = client.post("/account/two-factor/setup/", {"token": f"{totp(device.bin_key):06d}", "next": "/parties/"})
    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10
    assert client.get("/parties/").status_code == 200
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_ENROLLED, user=user).exists()

    # Next sign-in: a recovery code works once.
    client.post("/account/logout/")
    sign_in(client, user.username)
    assert client.post("/account/two-factor/", {"token": codes[0]}).status_code == 302
    assert client.get("/parties/").status_code == 200
    client.post("/account/logout/")
    sign_in(client, user.username)
    response = client.post("/account/two-factor/", {"token": codes[0]})
    assert response.status_code == 200 and "not valid" in response.content.decode()
    assert SecurityEvent.objects.filter(kind=SecurityEventKind.TWO_FACTOR_FAILED, user=user).exists()


def test_officers_do_not_need_two_factor(client):
    officer = UserFactory(role="officer")
    sign_in(client, officer.username)
    assert client.get("/parties/").status_code == 200


def test_unverified_coordinator_session_is_refused_by_the_api(client, coordinator):
    client.force_login(coordinator)
    response = client.get("/api/v1/parties/")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"


def test_next_parameter_cannot_leave_the_site(client, coordinator):
    client.force_login(coordinator)
    device = TOTPDevice.objects.create(user=coordinator, name="a", confirmed=True)
    response = client.post("/account/two-factor/?next=https://evil.example/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302 and response["Location"] == "/"
