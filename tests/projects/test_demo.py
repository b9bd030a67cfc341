"""The demo library loaded by `bootstrap --demo` (what `bin/serve` shows)."""

import re
from collections import Counter
from io import StringIO
from itertools import pairwise

import pytest
from django.core.management import call_command

from framework.models import Article, Pillar
from projects.choices import PUBLIC_STATUSES, ParticipationRole, ParticipationStatus, ProjectStatus
from projects.demo_data import PROJECTS
from projects.models import (
    ExternalId,
    Health,
    Indicator,
    Milestone,
    Participation,
    ProgressReport,
    Project,
    ProjectArticle,
    ReviewComment,
    Theme,
    Transition,
)
from projects.selectors import health_of, with_list_data
from registry.demo import DEMO_PASSWORD, MORE_PEOPLE, PEOPLE
from registry.models import Organization, Party, Role, User

pytestmark = pytest.mark.django_db
P = ParticipationStatus


def load_demo() -> str:
    out = StringIO()
    call_command("bootstrap", demo=True, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    return load_demo()


def demo_projects():
    return Project.objects.filter(external_ids__source="demo")


def test_the_library_is_large_covers_every_pillar_and_involves_many_parties(demo):
    assert f"Demo projects: {len(PROJECTS)} projects created" in demo
    assert demo_projects().count() == len(PROJECTS) >= 60
    public = demo_projects().filter(status__in=PUBLIC_STATUSES)
    pillars = Pillar.objects.filter(framework__code="DEGD-2023", articles__project_links__project__in=public).distinct()
    assert pillars.count() == 7
    outside_pillars = Article.objects.filter(
        framework__code="DEGD-2023", pillar=None, project_links__project__in=public
    )
    assert outside_pillars.exists()  # articles 27–35
    related = ProjectArticle.objects.filter(project__in=demo_projects()).exclude(article__framework__code="DEGD-2023")
    assert related.exists() and not related.filter(is_primary=True).exists()
    for project in demo_projects().prefetch_related("article_links"):
        links = list(project.article_links.all())
        primaries = [link for link in links if link.is_primary]
        assert 1 <= len(links) <= 3 and len(primaries) == 1 and primaries[0].note, project

    involved = Party.objects.filter(participations__project__in=demo_projects(), participations__status=P.ACTIVE)
    assert involved.distinct().count() >= 20
    statuses = Counter(Participation.objects.exclude(role=ParticipationRole.LEAD).values_list("status", flat=True))
    assert statuses[P.ACTIVE] and statuses[P.INVITED] and statuses[P.REQUESTED] and statuses[P.DECLINED]
    # Nobody is listed without both consents.
    for participation in Participation.objects.filter(status=P.ACTIVE):
        assert participation.lead_accepted_at and participation.party_confirmed_at
    for lead in demo_projects().values_list("lead_party__code", flat=True).distinct():
        roles = set(User.objects.filter(party__code=lead).values_list("role", flat=True))
        assert {Role.OFFICER, Role.FOCAL_POINT} <= roles, lead
    assert Organization.objects.values("kind").distinct().count() >= 5


def test_content_is_bilingual_and_complete(demo):
    projects = demo_projects()
    chinese, english = projects.filter(language="zh-hans"), projects.filter(language="en")
    assert chinese.exclude(title_en="").exists() and chinese.filter(title_en="").exists()
    assert english.exclude(title_zh_hans="").exists() and english.filter(title_zh_hans="").exists()
    assert {"单一窗口", "跨境电商", "Smart ports", "Clean energy", "E-invoicing"} <= set(
        Theme.objects.values_list("name", flat=True)
    )
    currencies = set(projects.exclude(budget_currency="").values_list("budget_currency", flat=True))
    assert {"USD", "CNY", "EUR", "KES", "THB"} <= currencies
    assert projects.filter(budget_restricted=True).exists() and projects.filter(early_harvest=True).exists()
    assert projects.exclude(beneficiary_groups=[]).exists() and projects.filter(sdgs__isnull=False).exists()
    assert not projects.filter(contact_name="").exists() and not projects.filter(cooperation_mode="").exists()


def test_every_status_is_reached_through_real_transitions_and_ongoing_projects_show_every_health(demo):
    projects = demo_projects()
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    for project in projects.exclude(status=ProjectStatus.DRAFT).prefetch_related("transitions__actor"):
        steps = list(project.transitions.all())
        assert steps[0].from_status == ProjectStatus.DRAFT and steps[-1].to_status == project.status
        assert all(a.to_status == b.from_status for a, b in pairwise(steps))
        for step in steps:
            actor = step.actor
            if step.to_status in (ProjectStatus.SUBMITTED, ProjectStatus.RESUBMITTED, ProjectStatus.ONGOING):
                assert actor.is_officer and actor.party_id == project.lead_party_id
            elif step.to_status in (ProjectStatus.PUBLISHED, ProjectStatus.RETURNED):
                assert actor.is_coordinator or (actor.is_focal_point and actor.party_id == project.lead_party_id)
            elif step.to_status == ProjectStatus.CANCELLED:
                assert actor.is_coordinator and step.comment
        assert all(step.at <= project.updated_at for step in steps)
    for project in projects.filter(status__in=PUBLIC_STATUSES):
        assert re.fullmatch(r"DEGD-\d{4}-\d{4}", project.reference_code)
    returned = projects.filter(status=ProjectStatus.RETURNED)
    assert ReviewComment.objects.filter(project__in=returned).count() >= returned.count()

    ongoing = with_list_data(projects.filter(status=ProjectStatus.ONGOING))
    health = Counter(health_of(project) for project in ongoing)
    assert health[Health.GREEN] and health[Health.AMBER] and health[Health.RED]
    assert Milestone.objects.filter(project__in=projects, done_on__isnull=False).exists()
    assert any(project.has_overdue_milestone for project in ongoing)
    assert Indicator.objects.filter(report__project__in=projects).exists()
    # Completed projects end with a final report at 100 %.
    for project in projects.filter(status=ProjectStatus.COMPLETED):
        assert project.progress_reports.first().percent_complete == 100


def test_loading_twice_changes_nothing(demo, settings):
    def counts():
        return [
            model.objects.count()
            for model in (Project, Participation, Transition, ReviewComment, Milestone, ProgressReport, Indicator)
        ] + [
            ExternalId.objects.count(),
            Theme.objects.count(),
            User.objects.count(),
            Organization.objects.count(),
            Project.history.count(),
            User.history.count(),
        ]

    before = counts()
    output = load_demo()
    assert f"0 projects created, {len(PROJECTS)} already there" in output
    assert counts() == before


def test_every_demo_login_signs_in_with_the_demo_password(demo, client):
    for username, *_rest in PEOPLE + MORE_PEOPLE:
        response = client.post(
            "/account/login/", {"username": username, "password": DEMO_PASSWORD}, REMOTE_ADDR="10.9.8.7"
        )
        assert response.status_code == 302, username
        assert client.session["_auth_user_id"] == str(User.objects.get(username=username).pk)
        client.post("/account/logout/")
    assert {role for _u, role, *_rest in PEOPLE} == set(Role.values)
