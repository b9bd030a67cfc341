"""The public library: only published projects, search in both languages, filters, sort, pages."""

from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from projects.models import Project
from projects.services import (
    participation_confirm,
    participation_request,
    participation_respond,
    project_transition,
    project_update,
)
from projects.services.editing import ArticleTag
from projects.views import library as library_views
from tests.factories import UserFactory, article, draft_project, party

pytestmark = pytest.mark.django_db

URL = reverse("projects:library")


def at(year, month, day):
    return datetime(year, month, day, 12, tzinfo=UTC)


def publish(project, *, officer, coordinator, on):
    project_transition(project=project, actor=officer, action="submit", now=on)
    return project_transition(project=project, actor=coordinator, action="publish", now=on)


@pytest.fixture
def thai_officer(db):
    return UserFactory(role="officer", party=party("THA"), username="officer_tha")


@pytest.fixture
def catalogue(officer, other_officer, focal_point, other_focal_point, coordinator, thai_officer):
    """Three public projects (one per public status) and one project in every hidden status."""
    completed = draft_project(
        officer=officer,
        title_en="Green data centres study",
        summary_en="Joint research on energy efficient data centres.",
        project_type="joint_research",
        start_on=date(2023, 6, 1),
        contact_email="secret.contact@example.org",
        contact_phone="+86 10 5555 0199",
        budget_amount="987654.00",
        budget_restricted=True,
        article_tags=[ArticleTag(article(30), is_primary=True), ArticleTag(article(3, "BRDE-2017"))],
    )
    project_update(project=completed, actor=officer, fields={}, theme_names=["Green logistics"])
    publish(completed, officer=officer, coordinator=coordinator, on=at(2024, 1, 10))
    project_transition(project=completed, actor=officer, action="start", now=at(2024, 2, 1))
    joined = participation_request(project=completed, actor=other_officer, role="partner")
    participation_respond(participation=joined, actor=officer, accept=True)
    participation_confirm(participation=joined, actor=other_focal_point, accept=True)
    participation_request(project=completed, actor=thai_officer, role="supporter")  # pending: never listed
    project_transition(project=completed, actor=officer, action="complete", now=at(2024, 12, 1))

    ongoing = draft_project(
        officer=other_officer,
        language="zh-hans",
        title_en="",
        summary_en="",
        title_zh_hans="数字丝路单一窗口能力建设",
        summary_zh_hans="为中小企业提供跨境贸易培训。",
        cooperation_mode="plurilateral",
        project_type="capacity_building",
        early_harvest=True,
        start_on=date(2024, 3, 1),
        article_tags=[ArticleTag(article(1), is_primary=True)],
    )
    project_update(project=ongoing, actor=other_officer, fields={}, theme_names=["绿色物流"], sdg_numbers=[5])
    publish(ongoing, officer=other_officer, coordinator=coordinator, on=at(2024, 6, 1))
    project_transition(project=ongoing, actor=other_officer, action="start", now=at(2024, 7, 1))

    published = draft_project(
        officer=officer,
        title_en="Paperless trade pilot",
        summary_en="Electronic invoices exchanged between customs authorities.",
        article_tags=[ArticleTag(article(4), is_primary=True)],
    )
    publish(published, officer=officer, coordinator=coordinator, on=at(2025, 2, 1))

    hidden = {}
    for status in ("draft", "submitted", "returned", "resubmitted", "withdrawn", "cancelled"):
        project = draft_project(
            officer=officer,
            title_en=f"Paperless {status} project 单一窗口",
            summary_en="Electronic invoices, hidden from the public.",
            early_harvest=True,
            article_tags=[ArticleTag(article(4), is_primary=True)],
        )
        if status != "draft" and status != "withdrawn":
            project_transition(project=project, actor=officer, action="submit")
        if status in ("returned", "resubmitted"):
            project_transition(project=project, actor=focal_point, action="return", comment="More detail.")
        if status == "resubmitted":
            project_transition(project=project, actor=officer, action="resubmit")
        if status == "withdrawn":
            project_transition(project=project, actor=officer, action="withdraw")
        if status == "cancelled":
            project_transition(project=project, actor=coordinator, action="cancel", comment="Duplicate entry.")
        project.refresh_from_db()
        assert project.status == status
        hidden[status] = project
    for project in (completed, ongoing, published):
        project.refresh_from_db()
    return {"completed": completed, "ongoing": ongoing, "published": published, "hidden": hidden}


