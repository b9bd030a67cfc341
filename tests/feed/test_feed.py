"""The sync feed on any database: what each caller receives, tombstones, cursors, retention."""

from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feed import cursors
from feed.models import FeedChange, FeedState
from feed.services import feed_prune, positions_assign
from feed.tasks import feed_prune_task
from projects.models import ExternalId, Project
from projects.services import (
    participation_invite,
    participation_withdraw,
    project_transition,
    project_update,
)
from tests.factories import UserFactory, draft_project, party

from .conftest import URL, follow, page, system_client

pytestmark = pytest.mark.django_db


def ids(entries):
    return [entry["id"] for entry in entries]


def by_id(entries):
    return {entry["id"]: entry for entry in entries}


def test_first_call_lists_the_callers_projects_then_continues_with_changes(officer, published, chn_system):
    draft = draft_project(officer=officer, title_en="Own draft")
    first = page(chn_system, page_size=1)
    assert first["snapshot"] is True and first["has_more"] is True
    entries, cursor = follow(chn_system, first["cursor"], page_size=1)
    listed = ids(first["results"] + entries)
    assert sorted(listed) == sorted([published.pk, draft.pk])
    assert all(entry["tombstone"] is None for entry in first["results"] + entries)
    # Up to date: nothing more until something changes.
    assert page(chn_system, cursor)["results"] == []
    project_update(project=draft, actor=officer, fields={"title_en": "Renamed draft"})
    body = page(chn_system, cursor)
    assert [(e["id"], e["project"]["title"]["en"]) for e in body["results"]] == [(draft.pk, "Renamed draft")]
    assert body["snapshot"] is False and body["has_more"] is False


def test_another_partys_drafts_never_appear(officer, ken_system):
    _, cursor = follow(ken_system)
    draft = draft_project(officer=officer)
    project_update(project=draft, actor=officer, fields={"title_en": "Still a draft"})
    project_transition(project=draft, actor=officer, action="withdraw")
    entries, _ = follow(ken_system, cursor)
    assert entries == []  # neither the draft nor a tombstone for it
    assert draft.pk not in ids(follow(ken_system)[0])  # nor in the full listing
    assert FeedChange.objects.filter(project_id=draft.pk).count() == 3


def test_anonymous_callers_get_public_changes_only(officer, focal_point, published):
    anonymous = system_client(None)
    _, cursor = follow(anonymous)
    draft = draft_project(officer=officer)
    project_update(project=published, actor=UserFactory(role="coordinator", party=None), fields={"places": "Nairobi"})
    entries, _ = follow(anonymous, cursor)
    assert ids(entries) == [published.pk]
    assert entries[0]["project"]["contact"] is None  # the list representation's disclosure rules hold
    assert draft.pk not in ids(follow(anonymous)[0])


def test_withdrawal_is_a_tombstone_for_everyone_who_saw_it(officer, published, chn_system, ken_system):
    _, chn_cursor = follow(chn_system)
    _, ken_cursor = follow(ken_system)
    project_transition(project=published, actor=officer, action="withdraw")
    for client, cursor in ((chn_system, chn_cursor), (ken_system, ken_cursor)):
        (entry,) = follow(client, cursor)[0]
        assert (entry["id"], entry["tombstone"], entry["project"]) == (published.pk, "withdrawn", None)
    assert published.pk not in ids(follow(chn_system)[0])  # the full listing leaves it out too


def test_deletion_is_a_tombstone(published, ken_system):
    _, cursor = follow(ken_system)
    pk = published.pk
    Project.objects.get(pk=pk).delete()  # as the admin does
    (entry,) = follow(ken_system, cursor)[0]
    assert (entry["id"], entry["tombstone"]) == (pk, "deleted")


def test_a_project_leaving_the_callers_scope_is_a_tombstone(officer, other_officer, ken_system, chn_system):
    draft = draft_project(officer=officer)
    _, ken_cursor = follow(ken_system)
    _, chn_cursor = follow(chn_system)
    participation = participation_invite(project=draft, actor=officer, party=party("KEN"), role="partner")
    entries, ken_cursor = follow(ken_system, ken_cursor)
    assert [(e["id"], e["tombstone"]) for e in entries] == [(draft.pk, None)]  # invited: KEN sees the draft
    participation_withdraw(participation=participation, actor=other_officer)
    entries, ken_cursor = follow(ken_system, ken_cursor)
    assert [(e["id"], e["tombstone"]) for e in entries] == [(draft.pk, "left_scope")]
    # The lead party still sees it: for CHN these are ordinary changes.
    chn_entries, _ = follow(chn_system, chn_cursor)
    assert [(e["id"], e["tombstone"]) for e in chn_entries] == [(draft.pk, None)]
    # After leaving, KEN hears nothing more of it.
    project_update(project=draft, actor=officer, fields={"title_en": "Later"})
    assert follow(ken_system, ken_cursor)[0] == []


