# ruff: noqa: S608 - the table name is a module constant
"""A catalogue edit that changes what projects show reaches the sync feed, the aggregate store and
the kept export cells without a full rebuild (`feed.signals`)."""

import pytest
from django.db import connection
from django.db.models import Q

from feed.models import FeedChange
from framework.models import Article, Pillar
from projects.choices import ParticipationStatus
from projects.exports.cells import TABLE
from projects.models import Participation, Project, ProjectArticle
from projects.tasks import coverage_refresh_task
from tests.dashboard.test_aggregates import assert_a_full_rebuild_gives_the_same_cube, figures
from tests.dashboard.test_export_cells import THEMES, _age_the_feed, _export

pytestmark = pytest.mark.django_db


def _feed_projects(since: int) -> set[int]:
    return set(FeedChange.objects.filter(id__gt=since).values_list("project_id", flat=True))


def _last_change() -> int:
    return FeedChange.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_an_article_moved_to_another_pillar_moves_its_projects_figures(projects, coordinator):
    coverage_refresh_task()
    article = ProjectArticle.objects.filter(project=projects["p1"]).select_related("article").first().article
    other = Pillar.objects.filter(framework=article.framework).exclude(pk=article.pillar_id).first()
    tagged = set(ProjectArticle.objects.filter(article=article).values_list("project_id", flat=True))
    before = figures(coordinator)
    since = _last_change()

    article.pillar = other
    article.save()

    assert _feed_projects(since) == tagged
    coverage_refresh_task()
    after = figures(coordinator)
    assert after.as_of is not None  # read from the store, refreshed incrementally
    assert [row["total"] for row in after.matrix] != [row["total"] for row in before.matrix]
    assert_a_full_rebuild_gives_the_same_cube()


def test_a_party_code_reaches_the_kept_export_cells(projects, coordinator_client):
    _age_the_feed()
    coverage_refresh_task()
    participant = Participation.objects.filter(status=ParticipationStatus.ACTIVE).select_related("party").first()
    party = participant.party
    involved = Project.objects.filter(Q(lead_party=party) | Q(participations__party=party))
    since = _last_change()

    party.code = "ZZZ"
    party.save()

    assert _feed_projects(since) == set(involved.values_list("id", flat=True))
    _age_the_feed()  # as if the refresh read it a while ago: the export reads the kept cells
    coverage_refresh_task()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT project_id FROM {TABLE} WHERE participants_en LIKE %s", ["%ZZZ (%"])
        assert participant.project_id in {row[0] for row in cursor.fetchall()}
    row = _export(coordinator_client)[participant.project.title_en]
    assert "ZZZ (" in " ".join(str(cell) for cell in row.values())


def test_a_theme_renamed_reaches_the_kept_export_cells(projects, coordinator_client):
    _age_the_feed()
    coverage_refresh_task()
    theme = projects["p1"].themes.get(name="Single window")
    theme.name = "One-stop window"
    theme.save()
    _age_the_feed()
    coverage_refresh_task()
    assert _export(coordinator_client)[projects["p1"].title_en][THEMES] == "One-stop window"


def test_saving_what_projects_do_not_show_records_nothing(projects):
    since = _last_change()
    article = Article.objects.filter(project_links__isnull=False).first()
    article.save()  # unchanged
    article.title_en = article.title_en + " (edited)"
    article.save()  # a text no project shows
    assert _feed_projects(since) == set()
