"""Budgets converted to one reference currency with the coordinators' dated rate table.

Amounts are never added up across currencies as they stand: each currency is converted with
its latest `ExchangeRate` on or before the date chosen (today by default), the rate's own date
is stated beside it, and currencies without a rate by then are listed and left out of the total
instead of guessed. The reference currency itself needs no rate.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django import forms
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import ExchangeRate

REFERENCE = ExchangeRate.REFERENCE_CURRENCY
CENT = Decimal("0.01")


class RatesDateForm(forms.Form):
    rates_on = forms.DateField(
        label=_("Exchange rates on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Each currency is converted with its latest rate on or before this date (today if empty)."),
    )

    def date(self) -> date:
        if self.is_valid() and self.cleaned_data["rates_on"]:
            return self.cleaned_data["rates_on"]
        return timezone.localdate()


@dataclass
class Conversion:
    """One row of the converted budget table (a pillar, or None for all pillars)."""

    pillar: int | None
    total: Decimal = Decimal("0.00")
    projects: int = 0
    rates: list = field(default_factory=list)  # (currency, rate, valid_on) used
    missing: list = field(default_factory=list)  # currencies without a rate by the date


def latest_rates(currencies, *, on: date) -> dict:
    """{currency: ExchangeRate} with the latest rate on or before `on` (one query)."""
    wanted = sorted({code for code in currencies if code and code != REFERENCE})
    if not wanted:
        return {}
    latest = (
        ExchangeRate.objects.filter(currency=OuterRef("currency"), valid_on__lte=on)
        .order_by("-valid_on")
        .values("valid_on")[:1]
    )
    rates = ExchangeRate.objects.filter(currency__in=wanted, valid_on=Subquery(latest))
    return {rate.currency: rate for rate in rates}


def converted_budgets(budgets: list, *, on: date) -> dict:
    """The `Coverage.budgets` rows ({pillar, currency, amount, projects}) converted per pillar.

    Returns {"on": date, "reference": "USD", "rows": [Conversion…], "rates": [ExchangeRate…],
    "missing": [currency…]}."""
    rates = latest_rates((row["currency"] for row in budgets), on=on)
    rows: dict = defaultdict(lambda: None)
    order = []
    for row in budgets:
        pillar = row["pillar"]
        if rows[pillar] is None:
            rows[pillar] = Conversion(pillar=pillar)
            order.append(pillar)
        conversion = rows[pillar]
        currency = row["currency"]
        if currency == REFERENCE:
            conversion.total += row["amount"]
            conversion.projects += row["projects"]
        elif currency in rates:
            rate = rates[currency]
            conversion.total += row["amount"] * rate.rate
            conversion.projects += row["projects"]
            conversion.rates.append((currency, rate.rate, rate.valid_on))
        else:
            conversion.missing.append(currency)
    for pillar in order:
        rows[pillar].total = rows[pillar].total.quantize(CENT)
    return {
        "on": on,
        "reference": REFERENCE,
        "rows": [rows[pillar] for pillar in order],
        "rates": sorted(rates.values(), key=lambda rate: rate.currency),
        "missing": sorted({row["currency"] for row in budgets if row["currency"] != REFERENCE} - set(rates)),
    }
