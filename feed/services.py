"""Writes of the change feed: recording a change, positioning committed changes, pruning."""

from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from projects.choices import PUBLIC_STATUSES, ParticipationStatus
from projects.models import Participation, Project

from .models import FeedChange, FeedScope, FeedState

SEEING_PARTICIPATIONS = (ParticipationStatus.ACTIVE, ParticipationStatus.INVITED)  # as `visible_to`


def parties_text(party_ids) -> str:
    ids = sorted({int(pk) for pk in party_ids if pk})
    return f",{','.join(map(str, ids))}," if ids else ""


def parties_of(text: str) -> set[int]:
    return {int(pk) for pk in text.split(",") if pk}


def current_audience(project_id: int) -> tuple[bool, set[int]] | None:
    """(public, party ids) that can see the project now; None when it is gone."""
    project = Project.objects.filter(pk=project_id).values("status", "lead_party_id").first()
    if project is None:
        return None
    parties = set(
        Participation.objects.filter(project_id=project_id, status__in=SEEING_PARTICIPATIONS).values_list(
            "party_id", flat=True
        )
    )
    parties.add(project["lead_party_id"])
    return project["status"] in PUBLIC_STATUSES, parties


def _locked_scope(project_id: int) -> FeedScope:
    scope = FeedScope.objects.select_for_update().filter(project_id=project_id).first()
    if scope is not None:
        return scope
    try:  # a project older than the feed (the migration seeds them) or a new one: "before" is nobody
        with transaction.atomic():
            return FeedScope.objects.create(project_id=project_id)
    except IntegrityError:  # created by a concurrent change, which has committed by now
        return FeedScope.objects.select_for_update().get(project_id=project_id)


def change_record(*, project_id: int) -> FeedChange:
    """Append a change of `project_id`, in the caller's transaction, after its last write.

    The `FeedScope` row lock serializes the changes of one project, and the audience is read
    after it is taken, so each change's "before" is exactly the previous change's "after"."""
    with transaction.atomic(savepoint=False):  # no SAVEPOINT round trips inside a service
        scope = _locked_scope(project_id)
        audience = current_audience(project_id)
        public, parties = audience or (False, set())
        before = parties_of(scope.parties)
        change = FeedChange.objects.create(
            project_id=project_id, public=scope.public or public, parties=parties_text(before | parties)
        )
        if audience is None:
            scope.delete()
        else:
            scope.public, scope.parties = public, parties_text(parties)
            scope.save(update_fields=["public", "parties"])
    return change


def change_record_many(*, project_ids) -> list[FeedChange]:
    """`change_record` for many projects in a few statements (bulk writers: one change each).

    Locks the projects' `FeedScope` rows in id order (no deadlock between two bulk writers)."""
    ids = sorted({int(pk) for pk in project_ids})
    if not ids:
        return []
    with transaction.atomic(savepoint=False):
        FeedScope.objects.bulk_create([FeedScope(project_id=pk) for pk in ids], ignore_conflicts=True)
        scopes = {
            scope.project_id: scope
            for scope in FeedScope.objects.select_for_update().filter(project_id__in=ids).order_by("project_id")
        }
        statuses, parties = {}, {}
        for pk, status, lead in Project.objects.filter(pk__in=ids).values_list("pk", "status", "lead_party_id"):
            statuses[pk], parties[pk] = status, {lead}
        seeing = Participation.objects.filter(project_id__in=ids, status__in=SEEING_PARTICIPATIONS)
        for pk, party_id in seeing.values_list("project_id", "party_id"):
            parties[pk].add(party_id)
        changes = []
        for pk in ids:
            scope, public = scopes[pk], statuses.get(pk) in PUBLIC_STATUSES
            after = parties.get(pk, set())
            changes.append(
                FeedChange(
                    project_id=pk,
                    public=scope.public or public,
                    parties=parties_text(parties_of(scope.parties) | after),
                )
            )
            scope.public, scope.parties = public, parties_text(after)
        FeedChange.objects.bulk_create(changes)
        # An upsert, not bulk_update: one statement instead of a CASE per row (500 rows: ~10 ms, not ~200).
        FeedScope.objects.bulk_create(
            [scopes[pk] for pk in statuses],
            update_conflicts=True,
            unique_fields=["project_id"],
            update_fields=["public", "parties"],
        )
        FeedScope.objects.filter(project_id__in=[pk for pk in ids if pk not in statuses]).delete()
    return changes


def change_record_created(*, audiences: dict[int, tuple[bool, set[int]]]) -> None:
    """`change_record_many` for projects created in the current transaction, whose audience the
    caller knows ({project id: (public, party ids)}): no earlier scope can exist, so there is
    nothing to lock or read — two inserts (the bulk upsert's 500 new projects: ~5 ms, not ~100)."""
    if not audiences:
        return
    rows = [
        {"project_id": pk, "public": public, "parties": parties_text(parties)}
        for pk, (public, parties) in audiences.items()
    ]
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql":
            # Imported here: the projects' services import this module.
            from projects.services import bulk_sql

            bulk_sql.insert(FeedChange, rows, constants={"created_at": timezone.now()})
            bulk_sql.insert(FeedScope, rows)
        else:
            FeedChange.objects.bulk_create([FeedChange(**row) for row in rows])
            FeedScope.objects.bulk_create([FeedScope(**row) for row in rows])


def _state_row() -> None:
    """The state row exists from the migration on; a flushed test database loses it."""
    if not FeedState.objects.filter(pk=1).exists():
        try:
            with transaction.atomic():
                FeedState.objects.create(pk=1)
        except IntegrityError:
            pass


def feed_state() -> FeedState:
    state = FeedState.objects.filter(pk=1).first()
    if state is None:
        _state_row()
        state = FeedState.objects.get(pk=1)
    return state


def positions_assign() -> FeedState:
    """Give every committed, unpositioned change a position above all given so far; return the state.

    Positions follow ids within a batch but are not dense (`id + offset`). Rows of transactions
    still open are invisible here and are positioned by a later call, above this call's head."""
    if not FeedChange.objects.filter(position__isnull=True).exists():
        return feed_state()
    _state_row()
    with transaction.atomic():
        state = FeedState.objects.select_for_update().get(pk=1)
        bounds = FeedChange.objects.filter(position__isnull=True).aggregate(low=Min("id"), high=Max("id"))
        if bounds["low"] is not None:
            offset = state.last_position - bounds["low"] + 1
            FeedChange.objects.filter(position__isnull=True, id__range=(bounds["low"], bounds["high"])).update(
                position=F("id") + offset
            )
            state.last_position = bounds["high"] + offset
            state.save(update_fields=["last_position"])
    return state


def feed_prune(*, now: datetime | None = None) -> int:
    """Delete positioned changes older than the retention; cursors before them become 410 Gone."""
    cutoff = (now or timezone.now()) - settings.FEED_TOMBSTONE_RETENTION
    through = FeedChange.objects.filter(position__isnull=False, created_at__lt=cutoff).aggregate(p=Max("position"))["p"]
    if through is None:
        return 0
    _state_row()
    with transaction.atomic():
        state = FeedState.objects.select_for_update().get(pk=1)
        deleted, _ = FeedChange.objects.filter(position__lte=through).delete()
        state.pruned_through = max(state.pruned_through, through)
        state.save(update_fields=["pruned_through"])
    return deleted
