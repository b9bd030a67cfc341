"""The list's purpose-built read path answers exactly what `ProjectListSerializer` answers,
for every kind of caller, on varied projects; and every list endpoint stays within 3 queries."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from projects.api import read_path
from projects.api.serializers import ProjectListSerializer, attach_related
from projects.models import Document, ExternalId, Milestone, Participation, ProgressReport, Project, Theme
from projects.services import project_transition
from registry.models import Organization, User
from tests.factories import UserFactory, article, draft_project, party

from .matrix import ACTORS

pytestmark = pytest.mark.django_db

LIST = "/api/v1/projects/"


def _publish(project, actor, coordinator):
    project_transition(project=project, actor=actor, action="submit")
    return project_transition(project=project, actor=coordinator, action="publish")


@pytest.fixture
def varied(officer, other_officer, focal_point):
    """Projects in every shape the representation distinguishes."""
    coordinator = UserFactory(role="coordinator", party=None, username="coord_varied")
    now = timezone.now()
    made = [draft_project(officer=officer, title_en="A CHN draft", contact_name="Li Wei")]
    plain = draft_project(
        officer=other_officer,
        title_en="Kenyan pilot",
        title_zh_hans="肯尼亚试点 “单一窗口”",
        summary_zh_hans="摘要",
        budget_restricted=False,
        contact_restricted=False,
        contact_name="Amina",
        countries=["KEN", "TZA"],
        beneficiary_groups=["women", "msme"],
        places="Nairobi, Mombasa",
        early_harvest=True,
    )
    plain.lead_organization = Organization.objects.create(party=party("KEN"), name_en="KenTrade", name_zh_hans="")
    plain.save()
    plain.themes.add(Theme.objects.create(name="zeta"), Theme.objects.create(name="Alpha"))
    ExternalId.objects.create(project=plain, source="erp", external_id="K-2")
    ExternalId.objects.create(project=plain, source="crm", external_id="K-10")
    made.append(_publish(plain, other_officer, coordinator))
    restricted = draft_project(officer=officer, title_en="Restricted budget", budget_restricted=True)
    restricted.article_links.filter(is_primary=False).update(note="Also serves customs")
    restricted = _publish(restricted, officer, coordinator)
    restricted.budget_amount = Decimal("1234.5")
    restricted.save()
    for code, role, status in [
        ("KEN", "partner", "active"),
        ("TZA", "supporter", "invited"),
        ("ZMB", "partner", "active"),
    ]:
        Participation.objects.create(
            project=restricted,
            party=party(code),
            role=role,
            status=status,
            lead_accepted_at=now,
            party_confirmed_at=now if status == "active" else None,
        )
    made.append(restricted)
    ongoing = _publish(draft_project(officer=officer, title_en="Ongoing"), officer, coordinator)
    ongoing = project_transition(project=ongoing, actor=officer, action="start")
    Milestone.objects.create(project=ongoing, title="Late", due_on=timezone.localdate() - timedelta(days=3))
    ProgressReport.objects.create(
        project=ongoing,
        party=party("CHN"),
        author=officer,
        period_start=timezone.localdate() - timedelta(days=30),
        period_end=timezone.localdate(),
        narrative="x",
        language="en",
        percent_complete=10,
    )
    made.append(ongoing)
    healthy = _publish(draft_project(officer=other_officer, title_en="Healthy"), other_officer, coordinator)
    healthy = project_transition(project=healthy, actor=other_officer, action="start")
    ProgressReport.objects.create(
        project=healthy,
        party=party("KEN"),
        author=other_officer,
        period_start=timezone.localdate() - timedelta(days=300),
        period_end=timezone.localdate() - timedelta(days=250),
        submitted_on=timezone.localdate() - timedelta(days=250),
        narrative="x",
        language="en",
        percent_complete=10,
    )
    made.append(healthy)
    bare = draft_project(officer=officer, title_en="Bare", start_on=None, end_on=None, budget_amount=None)
    bare.sdgs.clear()
    bare.article_links.all().delete()
    made.append(bare)
    Project.objects.filter(pk=plain.pk).update(cooperation_mode="plurilateral", project_type="joint_research")
    assert article(5)  # the catalogue is loaded
    return made


def _user(actor, officer, other_officer, focal_point):
    return {
        "anonymous": AnonymousUser(),
        "other_officer": other_officer,
        "own_officer": officer,
        "focal_point": focal_point,
        "coordinator": User.objects.filter(username="coord").first(),
        "other_key": User.objects.filter(username="system-KEN-read_write").first(),
        "own_key_read": User.objects.filter(username="system-CHN-read").first(),
        "own_key_write": User.objects.filter(username="system-CHN-read_write").first(),
    }[actor]


def _serialized(user, ids):
    """What the generic serializer answers for these projects, in this order."""
    queryset = Project.objects.visible_to(user).select_related("lead_party", "lead_organization").with_reporting()
    projects = {project.pk: project for project in queryset.filter(pk__in=ids)}
    page = attach_related([projects[pk] for pk in ids])
    request = RequestFactory().get(LIST)
    request.user = user
    return ProjectListSerializer(page, many=True, context={"request": request}).data


@pytest.mark.parametrize("actor", ACTORS)
def test_the_read_path_answers_exactly_what_the_serializer_answers(
    actor_client, varied, actor, officer, other_officer, focal_point
):
    client = actor_client(actor)
    response = client.get(f"{LIST}?page_size=100")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    ids = [row["id"] for row in body["results"]]
    assert len(ids) >= 4
    user = _user(actor, officer, other_officer, focal_point)
    expected = _serialized(user, ids)
    assert body["results"] == json.loads(JSONRenderer().render(expected))
    # Byte for byte, as DRF's renderer writes it (same key order, same number and date formats).
    rendered = JSONRenderer().render({"next": body["next"], "previous": body["previous"], "results": expected})
    assert response.content == rendered


def test_the_representation_covers_the_varied_shapes(actor_client, varied):
    rows = {
        row["title"]["en"]: row for row in actor_client("coordinator").get(f"{LIST}?page_size=100").json()["results"]
    }
    assert rows["Restricted budget"]["budget"] == {"amount": "1234.50", "currency": "USD"}
    assert [p["party"] for p in rows["Restricted budget"]["participations"]] == ["TZA", "KEN", "ZMB", "CHN"]
    assert rows["Ongoing"]["reporting_health"] == "red" and rows["Healthy"]["reporting_health"] == "amber"
    assert rows["Kenyan pilot"]["themes"] == ["Alpha", "Single window", "zeta"]
    assert rows["Kenyan pilot"]["lead_organization"]["name"] == {"zh-hans": "", "en": "KenTrade"}
    assert rows["Bare"]["articles"] == [] and rows["Bare"]["budget"] is None


@pytest.mark.parametrize("actor", ACTORS)
def test_the_read_path_scope_is_visible_to(actor_client, varied, actor, officer, other_officer, focal_point):
    actor_client(actor)  # creates the key accounts
    user = _user(actor, officer, other_officer, focal_point)
    mine = set(read_path.visible_projects(user).values_list("pk", flat=True))
    assert mine == set(Project.objects.visible_to(user).values_list("pk", flat=True))


def _many_published(officer, count):
    coordinator = UserFactory(role="coordinator", party=None, username="coord_many")
    for n in range(count):
        project = draft_project(officer=officer, title_en=f"Project {n}")
        Participation.objects.create(
            project=project,
            party=party("KEN"),
            role="partner",
            status="active",
            lead_accepted_at=timezone.now(),
            party_confirmed_at=timezone.now(),
        )
        _publish(project, officer, coordinator)


@pytest.mark.parametrize("size", [5, 40])
def test_every_list_endpoint_takes_at_most_three_queries(actor_client, officer, size, django_assert_max_num_queries):
    _many_published(officer, size)
    project = Project.objects.order_by("pk").first()
    for n in range(size):
        Milestone.objects.create(project=project, title=f"M{n}", due_on=timezone.localdate() + timedelta(days=n))
        Document.objects.create(
            project=project, title=f"D{n}", file="x.pdf", content_type="application/pdf", size=1, uploaded_by=officer
        )
        ProgressReport.objects.create(
            project=project,
            party=party("CHN"),
            author=officer,
            period_start=timezone.localdate(),
            period_end=timezone.localdate(),
            narrative="x",
            language="en",
            percent_complete=1,
        )
    anonymous, key = actor_client("anonymous"), actor_client("own_key_read")
    for path, count in [
        (f"{LIST}?page_size={size}", size),
        (f"{LIST}{project.pk}/participations/", 2),
        (f"{LIST}{project.pk}/milestones/", size),
        (f"{LIST}{project.pk}/progress-reports/", size),
        (f"{LIST}{project.pk}/documents/", size),
    ]:
        with django_assert_max_num_queries(3):
            response = anonymous.get(path)
        body = response.json()
        assert len(body["results"] if isinstance(body, dict) else body) == count, path
        with django_assert_max_num_queries(5):  # + the key and its account
            assert key.get(path).status_code == 200