def listed(response):
    return [project.pk for project in response.context["projects"]]


def names(catalogue, *keys):
    return [catalogue[key].pk for key in keys]


def test_the_library_lists_public_projects_only(client, catalogue):
    response = client.get(URL)
    assert response.status_code == 200
    assert listed(response) == names(catalogue, "published", "ongoing", "completed")  # most recent first
    html = response.content.decode()
    assert "Paperless trade pilot" in html and "数字丝路单一窗口能力建设" in html
    for project in catalogue["hidden"].values():
        assert project.title_en not in html
    assert "3 projects" in html


def test_everyone_sees_the_same_public_list(client, catalogue, officer, other_officer):
    anonymous = listed(client.get(URL))
    client.force_login(other_officer)
    other_party = listed(client.get(URL))
    client.force_login(officer)  # even the lead party's own drafts stay out of the public library
    own_party = listed(client.get(URL))
    assert anonymous == other_party == own_party == names(catalogue, "published", "ongoing", "completed")


def test_no_contact_details_and_no_budget_in_the_list(client, catalogue):
    html = client.get(URL).content.decode()
    for secret in ("secret.contact@example.org", "5555 0199", "987654", "987,654", "250000", "250,000"):
        assert secret not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("invoices", ["published"]),  # an English word of the summary
        ("INVOICES customs", ["published"]),  # every term, whatever the case
        ("单一窗口", ["ongoing"]),  # a Chinese phrase of the title, without spaces
        ("“单一窗口”", ["ongoing"]),  # typed with quotes
        ("绿色物流", ["ongoing"]),  # a Chinese theme
        ("green LOGISTICS", ["completed"]),  # an English theme
        ("data centres", ["completed"]),
        ("paperless nowhere", []),
        ("“ ” ,", ["published", "ongoing", "completed"]),  # nothing to search for: the whole library
    ],
)
def test_search_in_both_languages(client, catalogue, query, expected):
    response = client.get(URL, {"q": query})
    assert response.status_code == 200
    assert listed(response) == names(catalogue, *expected)


def test_search_without_results_says_so(client, catalogue):
    html = client.get(URL, {"q": "no such words"}).content.decode()
    assert "No published project matches this search and these filters." in html
    assert "0 projects" in html


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"framework": "DEGD-2023"}, ["published", "ongoing", "completed"]),
        ({"framework": "BRDE-2017"}, ["completed"]),
        ({"pillar": "2"}, ["published"]),  # through the tag to article 4
        ({"pillar": "1"}, ["ongoing"]),
        ({"framework": "DEGD-2023", "pillar": "1"}, ["ongoing"]),
        ({"article": "30"}, ["completed"]),
        ({"framework": "BRDE-2017", "article": "3"}, ["completed"]),
        ({"framework": "DEGD-2023", "article": "3"}, []),
        ({"party": "KEN"}, ["ongoing", "completed"]),  # lead of one, active participant in the other
        ({"party": "chn"}, ["published", "completed"]),
        ({"party": "THA"}, []),  # a pending request is not a participation
        ({"status": "ongoing"}, ["ongoing"]),
        ({"status": "completed"}, ["completed"]),
        ({"cooperation_mode": "plurilateral"}, ["ongoing"]),
        ({"project_type": "joint_research"}, ["completed"]),
        ({"sdg": "5"}, ["ongoing"]),
        ({"sdg": "9"}, ["published", "completed"]),
        ({"early_harvest": "yes"}, ["ongoing"]),
        ({"early_harvest": "no"}, ["published", "completed"]),
        ({"party": "KEN", "status": "completed"}, ["completed"]),
        ({"party": "CHN", "q": "单一窗口"}, []),
        ({"framework": "DEGD-2023", "pillar": "2", "party": "CHN", "sdg": "17", "q": "pilot"}, ["published"]),
    ],
)
def test_filters_narrow_and_combine(client, catalogue, filters, expected):
    response = client.get(URL, filters)
    assert response.status_code == 200
    assert not response.context["form"].errors
    assert listed(response) == names(catalogue, *expected)


