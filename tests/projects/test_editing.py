from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from projects.models import Project, ProjectArticle
from projects.services import project_create, project_update
from projects.services.editing import ArticleTag
from tests.factories import article

pytestmark = pytest.mark.django_db


def test_create_sets_lead_party_and_its_consent(draft, officer):
    assert draft.lead_party == officer.party
    lead = draft.participations.get()
    assert (lead.party, lead.role, lead.status) == (officer.party, "lead", "active")
    assert [p.number for p in draft.pillars] == [2]
    assert draft.primary_article.number == 5
    assert set(draft.themes.values_list("name", flat=True)) == {"Single window"}
    assert "single window" in Project.objects.get(pk=draft.pk).search_document


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"end_on": "2024-01-01"}, "end_on"),
        ({"budget_currency": "XYZ"}, "budget_currency"),
        ({"budget_currency": ""}, "budget_currency"),
        ({"countries": ["ATLANTIS"]}, "countries"),
        ({"beneficiary_groups": ["aliens"]}, "beneficiary_groups"),
        ({"title_en": ""}, "title_en"),
    ],
)
def test_invalid_content_is_refused_and_nothing_is_saved(draft, officer, fields, field):
    from datetime import date

    if fields.get("end_on"):
        fields = {"end_on": date.fromisoformat(fields["end_on"])}
    with pytest.raises(ValidationError) as error:
        project_update(project=draft, actor=officer, fields=fields)
    assert field in error.value.message_dict
    saved = Project.objects.get(pk=draft.pk)
    assert saved.budget_amount == Decimal("250000.00") and saved.title_en == "Single window interoperability pilot"


def test_exactly_one_primary_article(draft, officer):
    for tags in (
        [ArticleTag(article(1)), ArticleTag(article(2))],
        [ArticleTag(article(1), True), ArticleTag(article(2), True)],
    ):
        with pytest.raises(ValidationError):
            project_update(project=draft, actor=officer, fields={}, article_tags=tags)
    assert ProjectArticle.objects.filter(project=draft).count() == 2


def test_changing_the_primary_article(draft, officer):
    project_update(
        project=draft,
        actor=officer,
        fields={},
        article_tags=[ArticleTag(article(6), True, "serves e-invoicing"), ArticleTag(article(5))],
    )
    links = {link.article.number: (link.is_primary, link.note) for link in draft.article_links.all()}
    assert links == {6: (True, "serves e-invoicing"), 5: (False, "")}


def test_themes_are_free_tags_matched_case_insensitively(officer):
    first = project_create(actor=officer, fields={"language": "en", "title_en": "A"}, theme_names=["E-invoicing"])
    second = project_create(
        actor=officer, fields={"language": "en", "title_en": "B"}, theme_names=["e-invoicing", " 跨境电商 "]
    )
    assert first.themes.get().pk == second.themes.get(name__iexact="e-invoicing").pk
    assert second.themes.filter(name="跨境电商").exists()


def test_translation_state(draft):
    assert draft.translation_state("title", "en") == "original"
    assert draft.translation_state("title", "zh-hans") == "missing"
    draft.title_zh_hans = "单一窗口互联互通试点"
    assert draft.translation_state("title", "zh-hans") == "translation"
