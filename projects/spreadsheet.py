"""Spreadsheet import and export of projects: one row per project, XLSX or CSV.

The template, the export and the importer share `COLUMNS` (machine names in the header row), so a
party can export its projects, edit them and import the file again. Multi-valued cells are
`; `-separated: `DEGD-2023:5*; DEGD-2023:6` (`*` marks the primary article), `CHN; KEN`, `9; 17`.

An import is an `ImportBatch` applied in two steps. `import_preview` plans every row and runs it
through the services (`project_create`, `project_update`) inside a transaction that is rolled back,
so the preview shows exactly the errors the confirmation would meet (a row with wrong cells is tried
without them, so that every problem of the file shows at once). It is made anew for each request,
in the user's language. `import_apply` does the same for real in ONE transaction and keeps nothing
when any row fails; a batch is applied at most once (`applied_at`, set under a row lock).

How cells are read:
- A row updates the project with its `reference_code`, else the one with its `external_source` and
  `external_id` (`ExternalId`); otherwise it adds a draft led by the batch's party. Projects with no
  partner system's id are exported with the library's own id (source `opl`, the project's number),
  so drafts, which get a reference code only when published, come back to the same project.
- A column missing from the file leaves the value as it is. An empty cell clears the value, except
  an empty yes/no cell (kept, or the default for a new project) and the restricted values below.
- Restricted values (the budget when `budget_restricted`, the contact when `contact_restricted`)
  are exported only to users who may see them (`selectors.can_see_restricted`); for others those
  cells are empty. Hence an empty cell never clears a stored restricted value: it is kept, with a
  warning, and is cleared on the project's own page instead.
- A row that changes nothing is an update without changes and writes nothing, so a round trip
  writes nothing. A row that would change another party's project, or one the user may not change
  in its current status, is an error.
- CSV cells that Excel would run as formulas (`=`, `+`, `-`, `@`) are exported behind a `'`, which
  the importer takes off again; XLSX cells are always written as text or numbers, never formulas.
"""

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from openpyxl.worksheet.datavalidation import DataValidation

from framework.models import Article, Framework
from registry.models import Organization

from . import selectors
from .choices import (
    BeneficiaryGroup,
    CooperationMode,
    Language,
    ProjectType,
    country_choices,
    currency_choices,
    is_country,
    is_currency,
)
from .models import ExternalId, ImportBatch, Project, Sdg, Theme
from .services import project_create, project_update
from .services.editing import ArticleTag

MAX_BYTES = 5 * 1024 * 1024
MAX_UNPACKED_BYTES = 60 * 1024 * 1024  # an XLSX is a zip: refuse "zip bombs" before openpyxl reads them
MAX_ROWS = 2000
LIBRARY_SOURCE = "opl"  # the library's own ids (project numbers) in the external id columns
SEPARATOR = "; "
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ALLOWED_SHEET = "Allowed values"
ADD, UPDATE = "add", "update"


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    help: str
    width: int = 18


