"""The project form through HTTP: creating and editing drafts, submitting, errors that keep
everything typed and save nothing, and who may open the form at all."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from projects.choices import ProjectStatus as S
from projects.models import Document, Milestone, Project, Transition
from projects.services import milestone_save, project_transition
from tests.conftest import verify_two_factor
from tests.factories import OrganizationFactory, UserFactory, article, draft_project, party

pytestmark = pytest.mark.django_db

CREATE = reverse("projects:create")


def edit_url(project) -> str:
    return reverse("projects:edit", args=[project.pk])


def form_data(milestones=(), existing=0, **overrides) -> dict:
    """A complete POST of the form: article 5 primary, article 6 tagged with a note, two SDGs."""
    data = {
        "language": "en",
        "title_en": "Cross-border e-invoicing pilot",
        "summary_en": "Links the e-invoicing systems of two parties.",
        "title_zh_hans": "",
        "summary_zh_hans": "",
        "lead_organization": "",
        "cooperation_mode": "bilateral",
        "project_type": "pilot_zone",
        "beneficiary_groups": ["msme", "women"],
        "sdgs": ["8", "17"],
        "themes": "E-invoices, paperless trade， 单一窗口",
        "articles": [str(article(5).pk), str(article(6).pk)],
        "primary_article": str(article(5).pk),
        f"note_{article(6).pk}": "Shares the invoice data model.",
        "contact_name": "Li Wei",
        "contact_email": "li.wei@example.org",
        "contact_phone": "+86 10 1234 5678",
        "contact_restricted": "on",
        "countries": ["CHN", "KEN"],
        "places": "Shanghai, Mombasa",
        "start_on": "2025-03-01",
        "end_on": "2026-12-31",
        "budget_amount": "120000.50",
        "budget_currency": "USD",
        "funding_sources": "Ministry budgets",
        "milestones-TOTAL_FORMS": str(len(milestones) or 1),
        "milestones-INITIAL_FORMS": str(existing),
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "100",
        "document-title": "",
        "action": "save",
    }
    for index, row in enumerate(milestones):
        data.update({f"milestones-{index}-{name}": value for name, value in row.items()})
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot(project) -> tuple:
    """What an edit could change: content, tags, themes, SDGs, milestones."""
    project = Project.objects.get(pk=project.pk)
    return (
        project.status,
        project.title_en,
        project.end_on,
        project.budget_currency,
        sorted((link.article_id, link.is_primary, link.note) for link in project.article_links.all()),
        sorted(project.themes.values_list("name", flat=True)),
        sorted(project.sdgs.values_list("number", flat=True)),
        sorted(project.milestones.values_list("title", "due_on", "done_on")),
    )


def assert_login_redirect(response):
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# --- Creating ---------------------------------------------------------------------------------


def test_officer_creates_a_draft_through_the_form(client, officer):
    client.force_login(officer)
    page = client.get(CREATE)
    assert page.status_code == 200
    assert 'name="articles"' in page.content.decode() and 'name="primary_article"' in page.content.decode()

    milestones = [{"title": "Data model agreed", "due_on": "2025-06-30", "done_on": ""}]
    response = client.post(CREATE, form_data(milestones=milestones))

    project = Project.objects.get()
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[project.pk])
    assert "The project has been saved." in texts(response)
    assert (project.status, project.lead_party, project.created_by) == (S.DRAFT, party("CHN"), officer)
    assert (project.language, project.title_en, project.title_zh_hans) == ("en", "Cross-border e-invoicing pilot", "")
    assert (project.cooperation_mode, project.project_type) == ("bilateral", "pilot_zone")
    assert project.beneficiary_groups == ["msme", "women"] and project.countries == ["CHN", "KEN"]
    assert (project.start_on, project.end_on) == (date(2025, 3, 1), date(2026, 12, 31))
    assert (project.budget_amount, project.budget_currency) == (Decimal("120000.50"), "USD")
    assert project.contact_restricted and not project.budget_restricted and not project.early_harvest
    links = {link.article.number: link for link in project.article_links.select_related("article")}
    assert set(links) == {5, 6} and links[5].is_primary and not links[6].is_primary
    assert links[6].note == "Shares the invoice data model."
    assert sorted(project.themes.values_list("name", flat=True)) == ["E-invoices", "paperless trade", "单一窗口"]
    assert sorted(project.sdgs.values_list("number", flat=True)) == [8, 17]
    assert list(project.milestones.values_list("title", "due_on")) == [("Data model agreed", date(2025, 6, 30))]


def test_new_draft_needs_only_a_title_in_the_language_written_in(client, officer):
    client.force_login(officer)
    data = {
        "language": "zh-hans",
        "title_zh_hans": "跨境电子发票试点",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "action": "save",
    }
    assert client.post(CREATE, data).status_code == 302
    project = Project.objects.get()
    assert (project.language, project.title_zh_hans, project.title_en) == ("zh-hans", "跨境电子发票试点", "")
    assert not project.article_links.exists() and not project.milestones.exists()


def test_invalid_post_shows_errors_beside_the_fields_keeps_everything_and_saves_nothing(client, officer):
    client.force_login(officer)
    data = form_data(
        milestones=[{"title": "Pilot launch", "due_on": "2025-09-01"}],
        end_on="2024-01-01",
        budget_currency="XYZ",
        primary_article="",
        themes="Smart ports, green finance",
    )
    response = client.post(CREATE, data)

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="error-summary"' in html and 'href="#id_end_on"' in html
    assert 'id="id_end_on_error"' in html and "The end date cannot be before the start date." in html
    assert 'id="id_budget_currency_error"' in html
    assert 'id="article-picker-error"' in html and "Mark exactly one article as the primary one." in html
    # Everything typed comes back: text, dates, tags, notes, milestones.
    assert 'value="Cross-border e-invoicing pilot"' in html and 'value="Smart ports, green finance"' in html
    assert 'value="2024-01-01"' in html and 'value="Pilot launch"' in html
    assert f'value="{article(6).pk}" id="id_articles_{article(6).pk}" checked' in html
    assert 'value="Shares the invoice data model."' in html
    assert not Project.objects.exists() and not Milestone.objects.exists()


def test_service_refusal_is_shown_beside_its_field_and_nothing_is_saved(client, coordinator_client):
    """The lead organization must belong to the lead party: only the service knows the party chosen."""
    chinese_ministry = OrganizationFactory(party=party("CHN"))
    data = form_data(lead_party=str(party("KEN").pk), lead_organization=str(chinese_ministry.pk))
    response = coordinator_client.post(CREATE, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_lead_organization_error"' in html and "must belong to the lead party" in html
    assert not Project.objects.exists()


def test_coordinator_creates_a_project_for_another_party(coordinator_client, coordinator):
    kenyan_ministry = OrganizationFactory(party=party("KEN"), name_en="Kenya Trade Network Agency")
    page = coordinator_client.get(CREATE)
    assert 'name="lead_party"' in page.content.decode()
    assert 'value="submit"' not in page.content.decode()  # coordinators review; they do not submit

    data = form_data(lead_party=str(party("KEN").pk), lead_organization=str(kenyan_ministry.pk))
    response = coordinator_client.post(CREATE, data)
    assert response.status_code == 302
    project = Project.objects.get()
    assert (project.lead_party, project.lead_organization, project.created_by) == (
        party("KEN"),
        kenyan_ministry,
        coordinator,
    )
    assert project.participations.get().party == party("KEN")


def test_officer_cannot_name_another_lead_party(client, officer):
    client.force_login(officer)
    assert 'name="lead_party"' not in client.get(CREATE).content.decode()
    client.post(CREATE, form_data(lead_party=str(party("KEN").pk)))
    assert Project.objects.get().lead_party == party("CHN")


def test_document_uploaded_with_the_new_project(client, officer):
    client.force_login(officer)
    upload = SimpleUploadedFile("plan.pdf", b"%PDF-1.4 the plan", content_type="application/pdf")
    data = form_data(**{"document-title": "Work plan", "document-restricted": "on", "document-file": upload})
    assert client.post(CREATE, data).status_code == 302
    document = Document.objects.get()
    assert (document.project, document.title, document.restricted) == (Project.objects.get(), "Work plan", True)


def test_refused_file_asks_to_choose_it_again_and_saves_nothing(client, officer):
    client.force_login(officer)
    upload = SimpleUploadedFile("plan.exe", b"MZ binary", content_type="application/octet-stream")
    response = client.post(CREATE, form_data(**{"document-file": upload}))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_document-file_error"' in html and "choose it again" in html
    assert not Project.objects.exists() and not Document.objects.exists()


# --- Submitting -------------------------------------------------------------------------------


def test_save_and_submit_an_incomplete_draft_keeps_it_a_draft_and_shows_what_is_missing(client, officer):
    client.force_login(officer)
    data = form_data(summary_en="", cooperation_mode="", articles=[], primary_article="", action="submit")
    response = client.post(CREATE, data)

    project = Project.objects.get()
    assert response.status_code == 302 and response.url == edit_url(project) + "?check=1"
    assert project.status == S.DRAFT and project.title_en == "Cross-border e-invoicing pilot"
    assert not Transition.objects.exists()
    page = client.get(response.url)
    html = page.content.decode()
    assert "What is still missing before the project can be submitted" in html
    assert 'id="id_summary_en_error"' in html and "Write a summary of the project." in html
    assert 'id="id_cooperation_mode_error"' in html
    assert 'id="article-picker-error"' in html and "Tag the project to at least one article" in html


def test_new_complete_project_is_created_and_submitted_at_once(client, officer):
    client.force_login(officer)
    response = client.post(CREATE, form_data(action="submit"))
    project = Project.objects.get()
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[project.pk])
    assert project.status == S.SUBMITTED and project.submitted_at is not None
    assert "The project has been saved and submitted for review." in texts(response)


def test_save_and_submit_a_complete_project_submits_it(client, draft, officer):
    client.force_login(officer)
    response = client.post(edit_url(draft), form_data(action="submit"))
    assert response.status_code == 302 and response.url == reverse("projects:detail", args=[draft.pk])
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED and draft.title_en == "Cross-border e-invoicing pilot"
    assert Transition.objects.filter(project=draft, to_status=S.SUBMITTED, actor=officer).exists()


def test_returned_project_is_edited_and_resubmitted(client, draft, officer, focal_point):
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=focal_point, action="return", comment="Name the ports.")
    client.force_login(officer)
    page = client.get(edit_url(draft))
    assert page.status_code == 200 and "Save and resubmit" in page.content.decode()

    response = client.post(edit_url(draft), form_data(places="Shanghai, Mombasa ports", action="submit"))
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.status == S.RESUBMITTED and draft.places == "Shanghai, Mombasa ports"


# --- Editing ----------------------------------------------------------------------------------


def test_edit_form_shows_the_saved_project(client, draft, officer):
    milestone_save(project=draft, actor=officer, title="Launch", due_on=date(2025, 5, 1))
    client.force_login(officer)
    html = client.get(edit_url(draft)).content.decode()
    assert 'value="Single window interoperability pilot"' in html and 'value="Single window"' in html
    assert f'value="{article(5).pk}" id="id_primary_article_{article(5).pk}" checked' in html
    assert f'value="{article(6).pk}" id="id_articles_{article(6).pk}" checked' in html
    assert 'value="Launch"' in html and 'value="2025-05-01"' in html


def test_edit_changes_adds_and_removes_milestones(client, draft, officer):
    keep = milestone_save(project=draft, actor=officer, title="Launch", due_on=date(2025, 5, 1))
    drop = milestone_save(project=draft, actor=officer, title="Old step", due_on=date(2025, 6, 1))
    client.force_login(officer)
    rows = [
        {"id": keep.pk, "title": "Launch", "due_on": "2025-05-01", "done_on": "2025-05-03"},
        {"id": drop.pk, "title": "Old step", "due_on": "2025-06-01", "DELETE": "on"},
        {"title": "Evaluation", "due_on": "2026-11-30"},
    ]
    response = client.post(edit_url(draft), form_data(milestones=rows, existing=2))
    assert response.status_code == 302
    assert sorted(draft.milestones.values_list("title", "done_on")) == [
        ("Evaluation", None),
        ("Launch", date(2025, 5, 3)),
    ]


def test_invalid_edit_changes_nothing(client, draft, officer):
    before = snapshot(draft)
    client.force_login(officer)
    data = form_data(
        end_on="2020-01-01",
        milestones=[{"title": "", "due_on": "2025-05-01"}],
        primary_article="",
    )
    response = client.post(edit_url(draft), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_milestones-0-title_error"' in html and 'id="id_end_on_error"' in html
    assert 'value="Cross-border e-invoicing pilot"' in html
    assert snapshot(draft) == before


def test_milestone_of_another_project_cannot_be_changed_through_the_form(client, draft, officer, other_officer):
    theirs = draft_project(officer=other_officer)
    foreign = milestone_save(project=theirs, actor=other_officer, title="Theirs", due_on=date(2025, 1, 1))
    client.force_login(officer)
    rows = [{"id": foreign.pk, "title": "Mine now", "due_on": "2025-01-01"}]
    response = client.post(edit_url(draft), form_data(milestones=rows, existing=0))
    assert response.status_code == 200
    assert Milestone.objects.get(pk=foreign.pk).title == "Theirs" and not draft.milestones.exists()


def test_focal_point_of_the_lead_party_edits_a_draft(client, draft, focal_point):
    verify_two_factor(client, focal_point)
    assert client.get(edit_url(draft)).status_code == 200
    assert client.post(edit_url(draft), form_data(title_en="Revised title")).status_code == 302
    assert Project.objects.get(pk=draft.pk).title_en == "Revised title"


def test_coordinator_edits_a_published_project_without_submitting(coordinator_client, draft, officer, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=coordinator, action="publish")
    page = coordinator_client.get(edit_url(draft))
    assert page.status_code == 200 and "Save changes" in page.content.decode()
    assert coordinator_client.post(edit_url(draft), form_data(action="submit")).status_code == 403
    assert coordinator_client.post(edit_url(draft), form_data(places="Nairobi")).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.places) == (S.PUBLISHED, "Nairobi")


# --- Refusals ---------------------------------------------------------------------------------


def test_another_partys_officer_cannot_edit(client, draft, officer, other_officer, coordinator):
    before = snapshot(draft)
    client.force_login(other_officer)
    # A draft of another party is invisible: 404.
    assert client.get(edit_url(draft)).status_code == 404
    assert client.post(edit_url(draft), form_data(title_en="Taken over")).status_code == 404
    assert snapshot(draft) == before
    # Once published it is visible, but still not theirs to change: 403.
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=coordinator, action="publish")
    before = snapshot(draft)
    assert client.get(edit_url(draft)).status_code == 403
    assert client.post(edit_url(draft), form_data(title_en="Taken over")).status_code == 403
    assert snapshot(draft) == before


def test_lead_officer_cannot_edit_a_project_in_review(client, draft, officer):
    project_transition(project=draft, actor=officer, action="submit")
    before = snapshot(draft)
    client.force_login(officer)
    assert client.get(edit_url(draft)).status_code == 403
    assert client.post(edit_url(draft), form_data(title_en="Sneaky change")).status_code == 403
    assert snapshot(draft) == before


def test_anonymous_users_are_sent_to_sign_in(client, draft):
    before = snapshot(draft)
    assert_login_redirect(client.get(CREATE))
    assert_login_redirect(client.post(CREATE, form_data()))
    assert_login_redirect(client.get(edit_url(draft)))
    assert_login_redirect(client.post(edit_url(draft), form_data(title_en="Anonymous")))
    assert Project.objects.count() == 1 and snapshot(draft) == before


def test_partner_systems_cannot_create_projects(client):
    system = UserFactory(role="partner_system", party=party("KEN"))
    client.force_login(system)
    assert client.get(CREATE).status_code == 403
    assert client.post(CREATE, form_data()).status_code == 403
    assert not Project.objects.exists()


# --- Language and cost ------------------------------------------------------------------------


def test_form_renders_in_chinese(client, draft, officer):
    client.force_login(officer)
    client.cookies["opl_language"] = "zh-hans"
    for url in (CREATE, edit_url(draft)):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200 and 'lang="zh-Hans"' in html
        assert article(5).text_zh_hans[:20] in html  # the articles in the active language
        assert "第5条" in html


def test_errors_come_in_the_users_language(client, officer):
    client.force_login(officer)
    client.cookies["opl_language"] = "zh-hans"
    data = form_data(title_en="", language="zh-hans", milestones=[{"title": "试点启动", "due_on": ""}])
    response = client.post(CREATE, data)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="id_title_zh_hans_error"' in html
    with translation.override("zh-hans"):
        required = translation.gettext("This field is required.")
    assert required != "This field is required." and 'id="id_milestones-0-due_on_error"' in html and required in html
    assert 'value="试点启动"' in html
    assert not Project.objects.exists()


def test_form_page_queries_are_bounded(client, draft, officer, django_assert_max_num_queries):
    """One query per kind of thing shown, however many articles, milestones or documents there are."""
    client.force_login(officer)
    milestone_save(project=draft, actor=officer, title="Step 1", due_on=date(2025, 1, 1))
    with django_assert_max_num_queries(14) as few:
        assert client.get(edit_url(draft)).status_code == 200
    for number in range(2, 7):
        milestone_save(project=draft, actor=officer, title=f"Step {number}", due_on=date(2025, number, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(edit_url(draft)).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(CREATE).status_code == 200
