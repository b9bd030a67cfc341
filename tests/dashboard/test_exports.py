"""Exports: every dashboard table (CSV, XLSX, one workbook) and the project list with chosen
columns: content, languages, scope, restricted values, rights, query counts."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from projects.exports.tables import TABLES
from projects.models import Project
from tests.conftest import verify_two_factor
from tests.factories import draft_project

pytestmark = pytest.mark.django_db

EXPORT = "/projects/list-export.csv"


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list:
    content = body(response)
    assert content.startswith("\ufeff".encode())  # Excel reads the Chinese as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def workbook(response):
    return load_workbook(io.BytesIO(body(response)))


def by_reference(rows) -> dict:
    return {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}


@pytest.fixture
def contacts(projects):
    """P1: a restricted contact (KEN takes part in P1); P2: a restricted contact and budget (CHN only)."""
    Project.objects.filter(pk=projects["p1"].pk).update(contact_name="Li Wei", contact_email="li@example.org")
    Project.objects.filter(pk=projects["p2"].pk).update(contact_name="Wang Fang", contact_restricted=True)
    return projects


# --- the dashboard's tables ---------------------------------------------------------------


@pytest.mark.parametrize("table", list(TABLES))
def test_every_table_as_csv_and_xlsx(projects, coordinator_client, table):
    rows = csv_rows(coordinator_client.get(f"/dashboard/{table}.csv"))
    sheet = workbook(coordinator_client.get(f"/dashboard/{table}.xlsx")).active
    assert list(next(sheet.iter_rows(values_only=True))) == rows[0]
    assert sheet.max_row == len(rows)


def test_tables_hold_the_page_figures(projects, coordinator_client):
    funnel = csv_rows(coordinator_client.get("/dashboard/funnel.csv"))
    assert funnel[0] == ["Stage", "Now", "Reached"] and ["Submitted", "1", "4"] in funnel
    assert csv_rows(coordinator_client.get("/dashboard/quarters.csv"))[1:] == [["2025 Q1", "1"], ["2025 Q2", "2"]]
    budgets = csv_rows(coordinator_client.get("/dashboard/budgets.csv"))
    assert ["4", "EUR", "100.00", "1"] in budgets and ["All pillars", "USD", "251000.00", "2"] in budgets
    modes = {row[0]: row[1] for row in csv_rows(coordinator_client.get("/dashboard/modes.csv"))[1:]}
    assert modes["Autonomous"] == "1" and modes["Bilateral"] == "2"
    harvest = csv_rows(coordinator_client.get("/dashboard/early-harvest.csv"))
    assert [row[1:] for row in harvest[1:]] == [["E-invoicing for green trade", "CHN", "Ongoing"]]
    overdue = csv_rows(coordinator_client.get("/dashboard/reporting-overdue.csv"))
    assert [row[2] for row in overdue[1:]] == ["CHN"]
    assert csv_rows(coordinator_client.get("/dashboard/health.csv"))[1:] == [["CHN", "0", "0", "1"]]
    parties = csv_rows(coordinator_client.get("/dashboard/parties.csv"))
    assert ["KEN", "Kenya", "404", "2"] in parties


def test_tables_keep_the_filters(projects, coordinator_client):
    rows = csv_rows(coordinator_client.get("/dashboard/matrix.xlsx".replace("xlsx", "csv"), {"party": "KEN"}))
    assert rows[-1] == ["Total", "1", "2", "2"]
    rows = csv_rows(coordinator_client.get("/dashboard/quarters.csv", {"published_from": "2025-05-01"}))
    assert rows[1:] == [["2025 Q2", "2"]]


def test_a_focal_point_exports_their_party_view_or_the_framework(projects, focal_client):
    mine = csv_rows(focal_client.get("/dashboard/matrix.csv", {"scope": "party"}))
    everyone = csv_rows(focal_client.get("/dashboard/matrix.csv"))
    assert mine[-1][-1] == "2" and everyone[-1][-1] == "3"
    page = focal_client.get("/dashboard/").content.decode()
    assert "/dashboard/matrix.csv?scope=party" in page and 'href="/dashboard/matrix.csv"' in page


def test_a_coordinator_has_no_party_scope(projects, coordinator_client):
    assert csv_rows(coordinator_client.get("/dashboard/matrix.csv", {"scope": "party"}))[-1][-1] == "3"


def test_another_partys_focal_point_gets_no_restricted_budget(projects, client, other_focal_point):
    rows = csv_rows(verify_two_factor(client, other_focal_point).get("/dashboard/budgets.csv"))
    assert not [row for row in rows if row[1] == "EUR"]
    assert ["All pillars", "USD", "251000.00", "2"] in rows


def test_one_workbook_with_every_table(projects, coordinator_client):
    response = coordinator_client.get("/dashboard/tables.xlsx", {"party": "KEN"})
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = workbook(response)
    assert len(book.sheetnames) == len(TABLES)
    assert book["Projects per pillar and party"]["A1"].value == "Pillar"


def test_tables_in_chinese(projects, coordinator_client):
    coordinator_client.cookies["opl_language"] = "zh-hans"
    rows = csv_rows(coordinator_client.get("/dashboard/modes.csv"))
    english = {"Autonomous", "Bilateral", "Plurilateral", "Collective action"}
    assert len(rows) == 5 and not english & {row[0] for row in rows[1:]}
    assert "zh-hans" in coordinator_client.get("/dashboard/").content.decode().lower()


@pytest.mark.parametrize("path", ["/dashboard/nothing.csv", "/dashboard/matrix.pdf", "/projects/list-export.pdf"])
def test_unknown_tables_and_formats_are_not_found(projects, coordinator_client, path):
    assert coordinator_client.get(path).status_code == 404


def test_the_page_links_every_table_in_both_formats(projects, coordinator_client):
    html = coordinator_client.get("/dashboard/", {"party": "KEN"}).content.decode()
    for table in TABLES:
        if table == "reporting-overdue":
            continue  # linked only when some project is overdue (KEN has none)
        assert f'data-export="{table}-csv"' in html and f'data-export="{table}-xlsx"' in html
    assert "/dashboard/matrix.xlsx?party=KEN" in html and 'data-export="workbook"' in html


# --- the project list -----------------------------------------------------------------------


def test_coordinator_exports_every_status_with_the_usual_columns(contacts, coordinator_client):
    response = coordinator_client.get(EXPORT)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="projects-' in response["Content-Disposition"]
    rows = csv_rows(response)
    assert rows[0] == [
        "Reference code",
        "Title",
        "Status",
        "Lead party",
        "Participating parties",
        "Articles",
        "Cooperation mode",
        "Project type",
        "Published on",
    ]
    assert len(rows) == 6  # every status, the draft too
    p1 = by_reference(rows)[contacts["p1"].reference_code]
    assert p1["Articles"] == "DEGD-2023 art. 5 (primary); art. 6"
    assert p1["Participating parties"] == "CHN (Lead); KEN (Partner)"
    assert p1["Published on"] == "2025-02-10" and p1["Status"] == "Published" and p1["Lead party"] == "CHN"
    assert {row[2] for row in rows[1:]} >= {"Draft", "Submitted", "Ongoing", "Completed"}


def test_multi_valued_columns_are_readable_cells(contacts, coordinator_client):
    columns = ["url", "reference_code", "themes", "sdgs", "countries", "early_harvest", "budget_amount"]
    rows = csv_rows(coordinator_client.get(EXPORT, {"columns": columns, "status": "ongoing"}))
    # in the table's order, whatever the order they were sent in
    assert rows[0] == [
        "Reference code",
        "Themes",
        "SDGs",
        "Early harvest",
        "Countries",
        "Budget",
        "Page in the library",
    ]
    (p2,) = rows[1:]
    assert p2[1:5] == ["Single window", "9; 17", "yes", "CHN; KEN"]
    assert float(p2[5]) == 100
    assert p2[6] == f"http://testserver/projects/{contacts['p2'].pk}/"


def test_officers_get_public_projects_and_only_the_restricted_values_they_may_see(contacts, client, other_officer):
    client.force_login(other_officer)  # KEN: leads P3, takes part in P1, not in P2
    columns = ["reference_code", "budget_amount", "budget_currency", "contact_name", "contact_email"]
    rows = by_reference(csv_rows(client.get(EXPORT, {"columns": columns, "status": "draft"})))
    assert set(rows) == {contacts[name].reference_code for name in ("p1", "p2", "p3")}  # "draft" ignored
    p1, p2 = rows[contacts["p1"].reference_code], rows[contacts["p2"].reference_code]
    assert p1["Contact person"] == "Li Wei" and p1["Contact e-mail"] == "li@example.org"
    assert p2["Budget"] == "" and p2["Currency"] == "" and p2["Contact person"] == ""
    assert float(rows[contacts["p3"].reference_code]["Budget"]) == 1000


def test_the_lead_party_sees_its_restricted_values(contacts, client, officer):
    client.force_login(officer)
    rows = by_reference(
        csv_rows(client.get(EXPORT, {"columns": ["reference_code", "budget_currency", "contact_name"]}))
    )
    assert rows[contacts["p2"].reference_code]["Currency"] == "EUR"
    assert rows[contacts["p2"].reference_code]["Contact person"] == "Wang Fang"


def test_filters_are_the_librarys(contacts, coordinator_client):
    def references(**filters):
        return {row[0] for row in csv_rows(coordinator_client.get(EXPORT, filters))[1:]}

    p = {name: project.reference_code for name, project in contacts.items()}
    assert references(party="KEN") == {p["p1"], p["p3"]}
    assert references(published_from="2025-05-01", published_to="2025-05-10") == {p["p2"]}
    assert references(status="submitted") == {""}  # not published: no reference code yet
    assert references(cooperation_mode="autonomous", sdg="9") == {p["p3"]}
    assert references(q="Kenyan") == {p["p3"]}
    assert references(pillar="4", framework="DEGD-2023") == {p["p2"], p["p3"]}


def test_rows_follow_the_sort_order(contacts, coordinator_client):
    rows = csv_rows(coordinator_client.get(EXPORT, {"sort": "recent", "status": ""}))
    published = [row[-1] for row in rows[1:] if row[-1]]
    assert published == sorted(published, reverse=True)


def test_xlsx_export(contacts, coordinator_client):
    Project.objects.filter(pk=contacts["p3"].pk).update(title_en='=HYPERLINK("http://x")')
    response = coordinator_client.get("/projects/list-export.xlsx", {"columns": ["reference_code", "title", "sdgs"]})
    assert response.status_code == 200
    sheet = workbook(response).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["Reference code", "Title", "SDGs"]
    hyperlink = next(row for row in rows if row[0] == contacts["p3"].reference_code)
    assert hyperlink[1] == '=HYPERLINK("http://x")' and hyperlink[2] == "9; 17"
    cell = next(row[1] for row in sheet.iter_rows() if row[0].value == contacts["p3"].reference_code)
    assert cell.data_type == "s"  # text, not a formula


def test_csv_guards_against_formulas(contacts, coordinator_client):
    Project.objects.filter(pk=contacts["p3"].pk).update(title_en="=1+1")
    rows = by_reference(csv_rows(coordinator_client.get(EXPORT)))
    assert rows[contacts["p3"].reference_code]["Title"] == "'=1+1"


def test_export_in_chinese(contacts, coordinator_client):
    Project.objects.filter(pk=contacts["p1"].pk).update(title_zh_hans="单一窗口互操作试点")
    coordinator_client.cookies["opl_language"] = "zh-hans"
    rows = csv_rows(coordinator_client.get(EXPORT, {"columns": ["reference_code", "title", "status"]}))
    row = next(row for row in rows if row[0] == contacts["p1"].reference_code)
    assert row[1] == "单一窗口互操作试点"
    assert row[2] != "Published" and rows[0][2] != "Status"  # labels and headers in Chinese
    coordinator_client.cookies["opl_language"] = "en"
    rows = csv_rows(coordinator_client.get(EXPORT, {"columns": ["reference_code", "title"]}))
    assert next(row for row in rows if row[0] == contacts["p1"].reference_code)[1].startswith("Single window")


def test_unknown_columns_show_the_form_again(projects, coordinator_client):
    response = coordinator_client.get(EXPORT, {"columns": ["title", "password"]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "The export could not be made" in html and "password" in html


def test_the_form(projects, coordinator_client, client, officer):
    html = coordinator_client.get("/projects/list-export/", {"party": "KEN"}).content.decode()
    assert 'name="columns" value="articles"' in html and 'formaction="/projects/list-export.xlsx"' in html
    assert 'value="draft"' in html and 'value="KEN"' in html
    client.force_login(officer)
    html = client.get("/projects/list-export/").content.decode()
    assert 'value="draft"' not in html  # other statuses only for coordinators
    client.cookies["opl_language"] = "zh-hans"
    assert client.get("/projects/list-export/").status_code == 200


def test_the_library_links_to_the_export_for_signed_in_users(projects, client, officer):
    assert "/projects/list-export/" not in client.get("/projects/").content.decode()
    client.force_login(officer)
    assert "/projects/list-export/?party=KEN" in client.get("/projects/", {"party": "KEN"}).content.decode()


def test_query_count_does_not_grow_with_the_projects(projects, coordinator_client, officer):
    every_column = {"columns": list(__import__("projects.exports.columns").exports.columns.COLUMNS)}

    def count():
        with CaptureQueriesContext(connection) as queries:
            response = coordinator_client.get(EXPORT, every_column | {"party": "CHN"})
            rows = csv_rows(response)
        return len(queries), len(rows)

    before, rows_before = count()
    for _n in range(5):
        draft_project(officer=officer)
    after, rows_after = count()
    assert rows_after == rows_before + 5
    assert after == before
    assert before <= 10  # session, user, device; framework and articles, party; the export
