from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from projects.choices import ProjectStatus as S
from projects.models import Project, ReviewComment, Transition
from projects.services import allowed_actions, project_transition, project_update
from tests.factories import UserFactory, draft_project, party

pytestmark = pytest.mark.django_db


def test_full_lifecycle_is_recorded(draft, officer, focal_point, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    project_transition(project=draft, actor=focal_point, action="return", comment="Add the budget breakdown.")
    project_update(project=draft, actor=officer, fields={"funding_sources": "Ministry budget"})
    project_transition(project=draft, actor=officer, action="resubmit")
    project = project_transition(project=draft, actor=coordinator, action="publish")
    assert project.status == S.PUBLISHED and project.reference_code == f"DEGD-{project.published_at.year}-0001"
    project_transition(project=draft, actor=officer, action="start")
    project = project_transition(project=draft, actor=focal_point, action="complete")
    assert project.status == S.COMPLETED
    steps = list(Transition.objects.filter(project=draft).values_list("from_status", "to_status", "actor__username"))
    assert steps == [
        ("draft", "submitted", "officer_chn"),
        ("submitted", "returned", "focal_chn"),
        ("returned", "resubmitted", "officer_chn"),
        ("resubmitted", "published", coordinator.username),
        ("published", "ongoing", "officer_chn"),
        ("ongoing", "completed", "focal_chn"),
    ]
    assert ReviewComment.objects.get(project=draft).text == "Add the budget breakdown."


def test_illegal_transition_is_a_clear_error_and_changes_nothing(draft, focal_point):
    with pytest.raises(ValidationError, match="cannot be moved"):
        project_transition(project=draft, actor=focal_point, action="publish")
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and not Transition.objects.exists()


@pytest.mark.parametrize("action", ["submit", "withdraw"])
def test_officer_of_another_party_cannot_submit_or_withdraw(draft, other_officer, action):
    with pytest.raises(PermissionDenied):
        project_transition(project=draft, actor=other_officer, action=action)
    draft.refresh_from_db()
    assert draft.status == S.DRAFT and not Transition.objects.exists()


def test_focal_point_of_another_party_cannot_review(draft, officer, other_focal_point):
    project_transition(project=draft, actor=officer, action="submit")
    for action in ("publish", "return"):
        with pytest.raises(PermissionDenied):
            project_transition(project=draft, actor=other_focal_point, action=action, comment="x")
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED and draft.reference_code is None


def test_officers_cannot_publish_their_own_project(draft, officer):
    project_transition(project=draft, actor=officer, action="submit")
    with pytest.raises(PermissionDenied):
        project_transition(project=draft, actor=officer, action="publish")


def test_return_needs_a_comment(draft, officer, focal_point):
    project_transition(project=draft, actor=officer, action="submit")
    with pytest.raises(ValidationError) as error:
        project_transition(project=draft, actor=focal_point, action="return", comment="  ")
    assert "comment" in error.value.message_dict
    draft.refresh_from_db()
    assert draft.status == S.SUBMITTED


def test_an_incomplete_draft_cannot_be_submitted(officer):
    from projects.services import project_create

    project = project_create(actor=officer, fields={"language": "zh-hans", "title_zh_hans": "草稿"})
    with pytest.raises(ValidationError) as error:
        project_transition(project=project, actor=officer, action="submit")
    assert {"summary_zh_hans", "articles", "cooperation_mode", "project_type", "start_on"} <= set(
        error.value.message_dict
    )
    project.refresh_from_db()
    assert project.status == S.DRAFT


def test_only_coordinators_cancel(draft, officer, focal_point, coordinator):
    with pytest.raises(PermissionDenied):
        project_transition(project=draft, actor=focal_point, action="cancel", comment="duplicate")
    project = project_transition(project=draft, actor=coordinator, action="cancel", comment="Duplicate entry.")
    assert project.status == S.CANCELLED
    assert allowed_actions(project=project, actor=coordinator) == []


def test_reference_codes_count_per_prefix_and_year(officer, coordinator):
    from tests.factories import article

    codes = []
    for tags in (None, None):
        project = draft_project(officer=officer, **({"article_tags": tags} if tags else {}))
        project_transition(project=project, actor=officer, action="submit")
        codes.append(project_transition(project=project, actor=coordinator, action="publish").reference_code)
    from projects.services.editing import ArticleTag

    beijing = draft_project(officer=officer, article_tags=[ArticleTag(article(1, "BRDE-BJ-2023"), is_primary=True)])
    project_transition(project=beijing, actor=officer, action="submit")
    codes.append(project_transition(project=beijing, actor=coordinator, action="publish").reference_code)
    year = date.today().year
    assert codes == [f"DEGD-{year}-0001", f"DEGD-{year}-0002", f"BRDE-BJ-{year}-0001"]


def test_officer_cannot_edit_after_submission_but_coordinator_can(draft, officer, coordinator):
    project_transition(project=draft, actor=officer, action="submit")
    with pytest.raises(PermissionDenied):
        project_update(project=draft, actor=officer, fields={"title_en": "Changed"})
    assert Project.objects.get(pk=draft.pk).title_en == "Single window interoperability pilot"
    project_update(project=draft, actor=coordinator, fields={"title_en": "Changed"})
    assert Project.objects.get(pk=draft.pk).title_en == "Changed"


def test_history_keeps_every_change(draft, officer):
    project_update(project=draft, actor=officer, fields={"title_en": "Renamed pilot"})
    records = list(Project.history.filter(id=draft.pk).order_by("history_date"))
    assert len(records) >= 2
    delta = records[-1].diff_against(records[-2])
    assert [(c.field, c.old, c.new) for c in delta.changes if c.field == "title_en"] == [
        ("title_en", "Single window interoperability pilot", "Renamed pilot")
    ]


def test_officer_of_another_party_cannot_edit(draft, other_officer):
    with pytest.raises(PermissionDenied):
        project_update(project=draft, actor=other_officer, fields={"title_en": "Hijacked"})
    draft.refresh_from_db()
    assert draft.title_en == "Single window interoperability pilot"


def test_partner_system_account_creates_for_its_own_party_only():
    from projects.services import project_create

    system = UserFactory(role="partner_system", party=party("KEN"))
    project = project_create(actor=system, fields={"language": "en", "title_en": "x"})
    assert project.lead_party.code == "KEN" and project.status == S.DRAFT
    chosen = project_create(actor=system, fields={"language": "en", "title_en": "y"}, lead_party=party("CHN"))
    assert chosen.lead_party.code == "KEN"  # a partner system never chooses another lead party
    assert not Project.objects.filter(lead_party__code="CHN", title_en="y").exists()