COLUMNS = [
    Column(
        "reference_code", "ident", gettext_lazy("Empty for a new project; the library's reference to update one."), 16
    ),
    Column("external_source", "ident", gettext_lazy("Your system's name (letters, digits, -), with external_id.")),
    Column("external_id", "ident", gettext_lazy("The project's id in that system; a new project keeps it.")),
    Column("language", "language", gettext_lazy("The language you write in: zh-hans or en."), 10),
    Column("title_zh_hans", "text", gettext_lazy("Title in Chinese."), 40),
    Column("title_en", "text", gettext_lazy("Title in English."), 40),
    Column("summary_zh_hans", "text", gettext_lazy("Summary in Chinese."), 50),
    Column("summary_en", "text", gettext_lazy("Summary in English."), 50),
    Column(
        "lead_organization", "organization", gettext_lazy("Name of an organization of your party, as registered."), 30
    ),
    Column("cooperation_mode", "mode", gettext_lazy("One value from the sheet “Allowed values”.")),
    Column("project_type", "type", gettext_lazy("One value from the sheet “Allowed values”.")),
    Column(
        "articles", "articles", gettext_lazy("Articles such as DEGD-2023:5*; DEGD-2023:6 (* marks the primary)."), 28
    ),
    Column("themes", "themes", gettext_lazy("Themes separated by ; (new themes are created)."), 30),
    Column("sdgs", "sdgs", gettext_lazy("SDG numbers separated by ;, such as 9; 17."), 12),
    Column("beneficiary_groups", "groups", gettext_lazy("Values from the sheet “Allowed values”, separated by ;."), 24),
    Column("early_harvest", "bool", gettext_lazy("yes or no."), 10),
    Column("countries", "countries", gettext_lazy("ISO 3166-1 alpha-3 codes separated by ;, such as CHN; KEN."), 20),
    Column("places", "text", gettext_lazy("Cities, provinces or sites."), 30),
    Column("start_on", "date", gettext_lazy("Start date, YYYY-MM-DD."), 12),
    Column("end_on", "date", gettext_lazy("End date, YYYY-MM-DD."), 12),
    Column("budget_amount", "decimal", gettext_lazy("Budget as a number, such as 250000.00."), 14),
    Column("budget_currency", "currency", gettext_lazy("ISO 4217 code, such as USD or CNY."), 10),
    Column("budget_restricted", "bool", gettext_lazy("yes: only participants and coordinators see the budget."), 10),
    Column("funding_sources", "text", gettext_lazy("Who funds the project."), 30),
    Column("contact_name", "text", gettext_lazy("Contact person."), 20),
    Column("contact_email", "text", gettext_lazy("Contact e-mail."), 24),
    Column("contact_phone", "text", gettext_lazy("Contact telephone."), 16),
    Column("contact_restricted", "bool", gettext_lazy("yes: only participants and coordinators see the contact."), 10),
]
COLUMN_NAMES = [column.name for column in COLUMNS]
KIND = {column.name: column.kind for column in COLUMNS}
IDENT_COLUMNS = ("reference_code", "external_source", "external_id")
RELATION_COLUMNS = ("articles", "themes", "sdgs")
FIELD_COLUMNS = [name for name in COLUMN_NAMES if name not in IDENT_COLUMNS + RELATION_COLUMNS]
BOOL_COLUMNS = [name for name in COLUMN_NAMES if KIND[name] == "bool"]
RESTRICTED = {
    "budget_restricted": ("budget_amount", "budget_currency"),
    "contact_restricted": ("contact_name", "contact_email", "contact_phone"),
}


class SpreadsheetError(Exception):
    """The file as a whole cannot be read (wrong type, unreadable, unknown columns…)."""


class AlreadyApplied(Exception):
    pass


class CellError(Exception):
    pass


# ---------------------------------------------------------------- reading the file


@dataclass
class Table:
    columns: list[str]
    rows: list[tuple[int, dict]]  # (row number as the spreadsheet shows it, {column: raw value})


def check_file(filename: str, content: bytes) -> None:
    """Raise SpreadsheetError unless `content` is a readable XLSX or CSV of at most MAX_BYTES."""
    read_table(filename, content)


def read_table(filename: str, content: bytes) -> Table:
    if len(content) > MAX_BYTES:
        raise SpreadsheetError(_("The file is larger than 5 MB."))
    suffix = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if suffix == "xlsx":
        raw_rows = _xlsx_rows(content)
    elif suffix == "csv":
        raw_rows = _csv_rows(content)
    else:
        raise SpreadsheetError(_("Upload an Excel workbook (.xlsx) or a CSV file (.csv)."))
    try:
        return _table(raw_rows)
    except SpreadsheetError:
        raise
    except Exception as exc:  # csv.Error (a cell over 128 KB…), or a damaged sheet inside a workbook
        raise SpreadsheetError(_("The file cannot be read; save it again as .xlsx or as UTF-8 .csv.")) from exc


def _table(raw_rows) -> Table:
    names = [_header_name(value) for value in next(raw_rows, None) or ()]
    if not any(names):
        raise SpreadsheetError(_("The file is empty: the first row must name the columns."))
    unknown = [name for name in names if name and name not in COLUMN_NAMES]
    if unknown:
        raise SpreadsheetError(_("Unknown columns: %(names)s.") % {"names": ", ".join(unknown)})
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise SpreadsheetError(_("Columns given twice: %(names)s.") % {"names": ", ".join(repeated)})
    rows = []
    for number, values in enumerate(raw_rows, start=2):
        cells = {name: value for name, value in zip(names, values, strict=False) if name}
        if all(_text(value) == "" for value in cells.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise SpreadsheetError(_("The file has more than %(count)s projects; split it.") % {"count": MAX_ROWS})
        rows.append((number, cells))
    return Table(columns=[name for name in names if name], rows=rows)


def _header_name(value) -> str:
    return re.sub(r"[\s-]+", "_", _text(value).casefold())


def _xlsx_rows(content: bytes):
    if not content.startswith(b"PK\x03\x04"):
        raise SpreadsheetError(_("This is not an Excel workbook (.xlsx)."))
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise SpreadsheetError(_("The workbook is too large once unpacked."))
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except SpreadsheetError:
        raise
    except Exception as exc:  # openpyxl raises many kinds of errors for damaged files
        raise SpreadsheetError(_("The workbook cannot be read; save it again as .xlsx.")) from exc
    sheet = workbook.worksheets[0]
    return sheet.iter_rows(max_col=len(COLUMNS) + 10, values_only=True)


def _csv_rows(content: bytes):
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SpreadsheetError(_("Save the CSV file as UTF-8 text.")) from exc
    if "\x00" in text:
        raise SpreadsheetError(_("This is not a CSV text file."))
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)


