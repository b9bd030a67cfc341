"""The dated exchange-rate table and the converted budget totals of the dashboard."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from projects.exchange import converted_budgets, latest_rates
from projects.models import ExchangeRate

pytestmark = pytest.mark.django_db

BUDGETS = [  # as Coverage.budgets gives them
    {"pillar": 2, "currency": "USD", "amount": Decimal("250000.00"), "projects": 1},
    {"pillar": 4, "currency": "EUR", "amount": Decimal("100.00"), "projects": 1},
    {"pillar": 4, "currency": "USD", "amount": Decimal("1000.00"), "projects": 1},
    {"pillar": 4, "currency": "CNY", "amount": Decimal("700.00"), "projects": 1},
    {"pillar": None, "currency": "EUR", "amount": Decimal("100.00"), "projects": 1},
    {"pillar": None, "currency": "USD", "amount": Decimal("251000.00"), "projects": 2},
]


@pytest.fixture
def rates(db):
    return [
        ExchangeRate.objects.create(currency="EUR", valid_on=date(2025, 1, 1), rate=Decimal("1.1")),
        ExchangeRate.objects.create(currency="EUR", valid_on=date(2025, 6, 1), rate=Decimal("1.2")),
        ExchangeRate.objects.create(currency="CNY", valid_on=date(2025, 7, 1), rate=Decimal("0.14")),
    ]


def test_the_latest_rate_on_or_before_the_date(rates):
    assert latest_rates(["EUR", "CNY", "USD"], on=date(2025, 3, 1))["EUR"].rate == Decimal("1.1")
    assert set(latest_rates(["EUR", "CNY"], on=date(2025, 3, 1))) == {"EUR"}
    assert latest_rates(["EUR"], on=date(2025, 6, 1))["EUR"].valid_on == date(2025, 6, 1)
    assert latest_rates(["EUR"], on=date(2024, 12, 31)) == {}


def test_conversion_states_rates_and_never_guesses(rates):
    result = converted_budgets(BUDGETS, on=date(2025, 3, 1))
    by_pillar = {row.pillar: row for row in result["rows"]}
    assert by_pillar[2].total == Decimal("250000.00") and by_pillar[2].rates == []
    pillar_4 = by_pillar[4]
    assert pillar_4.total == Decimal("1110.00")  # 100 EUR × 1.1 + 1,000 USD; CNY has no rate yet
    assert pillar_4.rates == [("EUR", Decimal("1.1"), date(2025, 1, 1))]
    assert pillar_4.missing == ["CNY"] and pillar_4.projects == 2
    assert result["missing"] == ["CNY"] and result["reference"] == "USD"
    later = {row.pillar: row for row in converted_budgets(BUDGETS, on=date(2025, 7, 1))["rows"]}
    assert later[4].total == Decimal("1218.00") and later[4].missing == []  # 120 + 1,000 + 98


def test_one_rate_per_currency_and_day(rates):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(currency="EUR", valid_on=date(2025, 1, 1), rate=Decimal("1.3"))


def test_rates_are_positive_and_currencies_real(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        ExchangeRate.objects.create(currency="EUR", valid_on=date(2025, 1, 1), rate=Decimal("0"))
    with pytest.raises(ValidationError):
        ExchangeRate(currency="XYZ", valid_on=date(2025, 1, 1), rate=Decimal("1")).full_clean()
    rate = ExchangeRate(currency="cny", valid_on=date(2025, 1, 1), rate=Decimal("0.14"))
    rate.full_clean()
    assert rate.currency == "CNY"


def test_the_dashboard_shows_converted_totals_with_rate_dates(projects, rates, coordinator_client):
    response = coordinator_client.get("/dashboard/", {"rates_on": "2025-03-01"})
    html = response.content.decode()
    assert "Converted to USD with the latest rate on or before 2025-03-01" in html
    assert "1 EUR = 1.1 USD (rate of 2025-01-01)" in html
    conversion = response.context["scope_views"][0]["conversion"]
    assert {row.pillar: row.total for row in conversion["rows"]}[4] == Decimal("1110.00")
    assert 'name="rates_on"' in html and 'value="2025-03-01"' in html


def test_currencies_without_a_rate_are_listed(projects, coordinator_client):
    html = coordinator_client.get("/dashboard/", {"rates_on": "2025-03-01"}).content.decode()
    assert "No rate on or before this date for EUR" in html
    assert 'data-conversion="4"' in html


def test_the_converted_table_as_csv(projects, rates, coordinator_client):
    response = coordinator_client.get("/dashboard/budget-conversion.csv", {"rates_on": "2025-06-15"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:2] == ["Pillar", "Total in USD"]
    assert "2025-06-15" in rows[0][4]
    pillar_4 = next(row for row in rows if row[0] == "4")
    assert pillar_4[1:] == ["1120.00", "2", "EUR 1.2 (2025-06-01)", ""]


def test_a_focal_point_of_another_party_converts_only_what_they_may_see(projects, rates, client, other_focal_point):
    from tests.conftest import verify_two_factor

    response = verify_two_factor(client, other_focal_point).get("/dashboard/", {"rates_on": "2025-06-15"})
    conversion = response.context["scope_views"][1]["conversion"]
    assert {row.pillar: row.total for row in conversion["rows"]}[4] == Decimal("1000.00")  # no restricted EUR


def test_coordinators_keep_the_rates_in_the_admin(coordinator_client):
    response = coordinator_client.post(
        "/admin/projects/exchangerate/add/", {"currency": "eur", "valid_on": "2025-01-01", "rate": "1.08"}
    )
    assert response.status_code == 302
    assert ExchangeRate.objects.get().currency == "EUR"


def test_officers_may_not_change_rates(client, officer):
    client.force_login(officer)
    response = client.post(
        "/admin/projects/exchangerate/add/", {"currency": "EUR", "valid_on": "2025-01-01", "rate": "9"}
    )
    assert response.status_code in (302, 403) and "/admin/login/" in response.get("Location", "/admin/login/")
    assert not ExchangeRate.objects.exists()
