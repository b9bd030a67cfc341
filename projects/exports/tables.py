"""Every table of the dashboard as a header and rows, for CSV and XLSX alike.

The rows are made from the same `Coverage` figures the page shows, so a download always says
what the page says (same filters, same scope). Headers and labels follow the active language.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry.models import Party


@dataclass(frozen=True)
class Table:
    title: object  # lazy: the sheet name and the link's label
    build: object  # Coverage -> (header, rows)


def _matrix(scope):
    header = [_("Pillar"), *[code for code, _name in scope.parties], _("Total")]
    rows = [
        [f"{row['number']} {row['pillar'].title}", *[cell["count"] for cell in row["cells"]], row["total"]]
        for row in scope.matrix
    ]
    rows.append([_("Total"), *[total["count"] for total in scope.party_totals], scope.total])
    return header, rows


def _parties(scope):
    codes = [total["party"] for total in scope.party_totals]
    names = {party.code: party.name for party in Party.objects.filter(code__in=codes)}
    header = [_("Party"), _("Name"), _("ISO 3166-1 numeric"), _("Projects")]
    return header, [[t["party"], names.get(t["party"], ""), t["iso_numeric"], t["count"]] for t in scope.party_totals]


def _articles(scope):
    header = [_("Article"), _("Title"), _("Pillar"), _("Projects"), _("Parties"), _("Gap")]
    rows = []
    for row in scope.articles:
        article = row["article"]
        pillar = article.pillar.number if article.pillar_id else ""
        rows.append([article.number, article.title, pillar, row["projects"], row["parties"], _yes(row["gap"])])
    return header, rows


def _funnel(scope):
    return [_("Stage"), _("Now"), _("Reached")], [[str(s["label"]), s["count"], s["reached"]] for s in scope.funnel]


def _quarters(scope):
    return [_("Quarter"), _("Projects")], [[q["label"], q["count"]] for q in scope.quarters]


def _budgets(scope):
    header = [_("Pillar"), _("Currency"), _("Budget"), _("Projects")]
    rows = [
        [row["pillar"] if row["pillar"] else _("All pillars"), row["currency"], row["amount"], row["projects"]]
        for row in scope.budgets
    ]
    return header, rows


def _themes(scope):
    return [_("Theme"), _("Projects")], [[theme["name"], theme["count"]] for theme in scope.themes]


def _modes(scope):
    return [_("Mode"), _("Projects")], [[str(mode["label"]), mode["count"]] for mode in scope.modes]


def _projects(projects):
    header = [_("Reference code"), _("Title"), _("Lead party"), _("Status")]
    return header, [[p.reference_code or "", p.title, p.lead_party.code, p.get_status_display()] for p in projects]


def _health(scope):
    header = [_("Lead party"), _("Green"), _("Amber"), _("Red")]
    return header, [[row["party"], row["green"], row["amber"], row["red"]] for row in scope.health]


def _yes(value) -> str:
    return _("yes") if value else ""


TABLES = {
    "matrix": Table(gettext_lazy("Projects per pillar and party"), _matrix),
    "parties": Table(gettext_lazy("Projects per party"), _parties),
    "articles": Table(gettext_lazy("Article coverage"), _articles),
    "funnel": Table(gettext_lazy("Status funnel"), _funnel),
    "quarters": Table(gettext_lazy("Projects published per quarter"), _quarters),
    "budgets": Table(gettext_lazy("Budget by pillar and currency"), _budgets),
    "themes": Table(gettext_lazy("Top themes"), _themes),
    "modes": Table(gettext_lazy("Cooperation modes"), _modes),
    "early-harvest": Table(gettext_lazy("Early harvest projects"), lambda scope: _projects(scope.early_harvest)),
    "health": Table(gettext_lazy("Reporting health of ongoing projects"), _health),
    "reporting-overdue": Table(gettext_lazy("Reporting overdue"), lambda scope: _projects(scope.red_projects)),
}


def table_rows(name: str, scope) -> tuple[list, list]:
    return TABLES[name].build(scope)


def all_tables(scope):
    """(title, header, rows) of every table, for one workbook with a sheet each."""
    for table in TABLES.values():
        header, rows = table.build(scope)
        yield table.title, header, rows


def conversion_rows(conversion: dict) -> tuple[list, list]:
    """The converted budget table (`projects.exchange.converted_budgets`): a total per pillar in
    the reference currency, the rates used with their dates, the currencies left out."""
    header = [
        _("Pillar"),
        _("Total in %(currency)s") % {"currency": conversion["reference"]},
        _("Projects converted"),
        _("Rates used (rate date)"),
        _("Currencies without a rate by %(date)s (left out)") % {"date": conversion["on"].isoformat()},
    ]
    rows = [
        [
            row.pillar if row.pillar else _("All pillars"),
            row.total,
            row.projects,
            "; ".join(
                f"{currency} {rate.normalize():f} ({valid_on.isoformat()})" for currency, rate, valid_on in row.rates
            ),
            "; ".join(row.missing),
        ]
        for row in conversion["rows"]
    ]
    return header, rows
