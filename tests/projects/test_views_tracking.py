"""Tracking through HTTP: milestones, progress reports with indicators, documents and their download."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Document, Indicator, Milestone, ProgressReport
from projects.services import (
    document_add,
    milestone_save,
    participation_confirm,
    participation_request,
    participation_respond,
    project_transition,
)
from tests.conftest import verify_two_factor
from tests.factories import UserFactory, draft_project, party

pytestmark = pytest.mark.django_db


def pdf(name="plan.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test document", content_type="application/pdf")


@pytest.fixture
def ongoing(officer, coordinator):
    project = draft_project(officer=officer)
    project_transition(project=project, actor=officer, action="submit")
    project_transition(project=project, actor=coordinator, action="publish")
    return project_transition(project=project, actor=officer, action="start")


@pytest.fixture
def second_draft(officer):
    return draft_project(officer=officer, title_en="Green port pilot")


def assert_login_redirect(response):
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Milestones -------------------------------------------------------------------------------


def add_milestone(client, project, **data):
    return client.post(reverse("projects:milestone_add", args=[project.pk]), data)


def test_lead_officer_adds_a_milestone_and_marks_it_done(client, ongoing, officer):
    client.force_login(officer)
    assert client.get(reverse("projects:milestone_add", args=[ongoing.pk])).status_code == 200
    response = add_milestone(client, ongoing, title="Pilot launch", due_on="2030-03-01")
    assert response.status_code == 302 and response.url.endswith("#milestones")
    milestone = Milestone.objects.get(project=ongoing)
    assert (milestone.title, milestone.due_on, milestone.done_on) == ("Pilot launch", date(2030, 3, 1), None)

    response = client.post(reverse("projects:milestone_done", args=[milestone.pk]), {"done_on": "2030-02-20"})
    assert response.status_code == 302
    assert Milestone.objects.get(pk=milestone.pk).done_on == date(2030, 2, 20)


def test_milestone_errors_are_shown_beside_the_fields_and_the_input_kept(client, ongoing, officer):
    client.force_login(officer)
    response = add_milestone(client, ongoing, title="Pilot launch", due_on="not a date")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html and 'id="id_due_on_error"' in html
    assert 'value="Pilot launch"' in html
    assert not Milestone.objects.exists()


def test_milestones_refused_to_other_parties_and_anonymous(client, ongoing, second_draft, officer, other_officer):
    milestone = milestone_save(project=ongoing, actor=officer, title="Launch", due_on=date(2030, 1, 1))
    client.force_login(other_officer)
    assert client.get(reverse("projects:milestone_add", args=[ongoing.pk])).status_code == 403
    assert add_milestone(client, ongoing, title="Mine", due_on="2030-01-01").status_code == 403
    assert add_milestone(client, second_draft, title="Mine", due_on="2030-01-01").status_code == 404
    done = reverse("projects:milestone_done", args=[milestone.pk])
    assert client.post(done, {"done_on": "2030-01-01"}).status_code == 403
    client.logout()
    assert_login_redirect(add_milestone(client, ongoing, title="Mine", due_on="2030-01-01"))
    assert_login_redirect(client.post(done, {"done_on": "2030-01-01"}))
    assert list(Milestone.objects.values_list("title", "done_on")) == [("Launch", None)]


# --- Progress reports -------------------------------------------------------------------------


def report_data(**overrides):
    data = {
        "period_start": "2025-01-01",
        "period_end": "2025-06-30",
        "percent_complete": "40",
        "language": "en",
        "narrative": "Two ports connected.",
        "indicators-TOTAL_FORMS": "3",
        "indicators-INITIAL_FORMS": "0",
        "indicators-MIN_NUM_FORMS": "0",
        "indicators-MAX_NUM_FORMS": "30",
        "indicators-0-name": "Declarations exchanged",
        "indicators-0-unit": "count",
        "indicators-0-baseline": "0",
        "indicators-0-target": "1000",
        "indicators-0-actual": "420",
        "indicators-1-name": "Ports connected",
        "indicators-1-actual": "2",
    }
    data.update(overrides)
    return data


def add_report(client, project, data):
    return client.post(reverse("projects:report_add", args=[project.pk]), data)


def test_lead_officer_adds_a_report_with_indicators(client, ongoing, officer):
    client.force_login(officer)
    form = client.get(reverse("projects:report_add", args=[ongoing.pk]))
    assert form.status_code == 200 and 'name="indicators-TOTAL_FORMS"' in form.content.decode()
    response = add_report(client, ongoing, report_data())
    assert response.status_code == 302 and response.url.endswith("#reports")
    report = ProgressReport.objects.get(project=ongoing)
    assert (report.percent_complete, report.party.code, report.author) == (40, "CHN", officer)
    rows = list(report.indicators.values_list("name", "baseline", "target", "actual"))
    assert rows == [("Declarations exchanged", 0, 1000, 420), ("Ports connected", None, None, 2)]


def test_report_errors_keep_everything_typed(client, ongoing, officer):
    client.force_login(officer)
    response = add_report(client, ongoing, report_data(period_end="2024-12-31", **{"indicators-1-target": "lots"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "The end of the period cannot be before its start." in html
    assert 'id="id_period_end_error"' in html and 'id="id_indicators-1-target_error"' in html
    assert "Two ports connected." in html and 'value="Declarations exchanged"' in html and 'value="lots"' in html
    assert not ProgressReport.objects.exists() and not Indicator.objects.exists()


def test_indicator_without_a_name_is_refused(client, ongoing, officer):
    client.force_login(officer)
    response = add_report(client, ongoing, report_data(**{"indicators-2-actual": "5"}))
    assert response.status_code == 200 and 'id="id_indicators-2-name_error"' in response.content.decode()
    assert not ProgressReport.objects.exists()


def test_active_participant_reports_for_its_own_party(client, ongoing, officer, other_officer, other_focal_point):
    request = participation_request(project=ongoing, actor=other_officer, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    participation_confirm(participation=request, actor=other_focal_point, accept=True)
    client.force_login(other_officer)
    add_report(client, ongoing, report_data())
    assert ProgressReport.objects.get(project=ongoing).party == party("KEN")


def test_reports_refused_to_other_parties_drafts_and_anonymous(client, ongoing, second_draft, officer, other_officer):
    client.force_login(officer)
    assert client.get(reverse("projects:report_add", args=[second_draft.pk])).status_code == 403  # not running
    client.force_login(other_officer)
    assert client.get(reverse("projects:report_add", args=[ongoing.pk])).status_code == 403
    assert add_report(client, ongoing, report_data()).status_code == 403
    assert add_report(client, second_draft, report_data()).status_code == 404
    client.logout()
    assert_login_redirect(client.get(reverse("projects:report_add", args=[ongoing.pk])))
    assert_login_redirect(add_report(client, ongoing, report_data()))
    assert not ProgressReport.objects.exists()


def test_coordinator_can_report(client, ongoing, coordinator):
    verify_two_factor(client, coordinator)
    add_report(client, ongoing, report_data())
    assert ProgressReport.objects.get(project=ongoing).party == party("CHN")


# --- Documents --------------------------------------------------------------------------------


def upload(client, project, file, **data):
    return client.post(reverse("projects:document_add", args=[project.pk]), {"file": file, **data})


def test_lead_officer_uploads_a_document(client, ongoing, officer):
    client.force_login(officer)
    assert client.get(reverse("projects:document_add", args=[ongoing.pk])).status_code == 200
    response = upload(client, ongoing, pdf("work-plan.pdf"), title="Work plan", restricted="on")
    assert response.status_code == 302 and response.url.endswith("#documents")
    document = Document.objects.get(project=ongoing)
    assert (document.title, document.restricted, document.uploaded_by) == ("Work plan", True, officer)


def test_bad_file_is_refused_beside_the_field(client, ongoing, officer):
    client.force_login(officer)
    fake = SimpleUploadedFile("plan.pdf", b"MZ not a pdf", content_type="application/pdf")
    response = upload(client, ongoing, fake, title="Plan")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_file_error"' in html and "does not match its type" in html and 'value="Plan"' in html
    assert not Document.objects.exists()


def test_upload_refused_to_other_parties_and_anonymous(client, ongoing, second_draft, other_officer):
    client.force_login(other_officer)
    assert client.get(reverse("projects:document_add", args=[ongoing.pk])).status_code == 403
    assert upload(client, ongoing, pdf()).status_code == 403
    assert upload(client, second_draft, pdf()).status_code == 404
    client.logout()
    assert_login_redirect(upload(client, ongoing, pdf()))
    assert not Document.objects.exists()


@pytest.fixture
def documents(ongoing, officer):
    public = document_add(project=ongoing, actor=officer, upload=pdf("plan.pdf"), title="Plan", restricted=False)
    secret = document_add(project=ongoing, actor=officer, upload=pdf("budget.pdf"), title="Budget", restricted=True)
    return public, secret


def download(client, document):
    return client.get(reverse("projects:document", args=[document.pk]))


def test_public_document_streams_as_an_attachment_to_anyone(client, documents):
    public, _secret = documents
    response = download(client, public)
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Plan.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test document"


def test_restricted_document_is_404_for_anonymous_and_other_parties(client, documents, other_officer):
    _public, secret = documents
    assert download(client, secret).status_code == 404
    client.force_login(other_officer)
    assert download(client, secret).status_code == 404


def test_restricted_document_for_participants_and_coordinators(client, documents, officer, coordinator):
    _public, secret = documents
    client.force_login(officer)
    response = download(client, secret)
    assert response.status_code == 200 and response["Content-Disposition"] == 'attachment; filename="Budget.pdf"'
    verify_two_factor(client, coordinator)
    assert download(client, secret).status_code == 200


def test_documents_of_invisible_projects_are_404(client, second_draft, officer, other_officer):
    document = document_add(project=second_draft, actor=officer, upload=pdf(), title="Draft plan", restricted=False)
    assert download(client, document).status_code == 404
    client.force_login(other_officer)
    assert download(client, document).status_code == 404
    client.force_login(officer)
    assert download(client, document).status_code == 200


def test_download_name_comes_from_the_title(client, ongoing, officer):
    document = document_add(project=ongoing, actor=officer, upload=pdf("x.PDF"), title="计划 a/b: v2", restricted=False)
    response = download(client, document)
    assert response["Content-Disposition"] == "attachment; filename*=utf-8''%E8%AE%A1%E5%88%92%20a%20b%20v2.pdf"


def test_unknown_document_is_404(client, officer):
    client.force_login(officer)
    assert client.get(reverse("projects:document", args=[999999])).status_code == 404


def test_tracking_forms_shown_only_to_those_who_track(client, ongoing, officer, other_officer):
    client.force_login(officer)
    html = client.get(ongoing.get_absolute_url()).content.decode()
    assert reverse("projects:milestone_add", args=[ongoing.pk]) in html
    assert reverse("projects:report_add", args=[ongoing.pk]) in html
    assert reverse("projects:document_add", args=[ongoing.pk]) in html
    client.force_login(UserFactory(role="officer", party=party("THA")))
    html = client.get(ongoing.get_absolute_url()).content.decode()
    assert reverse("projects:milestone_add", args=[ongoing.pk]) not in html
    assert reverse("projects:report_add", args=[ongoing.pk]) not in html
