"""The coordinators' coverage dashboard, and CSV exports of its tables.

Coordinators see the whole framework; a focal point sees the same figures for their own party
beside the framework-wide ones. The figures come from `projects.coverage`; filters are GET
parameters (the library's names), so every view of the dashboard can be bookmarked.
"""

import csv

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _

from ..coverage import coverage, coverage_filter, sees_everything


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
    query = request.GET.urlencode()
    context = {
        "form": filterset.form,
        "scopes": scopes,
        "query": query,
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


@login_required
def matrix_csv(request):
    _filterset, scopes = _scopes(request)
    scope = scopes[-1]
    response, writer = _csv_response("pillar-party-matrix.csv")
    writer.writerow([_("Pillar"), *[code for code, _name in scope.parties], _("Total")])
    for row in scope.matrix:
        writer.writerow([f"{row['number']} {row['pillar'].title}", *[c["count"] for c in row["cells"]], row["total"]])
    writer.writerow([_("Total"), *[t["count"] for t in scope.party_totals], scope.total])
    return response


@login_required
def articles_csv(request):
    _filterset, scopes = _scopes(request)
    scope = scopes[-1]
    response, writer = _csv_response("article-coverage.csv")
    writer.writerow([_("Article"), _("Title"), _("Pillar"), _("Projects"), _("Parties"), _("Gap")])
    for row in scope.articles:
        article = row["article"]
        pillar = article.pillar.number if article.pillar_id else ""
        writer.writerow(
            [article.number, article.title, pillar, row["projects"], row["parties"], _("yes") if row["gap"] else ""]
        )
    return response


def _csv_response(filename):
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so that spreadsheet programs read the Chinese names as UTF-8
    return response, csv.writer(response)


urlpatterns = [
    path("dashboard/", dashboard, name="dashboard"),
    path("dashboard/matrix.csv", matrix_csv, name="dashboard_matrix_csv"),
    path("dashboard/articles.csv", articles_csv, name="dashboard_articles_csv"),
]