# ---------------------------------------------------------------- cells


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        value = value.date()
    text = str(value).replace("\r\n", "\n").replace("\r", "\n").strip()
    if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS:
        text = text[1:]  # our CSV export's guard against formulas
    return text


def _tokens(value, pattern=r"[;；,，\s]+") -> list[str]:
    return [token.strip() for token in re.split(pattern, _text(value)) if token.strip()]


def _choice(value, lookup: dict) -> str:
    text = _text(value)
    if not text:
        return ""
    found = lookup.get(_key(text))
    if found is None:
        raise CellError(_("“%(value)s” is not one of the allowed values.") % {"value": text})
    return found


def _key(text: str) -> str:
    return re.sub(r"[\s-]+", "_", text.casefold())


def _choice_lookup(choices, aliases=None) -> dict:
    lookup = {}
    for value, label in choices.choices:
        lookup[_key(value)] = value
        for language in ("en", "zh-hans"):
            with translation.override(language):
                lookup.setdefault(_key(str(label)), value)
    lookup.update({_key(alias): value for alias, value in (aliases or {}).items()})
    return lookup


def _bool(value):
    text = _text(value).casefold()
    if not text:
        return None
    if text in {"yes", "y", "true", "1", "x", "是", _("yes").casefold()}:
        return True
    if text in {"no", "n", "false", "0", "否", _("no").casefold()}:
        return False
    raise CellError(_("Write yes or no."))


def _date(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 2958466:
        return from_excel(value).date()  # an Excel date serial in a cell not formatted as a date
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("/", "-")).date()
    except ValueError as exc:
        raise CellError(_("Write the date as YYYY-MM-DD.")) from exc


def _decimal(value):
    if isinstance(value, bool):
        raise CellError(_("Give the budget as a number, such as 250000.00."))
    if isinstance(value, float):
        value = round(value, 6)
    text = re.sub(r"[\s,\u00a0]", "", _text(value))
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise CellError(_("Give the budget as a number, such as 250000.00.")) from exc
    if not amount.is_finite() or amount < 0:
        raise CellError(_("The budget must be a positive number."))
    if amount != amount.quantize(Decimal("0.01")):
        raise CellError(_("Give the budget with at most two decimals."))
    return amount.quantize(Decimal("0.01"))


