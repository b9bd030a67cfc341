"""Property: a partner that resumes from stored cursors while others write receives every
change exactly once and ends with a copy equal to a fresh full sync — on PostgreSQL, with
concurrent writers on their own connections, some holding their transaction open (sleeping
before commit) so that rows commit out of id order while the reader pages and positions."""

import itertools
import random
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from feed import cursors
from feed.models import FeedChange
from projects.choices import ParticipationStatus
from projects.models import ExternalId, Participation
from projects.services import (
    participation_invite,
    participation_withdraw,
    project_transition,
    project_update,
)
from tests.factories import UserFactory, draft_project, party

from .conftest import follow, page, system_client

ACTIONS = ["edit", "invite", "leave", "publish", "withdraw", "external"]
HOLDS = [0, 0, 0.02, 0.15, 0.4]  # seconds a writer keeps its transaction open after writing

operations = st.lists(
    st.tuples(
        st.integers(0, 2),  # writer thread
        st.integers(0, 3),  # project of this example
        st.sampled_from(ACTIONS),
        st.sampled_from(HOLDS),
    ),
    min_size=6,
    max_size=14,
)


@pytest.fixture
def people(transactional_db):
    return {
        "coordinator": UserFactory(role="coordinator", party=None, username="prop-coord"),
        "officer": UserFactory(role="officer", party=party("CHN"), username="prop-officer-chn"),
        "focal": UserFactory(role="focal_point", party=party("CHN"), username="prop-focal-chn"),
        "ken_officer": UserFactory(role="officer", party=party("KEN"), username="prop-officer-ken"),
    }


def _apply(people, project, action, serial):
    if action == "edit":
        project_update(project=project, actor=people["coordinator"], fields={"title_en": f"Edit {serial}"})
    elif action == "invite":
        participation_invite(project=project, actor=people["coordinator"], party=party("KEN"), role="partner")
    elif action == "leave":
        participation = Participation.objects.filter(
            project=project,
            party__code="KEN",
            status__in=(ParticipationStatus.ACTIVE, ParticipationStatus.INVITED, ParticipationStatus.REQUESTED),
        ).first()
        if participation:
            participation_withdraw(participation=participation, actor=people["ken_officer"])
    elif action == "publish":
        project_transition(project=project, actor=people["officer"], action="submit")
        project_transition(project=project, actor=people["focal"], action="publish")
    elif action == "withdraw":
        project_transition(project=project, actor=people["officer"], action="withdraw")
    elif action == "external":
        ExternalId.objects.create(project=project, source="prop", external_id=f"E-{serial}")


def _writer(people, projects, ops, errors):
    try:
        for serial, (index, action, hold) in ops:
            try:
                with transaction.atomic():
                    _apply(people, projects[index], action, serial)
                    time.sleep(hold)  # a long transaction: its change row has an early id, commits late
            except (ValidationError, PermissionDenied):
                pass  # not allowed in the project's current state: nothing changed
            except DatabaseError:
                pass  # a deadlock victim is rolled back whole, its change row with it
    except Exception as exc:  # pragma: no cover - reported by the main thread
        errors.append(exc)
    finally:
        connection.close()


def _read_page(client, cursor, log):
    body = page(client, cursor, page_size=random.choice([1, 2, 5]))
    log.append((cursor, body))
    return body


@pytest.mark.postgres
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=operations)
def test_every_change_reaches_a_resuming_partner_exactly_once(people, ops):
    projects = [draft_project(officer=people["officer"], title_en=f"Prop {n}") for n in range(4)]
    project_transition(project=projects[1], actor=people["officer"], action="submit")
    project_transition(project=projects[1], actor=people["focal"], action="publish")
    participation_invite(project=projects[2], actor=people["officer"], party=party("KEN"), role="partner")

    reader = system_client("KEN", username=f"prop-ken-{time.monotonic_ns()}")
    log = []
    body = _read_page(reader, None, log)  # the full listing starts; writers start at once
    copy = {}

    per_writer = {0: [], 1: [], 2: []}
    for serial, (writer, index, action, hold) in enumerate(ops):
        per_writer[writer].append((serial, (index, action, hold)))
    errors = []
    threads = [
        threading.Thread(target=_writer, args=(people, projects, w_ops, errors)) for w_ops in per_writer.values()
    ]
    for thread in threads:
        thread.start()
    while any(thread.is_alive() for thread in threads) or body["has_more"]:
        body = _read_page(reader, body["cursor"], log)  # resume from the stored cursor, as a partner does
        time.sleep(0.005)
    for thread in threads:
        thread.join()
    assert not errors
    body = _read_page(reader, body["cursor"], log)  # everything has committed: drain
    while body["has_more"]:
        body = _read_page(reader, body["cursor"], log)
    assert not FeedChange.objects.filter(position__isnull=True).exists()

    # Apply the pages, in order, to the partner's copy.
    for _cursor, page_body in log:
        for entry in page_body["results"]:
            if entry["tombstone"]:
                copy.pop(entry["id"], None)
            else:
                copy[entry["id"]] = entry["project"]

    # The copy is the caller's scope as a fresh full sync sees it now.
    fresh, _ = follow(system_client("KEN", username=f"prop-ken-fresh-{time.monotonic_ns()}"))
    assert copy == {entry["id"]: entry["project"] for entry in fresh}

    # Exactly once: change pages tile the positions; each change of the caller's audience falls in
    # one page, which carries its project at that change's position or later; no entry is made up.
    change_pages = [
        (cursors.decode(cursor).position, cursors.decode(page_body["cursor"]).position, page_body["results"])
        for cursor, page_body in log
        if cursor and not cursors.decode(cursor).in_snapshot
    ]
    start = change_pages[0][0]
    for (_, previous_end, _), (begin, _, _) in itertools.pairwise(change_pages):
        assert begin == previous_end
    ken = party("KEN").pk
    relevant = [
        (row.project_id, row.position)
        for row in FeedChange.objects.filter(position__gt=start).order_by("position")
        if row.public or f",{ken}," in row.parties
    ]
    served = [entry["position"] for _b, _e, entries in change_pages for entry in entries]
    assert served == sorted(set(served))  # never the same change twice, never backwards
    for project_id, position in relevant:
        (entries,) = [entries for begin, end, entries in change_pages if begin < position <= end]
        assert any(e["id"] == project_id and e["position"] >= position for e in entries), (project_id, position)
    rows = list(FeedChange.objects.filter(position__gt=start).order_by("position").values_list("id", flat=True))
    event(f"changes committed out of id order: {sum(a > b for a, b in itertools.pairwise(rows)) > 0}")
    for kind in ("withdrawn", "left_scope"):
        event(f"{kind} tombstone served: {any(e['tombstone'] == kind for *_x, es in change_pages for e in es)}")
    relevant_set = set(relevant)
    for begin, end, entries in change_pages:
        for entry in entries:
            assert begin < entry["position"] <= end
            assert (entry["id"], entry["position"]) in relevant_set
