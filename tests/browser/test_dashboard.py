"""The dashboard in chromium: the charts draw (no script error, no CSP violation), and a click
on a matrix cell lists exactly the projects it counted. Screenshot in test-artifacts/screenshots/."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.scenarios import five_projects

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def projects(officer, focal_point, other_officer, other_focal_point, coordinator):
    return five_projects(officer, focal_point, other_officer, other_focal_point, coordinator)


def sign_in_with_two_factor(page, user):
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    page.goto("/account/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "correct-horse-battery")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/account/two-factor/"))
    page.fill("#id_token", f"{totp(device.bin_key):06d}")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(lambda url: "/account/" not in url)


def test_dashboard_charts_and_cell_click(new_page, screenshot, projects, coordinator):
    page = new_page("en", width=1400, height=1000)
    sign_in_with_two_factor(page, coordinator)
    page.goto("/dashboard/")
    page.wait_for_selector("[data-chart=matrix] canvas")
    page.wait_for_selector("[data-chart=map] canvas")
    assert page.locator("#matrix-0 [data-grand-total]").inner_text() == "3"
    screenshot(page, "dashboard-en")
    page.locator('#matrix-0 a[data-cell="2-KEN"]').click()
    page.wait_for_url(re.compile(r"/projects/\?"))
    listed = page.locator("#library-results").inner_text()
    assert projects["p1"].reference_code in listed and projects["p3"].reference_code in listed
    assert projects["p2"].reference_code not in listed
    assert page.errors == []