def test_filter_by_article_id(client, catalogue):
    response = client.get(URL, {"article_id": article(4).pk})
    assert listed(response) == names(catalogue, "published")


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"pillar": "9"}, "There is no pillar 9 in DEGD-2023."),
        ({"pillar": "abc"}, "There is no pillar abc in DEGD-2023."),
        ({"article": "99"}, "There is no article 99 in DEGD-2023."),
        ({"framework": "NOPE"}, "There is no framework with the code “NOPE”."),
        ({"party": "XXX"}, "There is no party with the code “XXX”."),
        ({"sdg": "18"}, "There is no SDG “18”"),
        ({"article_id": "abc"}, "There is no article with the id “abc”."),
        ({"status": "draft"}, "Select a valid choice."),
        ({"cooperation_mode": "solo"}, "Select a valid choice."),
        ({"early_harvest": "maybe"}, "Use “yes”, “no”, or leave it out."),
        ({"sort": "budget"}, "Select a valid choice."),
        ({"q": "x" * 201}, "at most 200 characters"),
    ],
)
def test_invalid_filters_are_explained_and_ignored(client, catalogue, filters, message):
    response = client.get(URL, filters)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters could not be applied" in html and message in html
    assert listed(response) == names(catalogue, "published", "ongoing", "completed")  # never a hidden one


@pytest.mark.parametrize(
    ("filters", "message", "expected"),
    [
        ({"party": "XXX", "status": "completed"}, "There is no party with the code “XXX”.", ["completed"]),
        ({"framework": "BRDE-2017", "pillar": "1"}, "There is no pillar 1 in BRDE-2017.", ["completed"]),
    ],
)
def test_invalid_filter_is_ignored_but_the_valid_ones_apply(client, catalogue, filters, message, expected):
    response = client.get(URL, filters)
    assert message in response.content.decode()
    assert listed(response) == names(catalogue, *expected)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["published", "ongoing", "completed"]),
        ("recent", ["published", "ongoing", "completed"]),
        ("start", ["completed", "ongoing", "published"]),
        ("reference", ["completed", "ongoing", "published"]),  # numbered in order of publication
        ("title", ["completed", "published", "ongoing"]),  # Green…, Paperless…, then the Chinese-only title
    ],
)
def test_sorting(client, catalogue, sort, expected):
    response = client.get(URL, {"sort": sort})
    assert listed(response) == names(catalogue, *expected)


@pytest.mark.parametrize(
    ("sort", "expected"), [("recent", ["published", "completed"]), ("start", ["completed", "published"])]
)
def test_search_results_can_be_sorted(client, catalogue, sort, expected):
    response = client.get(URL, {"q": "e", "sort": sort})  # a letter of every English text
    assert listed(response) == names(catalogue, *expected)


def test_pages_keep_the_filters(client, catalogue, monkeypatch):
    monkeypatch.setattr(library_views, "PAGE_SIZE", 1)
    first = client.get(URL, {"party": "CHN", "sort": "start", "page": "1"})
    html = first.content.decode()
    assert listed(first) == names(catalogue, "completed")
    assert 'href="?party=CHN&amp;sort=start&amp;page=2"' in html
    second = client.get(URL, {"party": "CHN", "sort": "start", "page": "2"})
    assert listed(second) == names(catalogue, "published")
    assert 'href="?party=CHN&amp;sort=start&amp;page=1"' in second.content.decode()
    assert listed(client.get(URL, {"party": "CHN", "page": "abc"})) == names(catalogue, "published")