class Vocabulary:
    """Everything a cell is checked against, loaded once per file."""

    def __init__(self, party):
        self.party = party
        self.articles = {
            (a.framework.code.casefold(), a.number): a for a in Article.objects.select_related("framework")
        }
        primary = Framework.objects.filter(is_primary=True).first()
        self.primary_framework = primary.code if primary else "DEGD-2023"
        self.organizations = list(Organization.objects.filter(party=party)) if party else []
        self.themes = {name.casefold() for name in Theme.objects.values_list("name", flat=True)}
        self.sdgs = set(Sdg.objects.values_list("number", flat=True))
        self.choices = {
            "language": _choice_lookup(Language, {"zh": "zh-hans", "zh-cn": "zh-hans", "中文": "zh-hans"}),
            "mode": _choice_lookup(CooperationMode),
            "type": _choice_lookup(ProjectType),
            "groups": _choice_lookup(BeneficiaryGroup),
        }

    def parse(self, name: str, value):
        kind = KIND[name]
        if kind in ("text", "ident"):
            return self._ident(name, value) if kind == "ident" else _text(value)
        if kind in ("language", "mode", "type"):
            return _choice(value, self.choices[kind])
        if kind == "groups":
            return list(dict.fromkeys(_choice(token, self.choices["groups"]) for token in _tokens(value)))
        parser = {"bool": _bool, "date": _date, "decimal": _decimal}.get(kind)
        return parser(value) if parser else getattr(self, f"_{kind}")(value)

    def _ident(self, name, value):
        text = _text(value)
        if name == "external_source" and text and not re.fullmatch(r"[-\w]{1,64}", text, flags=re.ASCII):
            raise CellError(_("Use at most 64 letters, digits, - or _."))
        if len(text) > 128:
            raise CellError(_("At most 128 characters."))
        return text

    def _countries(self, value):
        codes = [token.upper() for token in _tokens(value)]
        unknown = [code for code in codes if not is_country(code)]
        if unknown:
            raise CellError(_("Unknown country code: %(codes)s.") % {"codes": ", ".join(unknown)})
        return list(dict.fromkeys(codes))

    def _currency(self, value):
        code = _text(value).upper()
        if code and not is_currency(code):
            raise CellError(_("Use an ISO 4217 currency code, such as USD or CNY."))
        return code

    def _sdgs(self, value):
        numbers, unknown = [], []
        for token in _tokens(re.sub(r"(?i)sdg\s*", "", _text(value))):
            number = int(token) if token.isdigit() else None
            (numbers if number in self.sdgs else unknown).append(number or token)
        if unknown:
            raise CellError(_("Unknown SDG: %(values)s (use 1 to 17).") % {"values": ", ".join(map(str, unknown))})
        return sorted(set(numbers))

    def _themes(self, value):
        names = {}
        for token in _tokens(value, r"[;；\n]+"):
            name = " ".join(token.split())[:80]
            names.setdefault(name.casefold(), name)
        return list(names.values())

    def _articles(self, value):
        tags, unknown = [], []
        for token in _tokens(value, r"[;；,，\n]+"):
            match = re.fullmatch(r"(?:(?P<code>[\w.-]+?)\s*[:：]\s*)?(?P<number>\d+)\s*(?P<primary>\*?)", token)
            code = (match and match["code"]) or self.primary_framework
            found = match and self.articles.get((code.casefold(), int(match["number"])))
            if found:
                tags.append(ArticleTag(found, is_primary=bool(match["primary"])))
            else:
                unknown.append(token)
        if unknown:
            raise CellError(_("Unknown article: %(values)s.") % {"values": ", ".join(unknown)})
        if len(tags) == 1:
            tags = [ArticleTag(tags[0].article, is_primary=True)]  # a single article is the primary one
        return tags

    def _organization(self, value):
        name = _text(value).casefold()
        if not name:
            return None
        for organization in self.organizations:
            if name in {organization.name_en.casefold(), organization.name_zh_hans.casefold()}:
                return organization
        raise CellError(
            _("%(party)s has no organization of this name; ask a coordinator to add it.")
            % {"party": self.party.name if self.party else "—"}
        )


# ---------------------------------------------------------------- planning the rows


@dataclass
class Issue:
    column: str
    message: str


@dataclass
class RowPlan:
    """What one row will do: add or update a project, with its errors and warnings."""

    row: int
    action: str = ADD
    project: Project | None = None
    match_column: str = "reference_code"
    fields: dict = field(default_factory=dict)
    article_tags: list[ArticleTag] | None = None
    theme_names: list[str] | None = None
    sdg_numbers: list[int] | None = None
    external: tuple[str, str] | None = None  # an ExternalId to create
    changes: list[str] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    title: str = ""
    result: Project | None = None

    @property
    def writes(self) -> bool:
        return self.action == ADD or bool(self.changes)


class _Index:
    """The projects the file refers to, fetched at once (by reference code, library id, external id)."""

    def __init__(self, parsed):
        refs = {values["reference_code"] for _row, values, _e in parsed if values.get("reference_code")}
        pairs = {
            (values["external_source"], values["external_id"])
            for _row, values, _e in parsed
            if values.get("external_source") and values.get("external_id")
        }
        library_ids = {int(ext) for source, ext in pairs if source.casefold() == LIBRARY_SOURCE and ext.isdigit()}
        linked = ExternalId.objects.filter(external_id__in={ext for _s, ext in pairs})
        self.external = {(s, e): pk for s, e, pk in linked.values_list("source", "external_id", "project_id")}
        wanted = Q(reference_code__in=refs) | Q(pk__in=library_ids | set(self.external.values()))
        projects = (
            Project.objects.filter(wanted)
            .select_related("lead_party")
            .prefetch_related(selectors.article_links_prefetch(), "participations", "themes", "sdgs", "external_ids")
            if refs or pairs
            else []
        )
        self.by_pk = {project.pk: project for project in projects}
        self.by_ref = {project.reference_code: project for project in self.by_pk.values() if project.reference_code}


