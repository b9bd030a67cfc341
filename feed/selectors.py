"""Reading the change feed for one caller. A page costs a fixed number of queries:
positioning (one query when nothing is waiting), the caller's changes, the projects' states,
the visible projects and `attach_related`'s two."""

import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q

from projects.api.serializers import attach_related
from projects.choices import ProjectStatus
from projects.models import Project

from .cursors import Cursor
from .models import FeedChange
from .services import positions_assign

DELETED, WITHDRAWN, LEFT_SCOPE = "deleted", "withdrawn", "left_scope"


class CursorGone(Exception):
    """The changes after this cursor are no longer kept: resync in full."""


@dataclass
class Entry:
    id: int
    position: int
    tombstone: str | None = None
    project: Project | None = None


@dataclass
class FeedPage:
    entries: list[Entry] = field(default_factory=list)
    next_cursor: Cursor | None = None
    has_more: bool = False
    snapshot: bool = False


def _audience(user) -> Q | None:
    """The changes a caller may hear of (None: all), the feed's side of `visible_to(user)`."""
    if user.is_authenticated and (user.is_superuser or user.is_coordinator):
        return None
    audience = Q(public=True)
    if user.is_authenticated and user.party_id:
        audience |= Q(parties__contains=f",{user.party_id},")
    return audience


def _visible(user, ids) -> dict[int, Project]:
    projects = (
        Project.objects.visible_to(user)
        .filter(pk__in=ids)
        .exclude(status=ProjectStatus.WITHDRAWN)
        .select_related("lead_party", "lead_organization")
        .with_reporting()
    )
    return {project.pk: project for project in attach_related(list(projects))}


def _check_retained(cursor: Cursor, pruned_through: int) -> None:
    retention = settings.FEED_TOMBSTONE_RETENTION.total_seconds()
    if cursor.position < pruned_through or time.time() - cursor.issued_at > retention:
        raise CursorGone


def feed_page(*, user, cursor: Cursor | None, size: int) -> FeedPage:
    state = positions_assign()
    if cursor is None:
        return _snapshot_page(user, Cursor(position=state.last_position, after_id=0), size)
    _check_retained(cursor, state.pruned_through)
    if cursor.in_snapshot:
        return _snapshot_page(user, cursor, size)
    return _changes_page(user, cursor, state.last_position, size)


def _snapshot_page(user, cursor: Cursor, size: int) -> FeedPage:
    """The caller's current projects by id; the changes after `cursor.position` follow."""
    ids = list(
        Project.objects.visible_to(user)
        .exclude(status=ProjectStatus.WITHDRAWN)
        .filter(pk__gt=cursor.after_id)
        .order_by("pk")
        .values_list("pk", flat=True)[: size + 1]
    )
    has_more = len(ids) > size
    ids = ids[:size]
    projects = _visible(user, ids)
    # A project hidden or withdrawn between the two queries is the next change's business.
    entries = [Entry(pk, cursor.position, project=projects[pk]) for pk in ids if pk in projects]
    after = ids[-1] if has_more else None
    return FeedPage(entries, Cursor(position=cursor.position, after_id=after), has_more=True, snapshot=True)


def _changes_page(user, cursor: Cursor, head: int, size: int) -> FeedPage:
    changes = FeedChange.objects.filter(position__gt=cursor.position, position__lte=head)
    audience = _audience(user)
    if audience is not None:
        changes = changes.filter(audience)
    rows = list(changes.order_by("position").values_list("project_id", "position")[: size + 1])
    has_more = len(rows) > size
    rows = rows[:size]
    last = {}  # several changes of one project in a page: one entry, at its last position
    for project_id, position in rows:
        last[project_id] = position
    states = dict(Project.objects.filter(pk__in=last).values_list("pk", "status"))
    projects = _visible(user, [pk for pk, status in states.items() if status != ProjectStatus.WITHDRAWN])
    entries = []
    for project_id, position in sorted(last.items(), key=lambda item: item[1]):
        if project_id in projects:
            entries.append(Entry(project_id, position, project=projects[project_id]))
        elif project_id not in states:
            entries.append(Entry(project_id, position, DELETED))
        elif states[project_id] == ProjectStatus.WITHDRAWN:
            entries.append(Entry(project_id, position, WITHDRAWN))
        else:
            entries.append(Entry(project_id, position, LEFT_SCOPE))
    next_position = rows[-1][1] if has_more else head
    return FeedPage(entries, Cursor(position=next_position), has_more=has_more)
