from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from projects.models import Document, Health, Project, reporting_health
from projects.selectors import health_of, visible_documents
from projects.services import (
    document_add,
    milestone_save,
    participation_request,
    participation_respond,
    progress_report_add,
    project_transition,
)

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 30)


@pytest.fixture
def ongoing(draft, officer, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=coordinator, action="publish")
    return project_transition(project=draft, actor=officer, action="start")


@pytest.mark.parametrize(
    "last_report, overdue, expected",
    [
        (TODAY - timedelta(days=30), False, Health.GREEN),
        (TODAY - timedelta(days=200), False, Health.AMBER),
        (TODAY - timedelta(days=400), False, Health.RED),
        (TODAY - timedelta(days=30), True, Health.RED),
        (None, False, Health.RED),
    ],
)
def test_reporting_health_bands(last_report, overdue, expected):
    started = TODAY - timedelta(days=500)
    assert (
        reporting_health(
            status="ongoing", last_report_on=last_report, has_overdue_milestone=overdue, started_on=started, today=TODAY
        )
        == expected
    )
    assert reporting_health(status="published", last_report_on=None, has_overdue_milestone=True) is None


def test_health_follows_reports_and_milestones(ongoing, officer):
    project = Project.objects.with_reporting().get(pk=ongoing.pk)
    assert health_of(project) == Health.RED  # started 2025-01-01, no report since
    progress_report_add(
        project=ongoing,
        actor=officer,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        narrative="Pilot connected.",
        percent_complete=40,
        language="en",
        indicators=[{"name": "Declarations exchanged", "baseline": 0, "target": 1000, "actual": 420}],
    )
    project = Project.objects.with_reporting().get(pk=ongoing.pk)
    assert health_of(project) == Health.GREEN
    milestone_save(project=ongoing, actor=officer, title="Go-live", due_on=date.today() - timedelta(days=1))
    project = Project.objects.with_reporting().get(pk=ongoing.pk)
    assert health_of(project) == Health.RED


def test_active_participant_reports_for_its_own_party(ongoing, officer, other_officer, other_focal_point):
    with pytest.raises(PermissionDenied):
        progress_report_add(
            project=ongoing,
            actor=other_officer,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 2, 1),
            narrative="x",
            percent_complete=1,
            language="en",
        )
    request = participation_request(project=ongoing, actor=other_focal_point, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    report = progress_report_add(
        project=ongoing,
        actor=other_officer,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 2, 1),
        narrative="Training held.",
        percent_complete=10,
        language="en",
    )
    assert report.party.code == "KEN"


def test_report_validation(ongoing, officer):
    with pytest.raises(ValidationError) as error:
        progress_report_add(
            project=ongoing,
            actor=officer,
            period_start=date(2025, 2, 1),
            period_end=date(2025, 1, 1),
            narrative="x",
            percent_complete=120,
            language="en",
        )
    assert {"period_end", "percent_complete"} <= set(error.value.message_dict)
    assert not ongoing.progress_reports.exists()


def test_documents_are_checked_and_restricted_ones_hidden(ongoing, officer, other_officer):
    pdf = SimpleUploadedFile("plan.pdf", b"%PDF-1.7 test", content_type="application/pdf")
    document_add(project=ongoing, actor=officer, upload=pdf, title="Plan", restricted=True)
    public = SimpleUploadedFile("brief.pdf", b"%PDF-1.7 brief", content_type="application/pdf")
    document_add(project=ongoing, actor=officer, upload=public, title="Brief", restricted=False)
    fake = SimpleUploadedFile("evil.pdf", b"MZ\x90\x00", content_type="application/pdf")
    with pytest.raises(ValidationError, match="does not match"):
        document_add(project=ongoing, actor=officer, upload=fake, title="x", restricted=False)
    script = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        document_add(project=ongoing, actor=officer, upload=script, title="x", restricted=False)
    assert Document.objects.count() == 2
    project = Project.objects.prefetch_related("documents", "participations").get(pk=ongoing.pk)
    assert [d.title for d in visible_documents(officer, project)] == ["Plan", "Brief"]
    assert [d.title for d in visible_documents(other_officer, project)] == ["Brief"]
    with pytest.raises(PermissionDenied):
        document_add(project=ongoing, actor=other_officer, upload=public, title="y", restricted=False)


def test_served_content_type_comes_from_the_checked_extension_not_the_browser(ongoing, officer):
    upload = SimpleUploadedFile("plan.pdf", b"%PDF-1.7 test", content_type="text/html")
    document = document_add(project=ongoing, actor=officer, upload=upload, title="Plan", restricted=False)
    assert document.content_type == "application/pdf"