def test_several_changes_of_a_project_in_a_page_are_one_entry(officer, chn_system):
    draft = draft_project(officer=officer)
    _, cursor = follow(chn_system)
    for title in ("One", "Two", "Three"):
        project_update(project=draft, actor=officer, fields={"title_en": title})
    entries, _ = follow(chn_system, cursor)
    positions = list(
        FeedChange.objects.filter(project_id=draft.pk).order_by("position").values_list("position", flat=True)
    )
    assert [(e["id"], e["position"], e["project"]["title"]["en"]) for e in entries] == [
        (draft.pk, positions[-1], "Three")
    ]


def test_changes_outside_the_services_are_recorded(published, coordinator):
    before = FeedChange.objects.filter(project_id=published.pk).count()
    ExternalId.objects.create(project=published, source="ken-db", external_id="K-1")  # importer, demo loader
    LogEntry.objects.create(  # what the admin writes after saving a project form and its inlines
        user=coordinator,
        content_type=ContentType.objects.get_for_model(Project),
        object_id=str(published.pk),
        object_repr="x",
        action_flag=CHANGE,
    )
    assert FeedChange.objects.filter(project_id=published.pk).count() == before + 2


def test_a_failed_write_records_nothing(officer, draft):
    before = FeedChange.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        project_update(project=draft, actor=officer, fields={"title_en": "Rolled back"})
        raise RuntimeError
    assert FeedChange.objects.count() == before


def test_a_change_committed_late_is_positioned_after_everything_served(officer, draft):
    """A lower id committing after higher ids were served still lands after the cursor."""
    late = FeedChange.objects.create(project_id=draft.pk)
    late_id = late.pk
    late.delete()  # stands for a transaction that has its id but has not committed yet
    FeedChange.objects.create(project_id=draft.pk)
    served = positions_assign().last_position
    FeedChange.objects.create(id=late_id, project_id=draft.pk)  # it commits now
    head = positions_assign().last_position
    assert served < FeedChange.objects.get(pk=late_id).position <= head


@pytest.fixture
def draft(officer):
    return draft_project(officer=officer)


def test_a_cursor_older_than_the_retention_is_gone(officer, draft, chn_system, settings):
    settings.FEED_TOMBSTONE_RETENTION = timedelta(days=30)
    _, cursor = follow(chn_system)
    project_update(project=draft, actor=officer, fields={"title_en": "Changed"})
    page(chn_system, cursor)  # positions the change
    FeedChange.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert feed_prune_task() > 0
    assert FeedState.objects.get(pk=1).pruned_through >= FeedChange.objects.count() == 0
    response = chn_system.get(URL, {"cursor": cursor})
    assert response.status_code == 410
    assert response["Content-Type"] == "application/problem+json"
    assert "without a cursor" in response.json()["detail"]
    assert feed_prune() == 0  # a second run finds nothing
    assert chn_system.get(URL).status_code == 200  # the way back: a full sync


def test_a_cursor_unused_for_longer_than_the_retention_is_gone(chn_system, settings):
    settings.FEED_TOMBSTONE_RETENTION = timedelta(days=30)
    _, cursor = follow(chn_system)
    later = timezone.now() + timedelta(days=31)
    with mock.patch("feed.selectors.time.time", return_value=later.timestamp()):
        assert chn_system.get(URL, {"cursor": cursor}).status_code == 410


@pytest.mark.parametrize("cursor", ["nonsense", "eyJwIjo1fQ:1abc:def"])
def test_a_malformed_or_forged_cursor_is_400(chn_system, cursor):
    response = chn_system.get(URL, {"cursor": cursor})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "cursor" in response.json()["errors"]


def test_a_tampered_cursor_is_400(chn_system):
    _, cursor = follow(chn_system)
    _payload, signature = cursor.split(":", 1)
    other = cursors.encode(cursors.Cursor(position=10**9)).split(":", 1)[0]  # another position, same signature
    response = chn_system.get(URL, {"cursor": f"{other}:{signature}"})
    assert response.status_code == 400
    assert chn_system.get(URL, {"page_size": "0"}).status_code == 400


