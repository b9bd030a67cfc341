"""The coordinators' coverage dashboard, and its exports.

Coordinators see the whole framework; a focal point sees the same figures for their own party
beside the framework-wide ones. The figures come from `projects.coverage`; filters are GET
parameters (the library's names), so every view of the dashboard can be bookmarked.

Exports: each table as CSV or XLSX (`/dashboard/<table>.<csv|xlsx>`, every table in one
workbook at `/dashboard/tables.xlsx`), with the page's filters and, with `scope=party`, the
focal point's party view; and the filtered project list with chosen columns
(`/projects/list-export/`), open to every signed-in user (see `projects.exports.projects`).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import path
from django.utils import timezone

from ..coverage import coverage, coverage_filter, sees_everything
from ..exchange import RatesDateForm, converted_budgets
from ..exports import writers
from ..exports.forms import ColumnsForm, ExportFilter
from ..exports.projects import export_csv_blocks, export_query, export_rows, visible_projects
from ..exports.tables import TABLES, all_tables, conversion_rows

FORMATS = ("csv", "xlsx")
PARTY_SCOPE = "party"


def _may_see_dashboard(user) -> bool:
    return sees_everything(user) or bool(user.is_focal_point and user.party_id)


def _scopes(request):
    """The filter set and the figures: [framework-wide] or [own party, framework-wide]."""
    if not _may_see_dashboard(request.user):
        raise PermissionDenied
    filterset = coverage_filter(request.GET, user=request.user)
    scopes = []
    if not sees_everything(request.user):
        scopes.append(coverage(filterset, user=request.user, party=request.user.party))
    scopes.append(coverage(filterset, user=request.user))
    return filterset, scopes


@login_required
def dashboard(request):
    filterset, scopes = _scopes(request)
    rates_form = RatesDateForm(request.GET)
    rates_on = rates_form.date()
    query = request.GET.urlencode()
    party_query = f"{query}&scope={PARTY_SCOPE}" if query else f"scope={PARTY_SCOPE}"
    context = {
        "form": filterset.form,
        "rates_form": rates_form,
        "scopes": scopes,
        "scope_views": [
            {
                "scope": scope,
                "export_query": party_query if scope.scope_party else query,
                "conversion": converted_budgets(scope.budgets, on=rates_on),
            }
            for scope in scopes
        ],
        "query": query,
        "tables": TABLES,
        "chart_data": [chart_data(scope) for scope in scopes],
    }
    return render(request, "projects/dashboard.html", context)


def chart_data(scope) -> dict:
    """What the charts draw (the same numbers as the tables), for `json_script`."""
    return {
        "parties": [code for code, _name in scope.parties],
        "pillars": [str(row["number"]) for row in scope.matrix],
        "matrix": [[x, y, cell["count"]] for y, row in enumerate(scope.matrix) for x, cell in enumerate(row["cells"])],
        "funnel": {
            "labels": [str(stage["label"]) for stage in scope.funnel],
            "counts": [s["count"] for s in scope.funnel],
        },
        "quarters": {"labels": [q["label"] for q in scope.quarters], "counts": [q["count"] for q in scope.quarters]},
        # The world map: ISO 3166-1 numeric codes are the world atlas's ids (organizations have none).
        "map": [
            {"name": total["iso_numeric"], "code": total["party"], "value": total["count"]}
            for total in scope.party_totals
            if total["iso_numeric"]
        ],
    }


def _export_scope(request):
    """The one scope an export is about: the framework, or (`scope=party`) the focal point's party."""
    if not _may_see_dashboard(request.user):
        raise PermissionDenied
    filterset = coverage_filter(request.GET, user=request.user)
    party = None
    if request.GET.get("scope") == PARTY_SCOPE and not sees_everything(request.user):
        party = request.user.party
    return coverage(filterset, user=request.user, party=party, list_limit=None)  # the lists whole


def _filename(name: str, scope, fmt: str) -> str:
    where = scope.scope_party.code if scope.scope_party else "all"
    return f"{name}-{where}-{timezone.localdate():%Y%m%d}.{fmt}"


@login_required
def table_export(request, table, fmt):
    """One dashboard table as CSV or XLSX (`budget-conversion` uses the page's `rates_on`)."""
    if fmt not in FORMATS or (table not in TABLES and table != "budget-conversion"):
        raise Http404
    scope = _export_scope(request)
    if table == "budget-conversion":
        title = TABLES["budgets"].title
        header, rows = conversion_rows(converted_budgets(scope.budgets, on=RatesDateForm(request.GET).date()))
    else:
        title = TABLES[table].title
        header, rows = TABLES[table].build(scope)
    filename = _filename(table, scope, fmt)
    if fmt == "csv":
        return writers.csv_response(filename, header, rows)
    return writers.xlsx_response(filename, [(title, header, rows)])


@login_required
def tables_workbook(request):
    """Every table of the dashboard in one workbook, a sheet each."""
    scope = _export_scope(request)
    return writers.xlsx_response(_filename("dashboard", scope, "xlsx"), all_tables(scope))


def _project_export_forms(request):
    filterset = ExportFilter(request.GET, queryset=visible_projects(request.user), request=request)
    return filterset, ColumnsForm(request.GET)


@login_required
def project_export(request):
    """The form: the library's filters and the columns, then "Download CSV" or "Download XLSX"."""
    filterset, columns_form = _project_export_forms(request)
    return render(request, "projects/dashboard_project_export.html", _export_context(filterset, columns_form))


def _export_context(filterset, columns_form):
    form = filterset.form
    form.is_valid()
    return {"form": form, "columns_form": columns_form}


@login_required
def project_export_file(request, fmt):
    """The filtered list, streamed as CSV (rows leave as the database sends them) or as XLSX.

    Invalid filters are ignored, as in the library; invalid columns show the form again."""
    if fmt not in FORMATS:
        raise Http404
    filterset, columns_form = _project_export_forms(request)
    if not columns_form.is_valid():
        context = _export_context(filterset, columns_form)
        return render(request, "projects/dashboard_project_export.html", context, status=400)
    names = columns_form.chosen()
    header, sql, params = export_query(filterset, names, user=request.user, request=request, guard=fmt == "csv")
    filename = f"projects-{timezone.localdate():%Y%m%d}.{fmt}"
    if fmt == "csv":
        return writers.csv_blocks_response(filename, header, export_csv_blocks(sql, params))
    title = str(columns_form.fields["columns"].label)
    return writers.xlsx_response(filename, [(title, header, export_rows(sql, params))])


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/tables.xlsx", tables_workbook, name="dashboard_workbook"),
    path("dashboard/<slug:table>.<str:fmt>", table_export, name="dashboard_export"),
    path("projects/list-export/", project_export, name="project_export"),
    path("projects/list-export.<str:fmt>", project_export_file, name="project_export_file"),
]
