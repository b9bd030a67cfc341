"""The project page (disclosure rules, content, bounded queries) and the history page."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import ProgressReport
from projects.services import (
    document_add,
    milestone_save,
    participation_confirm,
    participation_request,
    participation_respond,
    progress_report_add,
    project_transition,
    project_update,
    review_comment_add,
)
from projects.services.editing import ArticleTag
from tests.conftest import verify_two_factor
from tests.factories import UserFactory, article, draft_project, party

pytestmark = pytest.mark.django_db

CONTACT = {"contact_name": "Li Wei", "contact_email": "li.wei@example.org", "contact_phone": "+86 10 5555 0101"}


def pdf(name="plan.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4 test document", content_type="application/pdf")


@pytest.fixture
def published(officer, coordinator):
    project = draft_project(
        officer=officer, **CONTACT, contact_restricted=True, budget_restricted=True, funding_sources="MOFCOM"
    )
    project_transition(project=project, actor=officer, action="submit")
    project = project_transition(project=project, actor=coordinator, action="publish")
    document_add(project=project, actor=officer, upload=pdf("public-plan.pdf"), title="Public plan", restricted=False)
    document_add(project=project, actor=officer, upload=pdf("budget.pdf"), title="Budget sheet", restricted=True)
    return project


def page(client, project):
    return client.get(reverse("projects:detail", kwargs={"pk": project.pk}))


def test_published_page_is_public_without_contact_or_restricted_parts(client, published):
    response = page(client, published)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Single window interoperability pilot" in html
    assert published.reference_code in html
    assert "status-published" in html
    assert "Public plan" in html and reverse("projects:document", args=[published.documents.first().pk]) in html
    assert "Budget sheet" not in html
    assert "250,000.00" not in html and "250000" not in html
    assert "Li Wei" not in html and "li.wei@example.org" not in html
    assert "MOFCOM" in html  # funding sources are public


def test_contact_is_never_shown_to_anonymous_users_even_when_not_restricted(client, officer, coordinator):
    project = draft_project(officer=officer, **CONTACT, contact_restricted=False)
    project_transition(project=project, actor=officer, action="submit")
    project_transition(project=project, actor=coordinator, action="publish")
    assert "Li Wei" not in page(client, project).content.decode()
    client.force_login(UserFactory(role="officer", party=party("THA")))
    assert "Li Wei" in page(client, project).content.decode()  # not restricted: any signed-in person


def test_participant_and_coordinator_see_contact_budget_and_restricted_documents(
    client, published, officer, coordinator
):
    for user in (officer, coordinator):
        if user.needs_two_factor:
            verify_two_factor(client, user)
        else:
            client.force_login(user)
        html = page(client, published).content.decode()
        assert "Li Wei" in html and "mailto:li.wei@example.org" in html
        assert "USD 250,000.00" in html
        assert "Budget sheet" in html


def test_another_partys_officer_sees_the_public_page_only(client, published, other_officer):
    client.force_login(other_officer)
    html = page(client, published).content.decode()
    assert "Li Wei" not in html and "Budget sheet" not in html and "250,000.00" not in html
    assert "Ask to join this project" in html
    assert reverse("projects:history", args=[published.pk]) not in html


def test_active_participant_sees_restricted_parts(client, published, officer, other_officer, other_focal_point):
    request = participation_request(project=published, actor=other_officer, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    participation_confirm(participation=request, actor=other_focal_point, accept=True)
    client.force_login(other_officer)
    html = page(client, published).content.decode()
    assert "Li Wei" in html and "Budget sheet" in html


def test_draft_is_404_for_anonymous_and_other_parties(client, draft, other_officer, officer):
    assert page(client, draft).status_code == 404
    client.force_login(other_officer)
    assert page(client, draft).status_code == 404
    client.force_login(officer)
    assert page(client, draft).status_code == 200


def participants(html: str) -> str:
    start = html.index('<ul class="participant-list">')
    return html[start : html.index("</ul>", start)]


def test_only_active_participations_are_listed(client, published, officer, other_officer, other_focal_point):
    request = participation_request(project=published, actor=other_officer, role="partner")
    participation_respond(participation=request, actor=officer, accept=True)
    listed = participants(page(client, published).content.decode())
    assert "Kenya" not in listed
    assert "China" in listed and "Lead" in listed
    participation_confirm(participation=request, actor=other_focal_point, accept=True)
    listed = participants(page(client, published).content.decode())
    assert "Kenya" in listed and "Partner" in listed


def test_articles_primary_first_with_notes_and_pillars(client, officer, coordinator):
    tags = [ArticleTag(article(6), note="Paperless trade"), ArticleTag(article(5), is_primary=True, note="Main aim")]
    project = draft_project(officer=officer, article_tags=tags)
    project_transition(project=project, actor=officer, action="submit")
    project_transition(project=project, actor=coordinator, action="publish")
    html = page(client, project).content.decode()
    primary, other = article(5).get_absolute_url(), article(6).get_absolute_url()
    assert html.index(primary) < html.index(other)
    assert "Main aim" in html and "Paperless trade" in html
    assert f"#pillar-{article(5).pillar.number}" in html


def test_ongoing_project_shows_health_milestones_reports_and_indicators(client, published, officer):
    project = project_transition(project=published, actor=officer, action="start")
    milestone_save(project=project, actor=officer, title="Pilot launch", due_on=date.today() - timedelta(days=3))
    milestone_save(project=project, actor=officer, title="Evaluation", due_on=date.today() + timedelta(days=30))
    progress_report_add(
        project=project,
        actor=officer,
        period_start=date(2025, 1, 1),
        period_end=date(2025, 6, 30),
        narrative="Two ports connected.",
        percent_complete=40,
        language="en",
        indicators=[{"name": "Declarations exchanged", "unit": "count", "baseline": 0, "target": 1000, "actual": 420}],
    )
    html = page(client, project).content.decode()
    assert "health-red" in html  # an overdue milestone
    assert f"last progress report {timezone.localdate():%Y-%m-%d}" in html
    assert html.count("badge-overdue") == 1 and "Pilot launch" in html
    assert "Two ports connected." in html and "Declarations exchanged" in html
    assert "420" in html and "1,000" in html
    assert "Reported by China" in html


def test_review_record_is_shown_to_the_lead_party_not_to_the_public(client, draft, officer, focal_point):
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=focal_point, action="return", comment="Add the budget breakdown.")
    review_comment_add(project=draft, actor=officer, text="Will do.")
    client.force_login(officer)
    html = page(client, draft).content.decode()
    assert "Add the budget breakdown." in html and "Will do." in html
    assert "Returned for changes" in html and "focal_chn (CHN)" in html
    project_transition(project=draft, actor=officer, action="resubmit")
    project_transition(project=draft, actor=focal_point, action="publish")
    client.logout()
    html = page(client, draft).content.decode()
    assert "Add the budget breakdown." not in html and "focal_chn" not in html


def test_buttons_only_for_allowed_actions(client, draft, officer, focal_point):
    client.force_login(officer)
    html = page(client, draft).content.decode()
    assert reverse("projects:transition", args=[draft.pk, "submit"]) in html
    assert reverse("projects:transition", args=[draft.pk, "publish"]) not in html
    project_transition(project=draft, actor=officer, action="submit")
    verify_two_factor(client, focal_point)
    html = page(client, draft).content.decode()
    assert reverse("projects:transition", args=[draft.pk, "publish"]) in html
    assert 'id="comment-return" name="comment" rows="3" required' in html
    assert reverse("projects:transition", args=[draft.pk, "submit"]) not in html


def test_page_in_chinese(client, published):
    client.cookies["opl_language"] = "zh-hans"
    response = page(client, published)
    assert response.status_code == 200
    assert '<html lang="zh-Hans">' in response.content.decode()


def _fill(project, officer, other_parties, n):
    for i in range(n):
        milestone_save(project=project, actor=officer, title=f"Step {i}", due_on=date(2030, 1, 1 + i))
        progress_report_add(
            project=project,
            actor=officer,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 3, 1 + i),
            narrative=f"Report {i}",
            percent_complete=10 + i,
            language="en",
            indicators=[{"name": f"Indicator {i}-{k}", "actual": k} for k in range(3)],
        )
        document_add(
            project=project, actor=officer, upload=pdf(f"doc{i}.pdf"), title=f"Doc {i}", restricted=bool(i % 2)
        )
    for code in other_parties:
        someone = UserFactory(role="focal_point", party=party(code))
        request = participation_request(project=project, actor=someone, role="partner")
        participation_respond(participation=request, actor=officer, accept=True)


def test_project_page_query_count_is_bounded(client, published, officer, focal_point, django_assert_max_num_queries):
    project = project_transition(project=published, actor=officer, action="start")
    review_comment_add(project=project, actor=officer, text="Started.")
    _fill(project, officer, ["KEN"], 1)
    client.force_login(officer)
    with CaptureQueriesContext(connection) as few:
        assert page(client, project).status_code == 200
    _fill(project, officer, ["THA", "SRB", "LAO"], 6)
    assert ProgressReport.objects.filter(project=project).count() == 7
    with django_assert_max_num_queries(16), CaptureQueriesContext(connection) as many:
        response = page(client, project)
    assert response.status_code == 200 and "Indicator 5-2" in response.content.decode()
    assert len(many) == len(few)  # no query per report, indicator, milestone, document or party


def test_anonymous_page_query_count(client, published, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        assert page(client, published).status_code == 200


# --- History ----------------------------------------------------------------------------------


def history(client, project, **params):
    return client.get(reverse("projects:history", kwargs={"pk": project.pk}), params)


def test_history_shows_field_diffs_and_who(client, draft, officer):
    project_update(project=draft, actor=officer, fields={"title_en": "Smart port pilot"})
    client.force_login(officer)
    client.post(reverse("projects:transition", args=[draft.pk, "submit"]))
    response = history(client, draft)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<del>Single window interoperability pilot</del>" in html
    assert "<ins>Smart port pilot</ins>" in html
    assert "<del>Draft</del>" in html and "<ins>Submitted</ins>" in html
    assert "officer_chn (CHN)" in html  # the web request's user is recorded
    assert "Participation: China (CHN)" in html and "Article tag: DEGD-2023 Article 5" in html


def test_history_shows_milestone_and_participation_changes(client, published, officer, other_officer):
    milestone = milestone_save(project=published, actor=officer, title="Launch", due_on=date(2030, 1, 1))
    milestone_save(
        project=published,
        actor=officer,
        milestone=milestone,
        title="Launch",
        due_on=date(2030, 1, 1),
        done_on=date(2029, 12, 1),
    )
    request = participation_request(project=published, actor=other_officer, role="partner")
    participation_respond(participation=request, actor=officer, accept=False)
    client.force_login(officer)
    html = history(client, published).content.decode()
    assert "Milestone: Launch" in html and "<ins>2029-12-01</ins>" in html
    assert "Participation: Kenya (KEN)" in html and "<del>Requested to join</del>" in html
    assert "<ins>Declined</ins>" in html


def test_history_is_paginated(client, draft, officer):
    for i in range(30):
        project_update(project=draft, actor=officer, fields={"places": f"Port {i}"})
    client.force_login(officer)
    first = history(client, draft).content.decode()
    assert "<ins>Port 29</ins>" in first and "<ins>Port 0</ins>" not in first
    assert "Page 1 of 2" in first
    assert "<ins>Port 0</ins>" in history(client, draft, page=2).content.decode()


def test_history_is_refused_to_other_parties_and_anonymous(client, published, draft, other_officer):
    client.force_login(other_officer)
    assert history(client, published).status_code == 403
    assert history(client, draft).status_code == 404
    client.logout()
    response = history(client, published)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
    assert history(client, draft).status_code == 404


def test_history_for_coordinator_and_lead_focal_point(client, published, coordinator, focal_point):
    verify_two_factor(client, coordinator)
    assert history(client, published).status_code == 200
    verify_two_factor(client, focal_point)
    assert history(client, published).status_code == 200


def test_history_query_count_does_not_grow_with_the_entries(client, draft, officer, django_assert_max_num_queries):
    client.force_login(officer)
    with CaptureQueriesContext(connection) as few:
        assert history(client, draft).status_code == 200
    for i in range(20):
        project_update(project=draft, actor=officer, fields={"places": f"Port {i}"}, theme_names=[f"Theme {i}"])
        milestone_save(project=draft, actor=officer, title=f"Step {i}", due_on=date(2030, 1, 1))
    with django_assert_max_num_queries(len(few)):
        response = history(client, draft)
    assert "<ins>Theme 19</ins>" in response.content.decode()