def _count_page_queries(client, cursor) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        body = page(client, cursor)
    return len(queries), len(body["results"])


def test_a_feed_page_costs_the_same_queries_whatever_its_size(officer, focal_point, chn_system):
    projects = [draft_project(officer=officer, title_en=f"Project {n}") for n in range(12)]
    _, cursor = follow(chn_system)
    project_update(project=projects[0], actor=officer, fields={"title_en": "Only one"})
    positions_assign()
    small = _count_page_queries(chn_system, cursor)
    for project in projects[1:]:
        project_transition(project=project, actor=officer, action="submit")
    project_transition(project=projects[1], actor=officer, action="withdraw")
    positions_assign()
    large = _count_page_queries(chn_system, cursor)
    assert small[1] == 1 and large[1] == 12
    assert small[0] == large[0] <= 8


def test_the_position_task_positions_committed_changes(officer, draft):
    from feed.tasks import feed_position_task

    head = feed_position_task()
    assert head > 0 and not FeedChange.objects.filter(position__isnull=True).exists()
    assert feed_position_task() == head  # nothing new: the head stays


def test_bulk_writers_record_one_change_per_project(officer, published, draft, chn_system, ken_system):
    from feed.services import change_record_many

    _, chn_cursor = follow(chn_system)
    _, ken_cursor = follow(ken_system)
    with transaction.atomic():
        Project.objects.filter(pk=published.pk).update(status="withdrawn")  # as a bulk writer would
        change_record_many(project_ids=[draft.pk, published.pk, draft.pk])
    chn = {(e["id"], e["tombstone"]) for e in follow(chn_system, chn_cursor)[0]}
    assert chn == {(draft.pk, None), (published.pk, "withdrawn")}
    assert [(e["id"], e["tombstone"]) for e in follow(ken_system, ken_cursor)[0]] == [(published.pk, "withdrawn")]


def test_renaming_a_theme_changes_its_projects(published, chn_system):
    from projects.models import Theme

    _, cursor = follow(chn_system)
    theme = Theme.objects.get(name="Single window")
    theme.name = "Single windows"
    theme.save()
    (entry,) = follow(chn_system, cursor)[0]
    assert (entry["id"], entry["project"]["themes"]) == (published.pk, ["Single windows"])


def test_projects_created_by_the_bulk_upsert_reach_the_feed(chn_system, ken_system):
    """The bulk endpoint writes new projects with bulk statements, not through `project_create`:
    it records their feed changes itself (same transaction)."""
    _, chn_cursor = follow(chn_system)
    _, ken_cursor = follow(ken_system)
    body = {
        "language": "en",
        "title": {"en": "Bulk-created"},
        "summary": {"en": "Written by the bulk path."},
        "articles": [{"number": 5, "primary": True}],
    }
    items = [{"source": "chn-db", "external_id": f"F-{n}", "project": body} for n in (1, 2)]
    response = chn_system.post("/api/v1/projects/external/bulk/", {"items": items}, format="json")
    assert response.status_code == 200, response.content[:500]
    assert [row["result"] for row in response.json()["results"]] == ["created", "created"]
    created = set(ExternalId.objects.filter(source="chn-db").values_list("project_id", flat=True))
    assert {entry["id"] for entry in follow(chn_system, chn_cursor)[0]} == created
    assert follow(ken_system, ken_cursor)[0] == []  # drafts of another party


def test_recording_new_projects_directly_matches_the_general_path(officer):
    """`change_record_created` (the bulk upsert's shortcut) records what `change_record_many` would."""
    from feed.models import FeedScope
    from feed.services import change_record_created, change_record_many

    general, direct = draft_project(officer=officer), draft_project(officer=officer)
    FeedChange.objects.all().delete()
    FeedScope.objects.all().delete()  # as if neither had been recorded yet
    with transaction.atomic():
        change_record_many(project_ids=[general.pk])
        change_record_created(audiences={direct.pk: (False, {direct.lead_party_id})})
    changes = {c.project_id: (c.public, c.parties) for c in FeedChange.objects.all()}
    scopes = {s.project_id: (s.public, s.parties) for s in FeedScope.objects.all()}
    assert changes[general.pk] == changes[direct.pk] == scopes[general.pk] == scopes[direct.pk]
    assert changes[direct.pk] == (False, f",{officer.party_id},")
