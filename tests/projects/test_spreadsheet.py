"""Spreadsheet import and export: template, preview, confirm in one transaction, round trips."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from projects import spreadsheet
from projects.models import ExternalId, ImportBatch, Project, ProjectArticle, Theme
from projects.services import project_transition
from tests.conftest import verify_two_factor
from tests.factories import OrganizationFactory, UserFactory, draft_project, party

pytestmark = pytest.mark.django_db

HEADER = ",".join(spreadsheet.COLUMN_NAMES)


def csv_bytes(*rows: dict, bom: bool = False) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=spreadsheet.COLUMN_NAMES)
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_bytes(*rows: list) -> bytes:
    workbook = Workbook()
    workbook.active.append(spreadsheet.COLUMN_NAMES)
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def good_row(number: int, **overrides) -> dict:
    row = {
        "external_source": "mofcom-db",
        "external_id": f"P-{number}",
        "language": "en",
        "title_en": f"Paperless trade corridor {number}",
        "summary_en": "Electronic documents for border trade.",
        "cooperation_mode": "bilateral",
        "project_type": "technical_cooperation",
        "articles": "DEGD-2023:5*; DEGD-2023:6",
        "themes": "Paperless trade; Single window",
        "sdgs": "9; 17",
        "beneficiary_groups": "msme; women",
        "early_harvest": "yes",
        "countries": "CHN; KEN",
        "start_on": "2025-03-01",
        "end_on": "2026-12-31",
        "budget_amount": "120000.50",
        "budget_currency": "USD",
    }
    row.update(overrides)
    return row


def named(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def upload_batch(client, name, content, **data) -> ImportBatch:
    response = client.post(reverse("projects:import"), {"file": named(name, content), **data})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportBatch.objects.latest("pk")


def confirm(client, batch):
    return client.post(reverse("projects:import_confirm", args=[batch.pk]))


def snapshot():
    """Everything an import may write, to prove that nothing was written."""
    return (
        Project.objects.count(),
        Project.history.count(),
        ProjectArticle.history.count(),
        ExternalId.objects.count(),
        Theme.objects.count(),
    )


# ---------------------------------------------------------------- templates


def test_template_has_the_columns_and_the_allowed_values(client, officer):
    client.force_login(officer)
    response = client.get(reverse("projects:import_template"))
    assert response.status_code == 200
    assert response["Content-Type"] == spreadsheet.XLSX_TYPE
    workbook = load_workbook(io.BytesIO(response.content))
    projects, allowed = workbook.worksheets
    assert [cell.value for cell in projects[1]] == spreadsheet.COLUMN_NAMES
    assert projects.max_row == 1
    values = {(row[0], row[1]): row[2:] for row in allowed.iter_rows(min_row=2, values_only=True)}
    assert values[("cooperation_mode", "bilateral")][1] == "Bilateral"
    assert ("language", "zh-hans") in values and ("project_type", "pilot_zone") in values
    assert ("beneficiary_groups", "msme") in values and ("sdgs", "17") in values
    assert ("budget_currency", "CNY") in values and ("budget_currency", "USD") in values
    assert values[("countries", "KEN")] == ("肯尼亚", "Kenya")
    assert ("articles", "DEGD-2023:5") in values and ("articles", "DEGD-2023:35") in values
    lists = {str(dv.sqref).split(":")[0][:-1]: dv.formula1 for dv in projects.data_validations.dataValidation}
    mode_letter = chr(ord("A") + spreadsheet.COLUMN_NAMES.index("cooperation_mode"))
    assert lists[mode_letter].startswith("'Allowed values'!$B$")


def test_csv_template_is_the_header_row(client, officer):
    client.force_login(officer)
    response = client.get(reverse("projects:import_template_csv"))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").strip() == HEADER


# ---------------------------------------------------------------- adding


def test_csv_with_three_good_rows_creates_three_drafts(client, officer):
    client.force_login(officer)
    content = csv_bytes(good_row(1), good_row(2, articles="DEGD-2023:7"), good_row(3, themes="Smart ports"))
    batch = upload_batch(client, "projects.csv", content)
    assert batch.party == officer.party and batch.uploaded_by == officer and len(batch.sha256) == 64

    preview = client.get(reverse("projects:import_preview", args=[batch.pk]))
    assert preview.status_code == 200
    report = preview.context["report"]
    assert [plan.action for plan in report.rows] == ["add", "add", "add"]
    assert not report.has_errors, report.errors
    assert Project.objects.count() == 0  # the preview saved nothing

    response = confirm(client, batch)
    assert response.status_code == 302
    projects = Project.objects.order_by("pk")
    assert projects.count() == 3
    first = projects[0]
    assert first.status == "draft" and first.lead_party == officer.party and first.created_by == officer
    assert [(link.article.number, link.is_primary) for link in first.article_links.all()] == [(5, True), (6, False)]
    assert set(first.themes.values_list("name", flat=True)) == {"Paperless trade", "Single window"}
    assert set(first.sdgs.values_list("number", flat=True)) == {9, 17}
    assert first.beneficiary_groups == ["msme", "women"] and first.countries == ["CHN", "KEN"]
    assert first.early_harvest is True and first.budget_amount == Decimal("120000.50")
    assert (first.start_on, first.end_on) == (date(2025, 3, 1), date(2026, 12, 31))
    assert ExternalId.objects.get(project=first).external_id == "P-1"
    assert projects[1].primary_article.number == 7  # a single article is the primary one
    batch.refresh_from_db()
    assert batch.applied_at is not None and batch.summary["add"] == 3


def test_preview_warns_about_new_themes_and_missing_translations(client, officer):
    client.force_login(officer)
    batch = upload_batch(client, "projects.csv", csv_bytes(good_row(1, themes="Quantum logistics")))
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    warnings = {issue.column: issue.message for _row, issue in report.warnings}
    assert "Quantum logistics" in warnings["themes"]
    assert "title_zh_hans" in warnings
    assert not report.has_errors
    assert not Theme.objects.filter(name="Quantum logistics").exists()


def test_a_bad_row_saves_nothing_and_the_preview_lists_errors_by_row_and_column(client, officer):
    client.force_login(officer)
    before = snapshot()
    bad = good_row(2, articles="DEGD-2023:99*", start_on="2026-01-01", end_on="2025-01-01")
    bad.update(budget_currency="XYZ", countries="CHN; ATL")
    content = csv_bytes(good_row(1), bad, good_row(3, external_id="P-1"))
    batch = upload_batch(client, "projects.csv", content)
    response = client.get(reverse("projects:import_preview", args=[batch.pk]))
    errors = [(row, issue.column) for row, issue in response.context["report"].errors]
    assert errors == [
        (3, "articles"),
        (3, "countries"),
        (3, "end_on"),
        (3, "budget_currency"),
        (4, "external_id"),  # the same new project twice in one file
    ]
    page = response.content.decode()
    assert "DEGD-2023:99" in page and "ATL" in page
    assert reverse("projects:import_confirm", args=[batch.pk]) not in page  # no confirm button

    response = confirm(client, batch)
    assert response.status_code == 400
    assert snapshot() == before
    batch.refresh_from_db()
    assert batch.applied_at is None


def test_errors_are_in_the_users_language(client, officer):
    client.force_login(officer)
    client.cookies["opl_language"] = "zh-hans"
    batch = upload_batch(client, "projects.csv", csv_bytes(good_row(1, budget_currency="XYZ")))
    response = client.get(reverse("projects:import_preview", args=[batch.pk]))
    assert response.status_code == 200 and '<html lang="zh-Hans">' in response.content.decode()
    # The report is made for each request, so its messages are in the language of the page.
    assert [(row, issue.column) for row, issue in response.context["report"].errors] == [(2, "budget_currency")]


# ---------------------------------------------------------------- updating and round trips


def export(client, suffix: str) -> bytes:
    response = client.get(reverse(f"projects:export_{suffix}"))
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("suffix", ["xlsx", "csv"])
def test_round_trip_reports_updates_without_changes_and_writes_nothing(client, officer, suffix):
    organization = OrganizationFactory(party=officer.party, name_en="Ministry of Commerce", name_zh_hans="商务部")
    draft_project(
        officer=officer,
        language="zh-hans",
        title_zh_hans="数字口岸“单一窗口”互联互通",
        summary_zh_hans="促进无纸贸易，=SUM(1)",
        title_en="",
        lead_organization=organization,
        contact_name="王芳",
        contact_phone="+86 10 1234 5678",
        beneficiary_groups=["msme"],
    )
    published = draft_project(officer=officer, title_en="Published one")
    published.reference_code = "DEGD-2025-0001"
    published.status = "published"
    published.save()
    ExternalId.objects.create(project=published, source="mofcom-db", external_id="X-9")
    client.force_login(officer)
    content = export(client, suffix)
    before = snapshot()

    batch = upload_batch(client, f"export.{suffix}", content)
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    assert [(plan.action, plan.changes) for plan in report.rows] == [("update", []), ("update", [])]
    assert not report.has_errors

    assert confirm(client, batch).status_code == 302
    assert snapshot() == before
    chinese = Project.objects.get(language="zh-hans")
    assert chinese.title_zh_hans == "数字口岸“单一窗口”互联互通"
    assert chinese.summary_zh_hans == "促进无纸贸易，=SUM(1)"
    assert chinese.contact_phone == "+86 10 1234 5678"


def test_chinese_survives_a_csv_with_bom(client, officer):
    client.force_login(officer)
    row = good_row(1, language="zh-hans", title_zh_hans="绿色低碳贸易示范点", title_en="", themes="绿色金融；数字身份")
    batch = upload_batch(client, "projects.csv", csv_bytes(row, bom=True))
    assert confirm(client, batch).status_code == 302
    project = Project.objects.get()
    assert project.title_zh_hans == "绿色低碳贸易示范点"
    assert set(project.themes.values_list("name", flat=True)) == {"绿色金融", "数字身份"}
    exported = export(client, "csv")
    assert exported.startswith("\ufeff".encode())
    assert "绿色低碳贸易示范点" in exported.decode("utf-8-sig")


def test_chinese_and_excel_dates_survive_an_xlsx(client, officer):
    client.force_login(officer)
    values = good_row(1, language="zh-hans", title_zh_hans="跨境电子支付", title_en="")
    row = [values.get(name, "") for name in spreadsheet.COLUMN_NAMES]
    row[spreadsheet.COLUMN_NAMES.index("start_on")] = date(2025, 3, 1)  # a real date cell
    row[spreadsheet.COLUMN_NAMES.index("budget_amount")] = 120000.5
    batch = upload_batch(client, "projects.xlsx", xlsx_bytes(row))
    assert confirm(client, batch).status_code == 302
    project = Project.objects.get()
    assert (project.title_zh_hans, project.start_on, project.budget_amount) == (
        "跨境电子支付",
        date(2025, 3, 1),
        Decimal("120000.50"),
    )


def test_an_edited_export_updates_the_draft(client, officer, draft):
    client.force_login(officer)
    rows = list(csv.DictReader(io.StringIO(export(client, "csv").decode("utf-8-sig"))))
    rows[0].update(title_en="Renamed pilot", articles="DEGD-2023:6*", sdgs="", budget_amount="99.99")
    batch = upload_batch(client, "edited.csv", csv_bytes(*rows))
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    assert report.rows[0].action == "update"
    assert set(report.rows[0].changes) == {"title_en", "articles", "sdgs", "budget_amount"}
    assert confirm(client, batch).status_code == 302
    draft.refresh_from_db()
    assert draft.title_en == "Renamed pilot" and draft.budget_amount == Decimal("99.99")
    assert draft.primary_article.number == 6 and draft.article_links.count() == 1
    assert not draft.sdgs.exists()
    assert Project.objects.count() == 1


def test_updating_another_partys_project_by_reference_is_an_error(client, officer, other_officer):
    theirs = draft_project(officer=other_officer, title_en="Kenyan project")
    theirs.reference_code = "DEGD-2025-0042"
    theirs.status = "published"
    theirs.save()
    client.force_login(officer)
    before = snapshot()
    batch = upload_batch(
        client, "p.csv", csv_bytes(good_row(1, reference_code="DEGD-2025-0042", external_source="", external_id=""))
    )
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    assert [(row, issue.column) for row, issue in report.errors] == [(2, "reference_code")]
    assert confirm(client, batch).status_code == 400
    theirs.refresh_from_db()
    assert theirs.title_en == "Kenyan project" and snapshot() == before


def test_changing_a_submitted_project_is_an_error(client, officer, draft):
    project_transition(project=draft, actor=officer, action="submit")
    client.force_login(officer)
    batch = upload_batch(
        client, "p.csv", csv_bytes(good_row(1, external_source="opl", external_id=str(draft.pk), title_en="New"))
    )
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    assert report.rows[0].action == "update"
    assert [issue.column for _row, issue in report.errors] == ["external_id"]
    draft.refresh_from_db()
    assert draft.title_en == "Single window interoperability pilot"


def test_a_batch_cannot_be_confirmed_twice(client, officer):
    client.force_login(officer)
    batch = upload_batch(client, "projects.csv", csv_bytes(good_row(1)))
    assert confirm(client, batch).status_code == 302
    response = confirm(client, batch)
    assert response.status_code == 409
    assert Project.objects.count() == 1


# ---------------------------------------------------------------- restricted values


def test_export_hides_restricted_values_from_those_who_may_not_see_them(officer):
    project = draft_project(officer=officer, budget_restricted=True, contact_name="Li Wei", contact_restricted=True)
    outsider = UserFactory(role="officer", party=party("KEN"))
    row = dict(zip(spreadsheet.COLUMN_NAMES, next(spreadsheet.export_rows([project], actor=outsider)), strict=True))
    assert (row["budget_amount"], row["budget_currency"], row["contact_name"]) == ("", "", "")
    assert row["title_en"] == project.title_en
    insider = dict(zip(spreadsheet.COLUMN_NAMES, next(spreadsheet.export_rows([project], actor=officer)), strict=True))
    assert (insider["budget_amount"], insider["contact_name"]) == (Decimal("250000.00"), "Li Wei")


def test_an_empty_restricted_value_does_not_clear_the_stored_one(client, officer, draft):
    draft.budget_restricted = True
    draft.contact_name = "Li Wei"
    draft.save()
    client.force_login(officer)
    row = good_row(1, external_source="opl", external_id=str(draft.pk), title_en=draft.title_en)
    row.update(budget_amount="", budget_currency="", contact_name="", budget_restricted="")
    batch = upload_batch(client, "p.csv", csv_bytes(row))
    report = client.get(reverse("projects:import_preview", args=[batch.pk])).context["report"]
    assert {issue.column for _row, issue in report.warnings} >= {"budget_amount", "budget_currency", "contact_name"}
    assert not {"budget_amount", "budget_currency", "contact_name"} & set(report.rows[0].changes)
    assert confirm(client, batch).status_code == 302
    draft.refresh_from_db()
    assert (draft.budget_amount, draft.budget_currency, draft.contact_name) == (Decimal("250000.00"), "USD", "Li Wei")


# ---------------------------------------------------------------- who may do what


def test_another_partys_officer_gets_404_on_someone_elses_batch(client, officer, other_officer):
    client.force_login(officer)
    batch = upload_batch(client, "projects.csv", csv_bytes(good_row(1)))
    client.force_login(other_officer)
    assert client.get(reverse("projects:import_preview", args=[batch.pk])).status_code == 404
    assert confirm(client, batch).status_code == 404
    assert not Project.objects.exists()
    batch.refresh_from_db()
    assert batch.applied_at is None


def test_a_coordinator_imports_for_a_chosen_party(client, coordinator):
    verify_two_factor(client, coordinator)
    kenya = party("KEN")
    response = client.post(reverse("projects:import"), {"file": named("p.csv", csv_bytes(good_row(1)))})
    assert response.status_code == 400 and not ImportBatch.objects.exists()  # the party is required
    batch = upload_batch(client, "p.csv", csv_bytes(good_row(1)), party=kenya.pk)
    assert confirm(client, batch).status_code == 302
    assert Project.objects.get().lead_party == kenya


def test_focal_point_imports_for_own_party(client, focal_point):
    verify_two_factor(client, focal_point)
    batch = upload_batch(client, "p.csv", csv_bytes(good_row(1)))
    assert batch.party == focal_point.party
    assert confirm(client, batch).status_code == 302
    assert Project.objects.get().lead_party == focal_point.party


def test_people_without_a_party_role_cannot_import(client):
    partner = UserFactory(role="partner_system", party=party("CHN"))
    client.force_login(partner)
    response = client.post(reverse("projects:import"), {"file": named("p.csv", csv_bytes(good_row(1)))})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("projects.txt", b"a,b", "xlsx"),
        ("projects.xlsx", b"not a zip", "Excel"),
        ("projects.csv", "title_en\n".encode("utf-16"), "UTF-8"),
        ("projects.csv", b"title,colour\nA,red\n", "Unknown columns"),
        ("projects.csv", b"\n\n", "empty"),
        ("projects.csv", b'title_en\n"' + b"x" * 200_000 + b'"\n', "cannot be read"),
    ],
)
def test_wrong_files_are_refused_beside_the_field(client, officer, name, content, message):
    client.force_login(officer)
    response = client.post(reverse("projects:import"), {"file": named(name, content)})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert not ImportBatch.objects.exists()


def test_files_over_5_mb_are_refused(client, officer):
    client.force_login(officer)
    content = HEADER.encode() + b"\n" + b" " * (spreadsheet.MAX_BYTES + 1)
    response = client.post(reverse("projects:import"), {"file": named("big.csv", content)})
    assert response.status_code == 400
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize(
    "name, args",
    [
        ("projects:import", []),
        ("projects:import_template", []),
        ("projects:import_template_csv", []),
        ("projects:import_preview", [1]),
        ("projects:import_confirm", [1]),
        ("projects:export_xlsx", []),
        ("projects:export_csv", []),
    ],
)
def test_anonymous_users_are_sent_to_sign_in(client, name, args):
    url = reverse(name, args=args)
    for method in (client.get, client.post):
        response = method(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not ImportBatch.objects.exists() and not Project.objects.exists()


def test_import_page_links_to_the_templates_and_exports(client, officer):
    client.force_login(officer)
    response = client.get(reverse("projects:import"))
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("import_template", "import_template_csv", "export_xlsx", "export_csv"):
        assert reverse(f"projects:{name}") in page


# ---------------------------------------------------------------- export


def test_export_holds_only_the_partys_projects_and_coordinators_see_all(client, officer, other_officer, coordinator):
    mine = draft_project(officer=officer, title_en="Ours")
    draft_project(officer=other_officer, title_en="Theirs")
    client.force_login(officer)
    rows = list(csv.DictReader(io.StringIO(export(client, "csv").decode("utf-8-sig"))))
    assert [(row["title_en"], row["external_id"]) for row in rows] == [("Ours", str(mine.pk))]
    verify_two_factor(client, coordinator)
    rows = list(csv.DictReader(io.StringIO(export(client, "csv").decode("utf-8-sig"))))
    assert {row["title_en"] for row in rows} == {"Ours", "Theirs"}
    response = client.get(reverse("projects:export_csv"), {"party": "KEN"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [row["title_en"] for row in rows] == ["Theirs"]


def test_export_queries_do_not_grow_with_the_projects(client, officer, django_assert_max_num_queries):
    for number in range(3):
        draft_project(officer=officer, title_en=f"Project {number}")
    client.force_login(officer)
    with django_assert_max_num_queries(14) as few:
        export(client, "xlsx")
    for number in range(3, 12):
        draft_project(officer=officer, title_en=f"Project {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        content = export(client, "xlsx")
    assert load_workbook(io.BytesIO(content)).worksheets[0].max_row == 13


def test_xlsx_export_never_writes_formulas(officer):
    draft_project(officer=officer, title_en='=HYPERLINK("http://evil")')
    content = spreadsheet.write_xlsx(spreadsheet.export_rows(Project.objects.all(), actor=officer))
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    cell = sheet.cell(row=2, column=spreadsheet.COLUMN_NAMES.index("title_en") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")


def test_planning_queries_do_not_grow_with_the_rows(officer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def plan_export():
        content = spreadsheet.write_csv(
            spreadsheet.export_rows(spreadsheet.export_projects(actor=officer), actor=officer)
        )
        table = spreadsheet.read_table("export.csv", content)
        with CaptureQueriesContext(connection) as queries:
            plans = spreadsheet.plan_rows(table, actor=officer, party=officer.party)
        assert {plan.action for plan in plans} == {"update"} and not any(plan.errors for plan in plans)
        return len(queries.captured_queries)

    for number in range(2):
        draft_project(officer=officer, title_en=f"Project {number}")
    few = plan_export()
    for number in range(2, 10):
        draft_project(officer=officer, title_en=f"Project {number}")
    assert plan_export() == few


def test_a_coordinator_may_open_an_officers_batch(client, officer, coordinator):
    client.force_login(officer)
    batch = upload_batch(client, "projects.csv", csv_bytes(good_row(1)))
    verify_two_factor(client, coordinator)
    response = client.get(reverse("projects:import_preview", args=[batch.pk]))
    assert response.status_code == 200 and response.context["report"].counts["add"] == 1