def test_htmx_request_gets_the_results_and_a_clean_address(client, catalogue):
    response = client.get(
        URL,
        {"q": "", "party": "KEN", "status": "", "sort": "relevance"},
        headers={"HX-Request": "true", "HX-Target": "library-results"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>" not in html and 'id="library-filter-fields" class="library-filter-fields" hx-swap-oob="true"' in html
    assert response["HX-Push-Url"] == f"{URL}?party=KEN"
    assert "HX-Request" in response["Vary"]
    assert listed(response) == names(catalogue, "ongoing", "completed")


def test_the_page_works_in_chinese(client, catalogue):
    response = client.get(URL, {"party": "XXX"}, headers={"Accept-Language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-Hans">' in html
    assert "营造开放安全的环境" in html  # pillar titles in the filter, in Chinese
    assert '<span lang="zh-Hans">数字丝路单一窗口能力建设</span>' in html
    assert listed(response) == names(catalogue, "published", "ongoing", "completed")


def test_the_filter_set_serves_any_caller(catalogue):
    """What the REST API will reuse: the same filters on a plain query dict, and errors to report."""
    from projects.filters import ProjectFilter

    filters = ProjectFilter({"party": "KEN", "sort": "start"}, queryset=Project.objects.public())
    assert filters.is_valid() and [p.pk for p in filters.qs] == names(catalogue, "completed", "ongoing")
    invalid = ProjectFilter({"pillar": "9"}, queryset=Project.objects.public())
    assert not invalid.is_valid() and "pillar" in invalid.errors


@pytest.mark.parametrize("page_size", [1, 25])
def test_query_count_does_not_grow_with_the_page(
    client, catalogue, monkeypatch, django_assert_max_num_queries, page_size
):
    monkeypatch.setattr(library_views, "PAGE_SIZE", page_size)
    filters = {"q": "e", "framework": "DEGD-2023", "pillar": "2", "party": "CHN", "sdg": "9", "sort": "title"}
    # framework and articles offered, 3 filter values checked, count, 3 choice lists, page, 4 prefetches
    with django_assert_max_num_queries(14):
        response = client.get(URL, filters)
    assert response.status_code == 200 and len(response.context["projects"]) == 1
    with django_assert_max_num_queries(11):
        response = client.get(URL)
    assert len(response.context["projects"]) == min(page_size, 3)


def test_article_page_lists_its_published_projects_only(client, catalogue):
    response = client.get(reverse("framework:article", kwargs={"code": "DEGD-2023", "number": 4}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Paperless trade pilot" in html
    for project in catalogue["hidden"].values():  # all tagged to article 4, none public
        assert project.title_en not in html
    assert "Green data centres study" not in html
    assert f'href="{URL}?framework=DEGD-2023&amp;article=4"' in html
    assert [p.pk for p in response.context["article_projects"]] == names(catalogue, "published")


def test_article_page_without_projects(client, catalogue):
    response = client.get(reverse("framework:article", kwargs={"code": "DEGD-2023", "number": 20}))
    assert response.status_code == 200
    assert "No published project is tagged to this article yet." in response.content.decode()


def test_article_page_link_leads_to_the_same_projects(client, catalogue):
    response = client.get(reverse("framework:article", kwargs={"code": "BRDE-2017", "number": 3}))
    library = client.get(response.context["article_projects_url"])
    assert listed(library) == [p.pk for p in response.context["article_projects"]] == names(catalogue, "completed")


@pytest.mark.postgres
def test_postgres_trigram_search_finds_chinese_and_english(client, catalogue):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'project_search_trgm'")
        assert "gin_trgm_ops" in cursor.fetchone()[0]
    assert listed(client.get(URL, {"q": "单一窗口"})) == names(catalogue, "ongoing")
    assert listed(client.get(URL, {"q": "Electronic INVOICES"})) == names(catalogue, "published")
    ranked = client.get(URL, {"q": "data"})  # ranked by similarity, the best match first
    assert listed(ranked)[0] == catalogue["completed"].pk
    assert Project.objects.filter(search_document__contains="单一窗口").count() == 7  # hidden ones included
    with connection.cursor() as cursor:  # the tiny test table would be scanned: make the planner show the index
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = Project.objects.filter(search_document__contains="单一窗口").order_by().explain()
    assert "project_search_trgm" in plan


def test_article_page_query_count_is_bounded(client, catalogue, officer, coordinator, django_assert_max_num_queries):
    url = reverse("framework:article", kwargs={"code": "DEGD-2023", "number": 4})
    for _ in range(11):  # more than the page shows
        project = draft_project(officer=officer, article_tags=[ArticleTag(article(4), is_primary=True)])
        publish(project, officer=officer, coordinator=coordinator, on=at(2025, 3, 1))
    # article, neighbours, 10 projects with 4 prefetches, count, and what the layout asks for
    with django_assert_max_num_queries(11):
        response = client.get(url)
    assert len(response.context["article_projects"]) == 10 and response.context["article_projects_count"] == 12
    assert "See all 12 projects in the library" in response.content.decode()