def plan_rows(table: Table, *, actor, party) -> list[RowPlan]:
    vocabulary = Vocabulary(party)
    parsed = []
    for number, cells in table.rows:
        values, errors = {}, []
        for name, raw in cells.items():
            try:
                values[name] = vocabulary.parse(name, raw)
            except CellError as exc:
                errors.append(Issue(name, str(exc)))
        parsed.append((number, values, errors))
    index = _Index(parsed)
    plans, seen = [], {}
    for number, values, errors in parsed:
        plan = RowPlan(row=number, errors=errors)
        _match(plan, values, index, actor)
        key = plan.project.pk if plan.project else plan.external
        if key is not None and key in seen:
            plan.errors.append(
                Issue(plan.match_column, _("Row %(row)s already has this project.") % {"row": seen[key]})
            )
        elif key is not None:
            seen[key] = number
        if plan.action == UPDATE and plan.project:
            _plan_update(plan, values, actor, party)
        elif plan.action == ADD:
            _plan_add(plan, values)
        _warn(plan, vocabulary)
        plans.append(plan)
    return plans


def _match(plan: RowPlan, values: dict, index: _Index, actor) -> None:
    ref = values.get("reference_code", "")
    source, ext = values.get("external_source", ""), values.get("external_id", "")
    if bool(source) != bool(ext):
        missing = "external_id" if source else "external_source"
        plan.errors.append(Issue(missing, _("Give both the source system and the external id, or neither.")))
        source = ext = ""
    library = source.casefold() == LIBRARY_SOURCE
    by_id = None
    if library:
        by_id = index.by_pk.get(int(ext)) if ext.isdigit() else None
        if by_id is None or not actor.has_perm("projects.view_project", by_id):
            plan.errors.append(Issue("external_id", _("No project you can see has this number in the library.")))
    elif source:
        by_id = index.by_pk.get(index.external.get((source, ext)))
        if by_id is not None and not actor.has_perm("projects.view_project", by_id):
            plan.errors.append(Issue("external_id", _("This external id belongs to another party's project.")))
    project = by_id
    if ref:
        project = index.by_ref.get(ref)
        if project is None or not actor.has_perm("projects.view_project", project):
            plan.errors.append(Issue("reference_code", _("No project you can see has this reference code.")))
        elif by_id is not None and by_id.pk != project.pk:
            plan.errors.append(Issue("external_id", _("This id belongs to another project than the reference code.")))
    plan.match_column = "reference_code" if ref else "external_id"
    if plan.errors and plan.errors[-1].column in IDENT_COLUMNS:
        plan.action = UPDATE  # a row meant to update a project that cannot be found or seen: show nothing of it
        return
    plan.action = UPDATE if project else ADD
    plan.project = project
    if source and not library and by_id is None:
        plan.external = (source, ext)


def _plan_add(plan: RowPlan, values: dict) -> None:
    plan.fields = {
        name: values[name]
        for name in FIELD_COLUMNS
        if name in values and not (name in BOOL_COLUMNS and values[name] is None)
    }
    if not plan.fields.get("language"):
        plan.fields["language"] = "zh-hans" if values.get("title_zh_hans") and not values.get("title_en") else "en"
        message = _("No language given: “%(language)s” is assumed.") % {"language": plan.fields["language"]}
        plan.warnings.append(Issue("language", message))
    plan.article_tags = values.get("articles")
    plan.theme_names = values.get("themes")
    plan.sdg_numbers = values.get("sdgs")
    preferred = f"title_{_suffix(translation.get_language())}"
    plan.title = plan.fields.get(preferred) or plan.fields.get("title_en") or plan.fields.get("title_zh_hans", "")


def _plan_update(plan: RowPlan, values: dict, actor, party) -> None:
    project = plan.project
    plan.title = str(project.title)
    for name in FIELD_COLUMNS:
        if name not in values:
            continue
        new = values[name]
        if (new is None and name in BOOL_COLUMNS) or (name == "language" and not new):
            continue  # an empty yes/no or language cell keeps the value
        if _restricted_kept(project, name, new):
            message = _("Left empty: the restricted value is kept (clear it on the project's page).")
            plan.warnings.append(Issue(name, message))
            continue
        if name == "lead_organization":
            same = project.lead_organization_id == (new.pk if new else None)
        else:
            same = _same(getattr(project, name), new)
        if not same:
            plan.fields[name] = new
            plan.changes.append(name)
    _plan_relations(plan, values)
    if plan.external:
        plan.changes.append("external_id")
    if not plan.changes:
        return
    if project.lead_party_id != getattr(party, "pk", None):
        message = _("This project is led by %(party)s: it cannot be changed from this import.")
        plan.errors.append(Issue(plan.match_column, message % {"party": project.lead_party.name}))
    elif not actor.has_perm("projects.change_project", project):
        message = _("You may not change this project while it is “%(status)s”.")
        plan.errors.append(Issue(plan.match_column, message % {"status": project.get_status_display()}))


