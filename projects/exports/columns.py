# ruff: noqa: S608 - SQL fragments of fixed text and column names; values are parameters
"""The columns a project-list export can hold, each as one SQL expression.

Everything a cell shows is made by the database (labels, flattened lists, restricted values
blanked), so Python only moves rows from a server-side cursor to the CSV writer: that is what
makes the export of 100,000 projects stream at the speed of the database (see
bench/export_csv.py). Multi-valued fields are flattened into readable cells:
`DEGD-2023 art. 5 (primary); art. 12`, `KEN (partner); UZB (supporter)`, `9; 17`.

An expression is SQL text plus its parameters; labels are parameters in the active language,
never SQL text. `%%` is not needed anywhere: no expression contains a literal percent sign.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ..choices import (
    BeneficiaryGroup,
    CooperationMode,
    ParticipationRole,
    ParticipationStatus,
    ProjectStatus,
    ProjectType,
)

SEPARATOR = "; "
FORMULA_FIRSTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    label: object
    default: bool = False
    restricted: str = ""  # "budget" or "contact": blank for viewers who may not see it
    text: bool = False  # free text, guarded against spreadsheet formulas in CSV


COLUMNS = {
    "reference_code": Column(gettext_lazy("Reference code"), default=True),
    "title": Column(gettext_lazy("Title"), default=True, text=True),
    "title_zh_hans": Column(gettext_lazy("Title (Chinese)"), text=True),
    "title_en": Column(gettext_lazy("Title (English)"), text=True),
    "summary": Column(gettext_lazy("Summary"), text=True),
    "status": Column(gettext_lazy("Status"), default=True),
    "lead_party": Column(gettext_lazy("Lead party"), default=True),
    "lead_organization": Column(gettext_lazy("Lead organization"), text=True),
    "participants": Column(gettext_lazy("Participating parties"), default=True),
    "articles": Column(gettext_lazy("Articles"), default=True),
    "cooperation_mode": Column(gettext_lazy("Cooperation mode"), default=True),
    "project_type": Column(gettext_lazy("Project type"), default=True),
    "themes": Column(gettext_lazy("Themes"), text=True),
    "sdgs": Column(gettext_lazy("SDGs")),
    "beneficiary_groups": Column(gettext_lazy("Beneficiary groups")),
    "early_harvest": Column(gettext_lazy("Early harvest")),
    "countries": Column(gettext_lazy("Countries")),
    "places": Column(gettext_lazy("Places"), text=True),
    "start_on": Column(gettext_lazy("Start date")),
    "end_on": Column(gettext_lazy("End date")),
    "published_on": Column(gettext_lazy("Published on"), default=True),
    "budget_amount": Column(gettext_lazy("Budget"), restricted="budget"),
    "budget_currency": Column(gettext_lazy("Currency"), restricted="budget"),
    "funding_sources": Column(gettext_lazy("Funding sources"), text=True),
    "contact_name": Column(gettext_lazy("Contact person"), restricted="contact", text=True),
    "contact_email": Column(gettext_lazy("Contact e-mail"), restricted="contact", text=True),
    "contact_phone": Column(gettext_lazy("Contact telephone"), restricted="contact", text=True),
    "url": Column(gettext_lazy("Page in the library")),
}
DEFAULT_COLUMNS = [name for name, column in COLUMNS.items() if column.default]


def postgres() -> bool:
    return connection.vendor == "postgresql"


def string_agg(expression: str, order: str) -> str:
    """Values of a group joined with `; ` in `order` (SQLite keeps the order of its ordered subquery)."""
    if postgres():
        return f"STRING_AGG({expression}, '{SEPARATOR}' ORDER BY {order})"
    return f"GROUP_CONCAT({expression}, '{SEPARATOR}')"


def as_date(expression: str) -> str:
    return f"CAST({expression} AS DATE)" if postgres() else f"DATE({expression})"


def labels(expression: str, choices) -> tuple[str, list]:
    """CASE mapping stored values to their labels in the active language."""
    whens = " ".join("WHEN %s THEN %s" for _choice in choices)
    params = [item for value, label in choices for item in (value, str(label))]
    return f"CASE {expression} {whens} ELSE {expression} END", params


def json_list(expression: str, choices=None) -> tuple[str, list]:
    """A JSON array of codes (countries, beneficiary groups) as `a; b`, labelled when `choices` given."""
    value, params = labels("value", choices) if choices else ("value", [])
    if postgres():
        elements = f"SELECT {value} FROM JSONB_ARRAY_ELEMENTS_TEXT({expression}) AS value"
        sql = f"ARRAY_TO_STRING(ARRAY({elements}), '{SEPARATOR}')"
    else:
        sql = f"(SELECT GROUP_CONCAT({value}, '{SEPARATOR}') FROM JSON_EACH({expression}))"
    return sql, params


def guarded(expression: str) -> tuple[str, list]:
    """Text that a spreadsheet would run as a formula gets a leading `'` (as the spreadsheet export)."""
    marks = ", ".join(["%s"] * len(FORMULA_FIRSTS))
    sql = f"CASE WHEN SUBSTR({expression}, 1, 1) IN ({marks}) THEN '''' || {expression} ELSE {expression} END"
    return sql, list(FORMULA_FIRSTS)


def yes_no() -> list:
    return [_("yes"), ""]


STATUS_CHOICES = ProjectStatus.choices
MODE_CHOICES = CooperationMode.choices
TYPE_CHOICES = ProjectType.choices
ROLE_CHOICES = ParticipationRole.choices
GROUP_CHOICES = BeneficiaryGroup.choices
ACTIVE = ParticipationStatus.ACTIVE.value