def _plan_relations(plan: RowPlan, values: dict) -> None:
    project = plan.project
    tags = values.get("articles")
    links = list(project.article_links.all())
    if tags is not None and {(t.article.pk, t.is_primary) for t in tags} != {
        (k.article_id, k.is_primary) for k in links
    }:
        notes = {link.article_id: link.note for link in links}  # keep the notes written on the web
        plan.article_tags = [ArticleTag(t.article, t.is_primary, notes.get(t.article.pk, "")) for t in tags]
        plan.changes.append("articles")
    themes = values.get("themes")
    if themes is not None and {n.casefold() for n in themes} != {t.name.casefold() for t in project.themes.all()}:
        plan.theme_names = themes
        plan.changes.append("themes")
    sdgs = values.get("sdgs")
    if sdgs is not None and set(sdgs) != {sdg.number for sdg in project.sdgs.all()}:
        plan.sdg_numbers = sdgs
        plan.changes.append("sdgs")


def _restricted_kept(project: Project, name: str, new) -> bool:
    """An empty cell for a stored restricted value: the export left it empty, so keep it."""
    for flag, names in RESTRICTED.items():
        if name in names and getattr(project, flag) and new in ("", None) and getattr(project, name) not in ("", None):
            return True
    return False


def _same(old, new) -> bool:
    if isinstance(old, str) or isinstance(new, str):
        return _text(old) == _text(new)
    return old == new


def _suffix(language: str | None) -> str:
    return "zh_hans" if (language or "en").startswith("zh") else "en"


def _warn(plan: RowPlan, vocabulary: Vocabulary) -> None:
    new_themes = [name for name in plan.theme_names or [] if name.casefold() not in vocabulary.themes]
    if new_themes:
        message = _("New themes will be created: %(names)s.") % {"names": ", ".join(new_themes)}
        plan.warnings.append(Issue("themes", message))
    current = plan.project if plan.action == UPDATE else None
    if plan.action == UPDATE and current is None:
        return
    language = plan.fields.get("language") or (current.language if current else "en")
    other = "en" if language == "zh-hans" else "zh_hans"
    title = plan.fields.get(f"title_{other}", getattr(current, f"title_{other}", ""))
    if not title and (plan.action == ADD or f"title_{other}" in plan.changes):
        names = {"en": _("English"), "zh_hans": _("Chinese")}
        message = _("No title in %(language)s: add a translation when you can.") % {"language": names[other]}
        plan.warnings.append(Issue(f"title_{other}", message))


# ---------------------------------------------------------------- previewing and applying


@dataclass
class ImportReport:
    rows: list[RowPlan]
    file_errors: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def errors(self) -> list[tuple[int, Issue]]:
        return [(plan.row, issue) for plan in self.rows for issue in sorted(plan.errors, key=_column_order)]

    @property
    def warnings(self) -> list[tuple[int, Issue]]:
        return [(plan.row, issue) for plan in self.rows for issue in sorted(plan.warnings, key=_column_order)]

    @property
    def error_count(self) -> int:
        return len(self.file_errors) + len(self.errors)

    @property
    def has_errors(self) -> bool:
        return bool(self.error_count)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "add": sum(1 for plan in self.rows if plan.action == ADD),
            "update": sum(1 for plan in self.rows if plan.action == UPDATE and plan.changes),
            "unchanged": sum(1 for plan in self.rows if plan.action == UPDATE and not plan.changes),
        }


def _column_order(issue: Issue) -> int:
    return COLUMN_NAMES.index(issue.column) if issue.column in COLUMN_NAMES else -1


class _Rollback(Exception):
    pass


def import_batch_create(*, actor, filename: str, content: bytes, party=None) -> ImportBatch:
    """Store an uploaded file for its preview. Officers and focal points import for their own
    party; coordinators name the party."""
    if not actor.is_authenticated:
        raise PermissionDenied
    if actor.is_superuser or actor.is_coordinator:
        if party is None:
            raise ValidationError({"party": _("Choose the party the projects belong to.")})
    elif (actor.is_officer or actor.is_focal_point) and actor.party_id:
        party = actor.party
    else:
        raise PermissionDenied
    check_file(filename, content)
    return ImportBatch.objects.create(
        uploaded_by=actor,
        party=party,
        filename=filename[:255],
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def import_batch_get(*, pk: int, actor) -> ImportBatch:
    """The batch for its uploader or a coordinator; 404 for anyone else."""
    batch = ImportBatch.objects.select_related("party", "uploaded_by").filter(pk=pk).first()
    coordinator = actor.is_authenticated and (actor.is_superuser or actor.is_coordinator)
    if batch is None or not (coordinator or batch.uploaded_by_id == actor.pk):
        raise Http404
    return batch


def import_preview(*, batch: ImportBatch, actor) -> ImportReport:
    """Plan and try every row through the services, then roll everything back."""
    return _run(batch, actor, commit=False)


def import_apply(*, batch: ImportBatch, actor) -> ImportReport:
    """Apply the whole file in one transaction, or nothing when any row fails. Raises AlreadyApplied."""
    return _run(batch, actor, commit=True)


def _run(batch: ImportBatch, actor, *, commit: bool) -> ImportReport:
    try:
        table = read_table(batch.filename, bytes(batch.content))
    except SpreadsheetError as exc:
        return ImportReport(rows=[], file_errors=[str(exc)])
    coordinator = actor.is_superuser or actor.is_coordinator
    if not coordinator and actor.party_id != batch.party_id:
        return ImportReport(rows=[], file_errors=[_("You can import projects only for your own party.")])
    report = ImportReport(rows=[])
    try:
        with transaction.atomic():
            if commit:
                locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
                if locked.applied_at:
                    raise AlreadyApplied
            report.rows = plan_rows(table, actor=actor, party=batch.party)
            for plan in report.rows:
                # Rows with wrong cells are tried too (without those cells), to report every problem at once.
                if plan.writes and not any(issue.column in IDENT_COLUMNS for issue in plan.errors):
                    _apply_row(plan, actor=actor, party=batch.party)
            if not commit or report.has_errors:
                raise _Rollback
            locked.applied_at = timezone.now()
            locked.summary = {
                **report.counts,
                "created": [plan.result.pk for plan in report.rows if plan.action == ADD],
                "updated": [plan.project.pk for plan in report.rows if plan.action == UPDATE and plan.changes],
            }
            locked.save(update_fields=["applied_at", "summary"])
            batch.applied_at, batch.summary = locked.applied_at, locked.summary
            report.applied = True
    except _Rollback:
        for plan in report.rows:
            plan.result = None
    return report


def _apply_row(plan: RowPlan, *, actor, party) -> None:
    """One row in its own savepoint, so that the preview can go on and report every row."""
    try:
        with transaction.atomic():
            if plan.action == ADD:
                plan.result = project_create(
                    actor=actor,
                    fields=plan.fields,
                    article_tags=plan.article_tags,
                    theme_names=plan.theme_names,
                    sdg_numbers=plan.sdg_numbers,
                    lead_party=party,
                )
            else:
                plan.result = project_update(
                    project=plan.project,
                    actor=actor,
                    fields=plan.fields,
                    article_tags=plan.article_tags,
                    theme_names=plan.theme_names,
                    sdg_numbers=plan.sdg_numbers,
                )
            if plan.external:
                source, external_id = plan.external
                ExternalId.objects.create(project=plan.result, source=source, external_id=external_id)
    except ValidationError as exc:
        messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        by_column = {name: texts for name, texts in messages.items() if name in COLUMN_NAMES}
        # Constraint messages ("__all__") repeat a column's message in worse words: keep them only alone.
        by_column = by_column or {"": [text for texts in messages.values() for text in texts]}
        known = {issue.column for issue in plan.errors}  # a cell already in error was left out of this try
        for name in by_column.keys() - known:
            plan.errors.extend(Issue(name, text) for text in by_column[name])
    except PermissionDenied:
        plan.errors.append(Issue(plan.match_column, _("You may not make this change.")))
    except IntegrityError:
        plan.errors.append(Issue("", _("This row conflicts with another project; check its ids.")))


# ---------------------------------------------------------------- writing


def export_projects(*, actor, party_code: str = ""):
    """The projects an export holds: the actor's party's, or for coordinators all (or one party's).

    Everything a row needs is fetched up front, so the number of queries does not grow with the rows."""
    if actor.is_superuser or actor.is_coordinator:
        queryset = selectors.with_list_data(Project.objects.all()).order_by("lead_party__code", "pk")
        if party_code:
            queryset = queryset.filter(lead_party__code=party_code)
    else:
        queryset = selectors.party_projects(actor=actor)
    return queryset.prefetch_related(Prefetch("external_ids", queryset=ExternalId.objects.order_by("pk")))


def export_rows(projects, *, actor):
    """One list of cell values per project, in `COLUMNS` order; restricted values only for those who may see them."""
    for project in projects:
        show_restricted = selectors.can_see_restricted(actor, project)
        external = next(iter(project.external_ids.all()), None)
        organization = project.lead_organization
        values = {
            "reference_code": project.reference_code or "",
            "external_source": external.source if external else LIBRARY_SOURCE,
            "external_id": external.external_id if external else str(project.pk),
            "lead_organization": (organization.name_en or organization.name_zh_hans) if organization else "",
            "articles": SEPARATOR.join(
                f"{link.article.framework.code}:{link.article.number}{'*' if link.is_primary else ''}"
                for link in project.article_links.all()
            ),
            "themes": SEPARATOR.join(theme.name for theme in project.themes.all()),
            "sdgs": SEPARATOR.join(str(sdg.number) for sdg in project.sdgs.all()),
            "beneficiary_groups": SEPARATOR.join(project.beneficiary_groups or []),
            "countries": SEPARATOR.join(project.countries or []),
        }
        for name in FIELD_COLUMNS:
            if name not in values:
                value = getattr(project, name)
                values[name] = ("yes" if value else "no") if isinstance(value, bool) else value
        for flag, names in RESTRICTED.items():
            if getattr(project, flag) and not show_restricted:
                values.update(dict.fromkeys(names, ""))
        yield [values[name] for name in COLUMN_NAMES]


def write_csv(rows) -> bytes:
    """UTF-8 with a BOM, so that Excel opens the Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMN_NAMES)
    for row in rows:
        writer.writerow([_csv_cell(value) for value in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(value) -> str:
    if value is None:
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_xlsx(rows) -> bytes:
    """The projects sheet (header, data, choice lists) and the sheet of allowed values."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Projects"
    sheet.append(COLUMN_NAMES)
    for index, column in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=1, column=index)
        cell.font = Font(bold=True)
        cell.comment = Comment(str(column.help), "Open Project Library")
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with "=": never a formula
            elif isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
    for name, (first, last) in _allowed_values_sheet(workbook.create_sheet(ALLOWED_SHEET)).items():
        letter = get_column_letter(COLUMN_NAMES.index(name) + 1)
        validation = DataValidation(
            type="list", formula1=f"'{ALLOWED_SHEET}'!$B${first}:$B${last}", allow_blank=True, showErrorMessage=True
        )
        validation.error = _("Choose a value from the sheet “Allowed values”.")
        sheet.add_data_validation(validation)
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


YES_NO = "early_harvest; budget_restricted; contact_restricted"
DROPDOWNS = {  # single-choice columns → the block of allowed values their list takes
    "language": "language",
    "cooperation_mode": "cooperation_mode",
    "project_type": "project_type",
    "budget_currency": "budget_currency",
    **dict.fromkeys(BOOL_COLUMNS, YES_NO),
}


def allowed_values() -> list[tuple[str, str, str, str]]:
    """(column, value, label in Chinese, label in English) for every choice column."""
    labels = {}  # language → {(column, value): label}
    for language in ("zh-hans", "en"):
        with translation.override(language):
            found = {}
            for column, choices in (
                ("language", Language),
                ("cooperation_mode", CooperationMode),
                ("project_type", ProjectType),
                ("beneficiary_groups", BeneficiaryGroup),
            ):
                found.update({(column, value): str(label) for value, label in choices.choices})
            found.update({(YES_NO, "yes"): _("yes"), (YES_NO, "no"): _("no")})
            found.update({("sdgs", str(sdg.number)): str(sdg.title) for sdg in Sdg.objects.order_by("number")})
            found.update({("budget_currency", code): label for code, label in currency_choices()})
            found.update({("countries", code): label for code, label in sorted(country_choices())})
            for article in Article.objects.select_related("framework").order_by("framework__code", "number"):
                title = article.title or article.text[:60]
                found[("articles", f"{article.framework.code}:{article.number}")] = title
            labels[language] = found
    return [(*key, labels["zh-hans"][key], label) for key, label in labels["en"].items()]


def _allowed_values_sheet(sheet) -> dict[str, tuple[int, int]]:
    """Write the allowed values; return the rows each single-choice column's list takes."""
    sheet.append(["column", "value", "中文", "English"])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    blocks = {}
    for row in allowed_values():
        sheet.append(list(row))
        first, _last = blocks.get(row[0], (sheet.max_row, sheet.max_row))
        blocks[row[0]] = (first, sheet.max_row)
    for letter, width in zip("ABCD", (20, 18, 40, 50), strict=True):
        sheet.column_dimensions[letter].width = width
    return {column: blocks[block] for column, block in DROPDOWNS.items()}
