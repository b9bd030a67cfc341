"""One publish that concerns 200 parties × 3 people = 600 notifications (issue 6).

Seeds 200 parties taking part in one submitted project (the lead party and 199 active
participants), each with 3 officers; publishing tells every officer of the parties taking part
(and the coordinators other than the actor: here there are none), so 600 inbox entries and 600
e-mails. Then, ROUNDS times, on a fresh project:

- publishes it through the API (`POST /api/v1/projects/{id}/transitions/`, Django's test client,
  a coordinator, If-Match from a GET beforehand) with the broker a real redis-server: the time of
  the request, which must not wait for delivery (it only writes the outbox row and queues a task);
- then starts one real `celery -A config worker` (-Q default,email,webhooks, concurrency 1) and
  measures the time until all 600 e-mails are in the worker's file mailbox and the event is
  delivered, from the worker's start and from its "ready" line.

    .venv/bin/python bench/notifications_fanout.py [rounds]

Uses (and empties) DATABASE_URL, by default postgres://app:app@127.0.0.1:5432/bench_notify; its
own redis-server on a free port in 6391-6399.
"""

import os
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
PARTIES, PEOPLE = 200, 3
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/bench_notify")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def seed():
    """200 parties with 3 officers each, a coordinator, and a submitted project per round; what
    seeding records (parties joining, submissions) counts as delivered, and queues nothing."""
    from notifications import events

    dispatch, events.dispatch = events.dispatch, lambda event_id: None
    try:
        return _seed()
    finally:
        events.dispatch = dispatch


def _seed():
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import OutboxEvent
    from projects.choices import ParticipationStatus
    from projects.models import Participation
    from projects.services import project_transition
    from registry.models import Party, PartyKind, PartyStatus, User
    from tests.factories import draft_project

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("bootstrap", verbosity=0)
    lead = Party.objects.get(code="CHN")
    others = list(Party.objects.exclude(pk=lead.pk).order_by("code")[: PARTIES - 1])
    for number in range(PARTIES - 1 - len(others)):
        others.append(
            Party.objects.create(
                code=f"B{number:03d}",
                kind=PartyKind.COUNTRY,
                status=PartyStatus.PARTICIPANT,
                name_en=f"Bench party {number}",
                name_zh_hans=f"基准缔约方{number}",
            )
        )
    parties = [lead, *others]
    User.objects.bulk_create(
        User(
            username=f"fan-{p.code}-{n}",
            email=f"fan-{p.code.lower()}-{n}@example.org",
            role="officer",
            party=p,
            password="!",  # unusable
            preferred_language="zh-hans" if n == 2 else "en",
        )
        for p in parties
        for n in range(PEOPLE)
    )
    coordinator = User.objects.create_user("fan-coordinator", "fan-coordinator@example.org", "x", role="coordinator")
    officer = User.objects.get(username=f"fan-{lead.code}-0")
    projects = []
    with transaction.atomic():
        for number in range(ROUNDS):
            project = draft_project(officer=officer, title_en=f"Fan-out {number}")
            now = timezone.now()
            Participation.objects.bulk_create(
                Participation(
                    project=project,
                    party=p,
                    role="partner",
                    status=ParticipationStatus.ACTIVE,
                    lead_accepted_at=now,
                    party_confirmed_at=now,
                )
                for p in others
            )
            projects.append(project_transition(project=project, actor=officer, action="submit"))
    OutboxEvent.objects.update(delivered_at=timezone.now())
    return coordinator, projects


def main() -> int:
    from tests.notifications.real.processes import RedisServer, Worker, point_app_at, wait_until

    if not DATABASE_URL.rsplit("/", 1)[-1].startswith("bench"):
        sys.exit("Refusing to empty a database whose name does not start with 'bench'.")
    redis_server = RedisServer(port=next(p for p in range(6391, 6400) if _port_free(p))).start()
    folder = Path(tempfile.mkdtemp(prefix="fanout-"))
    env = {"DATABASE_URL": DATABASE_URL, "REDIS_URL": "", "CELERY_BROKER_URL": redis_server.url}
    os.environ.update({**env, "MAILBOX_PATH": str(folder / "unused.jsonl")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.notifications.real.worker_settings"
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, setup_test_environment
    from django.urls import reverse
    from rest_framework.test import APIClient

    from notifications.models import Channel, Delivery, DeliveryStatus, EventKind, Notification, OutboxEvent
    from tests.notifications.real.mailbox import read_mailbox

    setup_test_environment()  # the test client's host
    point_app_at(redis_server.url, eager=False)
    began = time.perf_counter()
    coordinator, projects = seed()
    seeded_in = time.perf_counter() - began
    print(f"seeded {PARTIES} parties × {PEOPLE} officers and {ROUNDS} submitted projects in {seeded_in:.1f} s")
    client = APIClient()
    client.force_authenticate(coordinator)
    rows = []
    try:
        for project in projects:
            url = reverse("api:project-detail", kwargs={"pk": project.pk})
            etag = client.get(url).headers["ETag"]
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post(f"{url}transitions/", {"action": "publish"}, format="json", HTTP_IF_MATCH=etag)
                request_s = time.perf_counter() - started
            assert response.status_code == 200, response.content[:500]
            event = OutboxEvent.objects.get(project=project, kind=EventKind.PROJECT_PUBLISHED)
            done_in_request = Delivery.objects.filter(event=event).count()
            queued = redis_server.client().llen("email")

            mailbox = folder / f"mailbox-{project.pk}.jsonl"
            worker = Worker(
                broker_url=redis_server.url, database_url=DATABASE_URL, mailbox=mailbox, concurrency=1, env=env
            )
            started = time.perf_counter()
            worker.start(wait=False)
            wait_until(worker.ready, 60, interval=0.05, what="the worker to be ready")
            ready_s = time.perf_counter() - started

            def drained(event=event, mailbox=mailbox):
                return len(read_mailbox(mailbox)) >= PARTIES * PEOPLE and (
                    OutboxEvent.objects.filter(pk=event.pk, delivered_at__isnull=False).exists()
                )

            wait_until(drained, 300, interval=0.05, what="600 e-mails")
            drain_s = time.perf_counter() - started
            worker.stop()
            mails = read_mailbox(mailbox)
            sent = Delivery.objects.filter(event=event, channel=Channel.EMAIL, status=DeliveryStatus.SENT).count()
            rows.append(
                {
                    "request_ms": request_s * 1000,
                    "queries": len(queries),
                    "done_in_request": done_in_request,
                    "queued": queued,
                    "ready_s": ready_s,
                    "drain_s": drain_s,
                    "after_ready_s": drain_s - ready_s,
                    "mails": len(mails),
                    "distinct": len({m["to"][0] for m in mails}),
                    "sent": sent,
                    "inbox": Notification.objects.filter(event=event).count(),
                }
            )
            print(
                f"  round {len(rows)}: request {request_s * 1000:.0f} ms ({len(queries)} queries, "
                f"{done_in_request} deliveries made in it, {queued} task(s) queued); worker ready in {ready_s:.1f} s, "
                f"600 e-mails {drain_s:.1f} s after its start ({drain_s - ready_s:.1f} s after ready); "
                f"mailbox {len(mails)} lines to {rows[-1]['distinct']} people, {sent} sent, {rows[-1]['inbox']} inbox",
                flush=True,
            )
    finally:
        redis_server.stop()
    print("\nmedian of", len(rows), "rounds:")
    for key, label in [
        ("request_ms", "publish request (ms)"),
        ("ready_s", "worker start → ready (s)"),
        ("after_ready_s", "worker ready → 600 e-mails sent, event delivered (s)"),
        ("drain_s", "worker start → all done (s)"),
    ]:
        print(f"  {label:<56} {statistics.median(r[key] for r in rows):.2f}")
    rate = PARTIES * PEOPLE / statistics.median(r["after_ready_s"] for r in rows)
    print(f"  {'e-mails per second, one worker, concurrency 1':<56} {rate:.0f}")
    ok = all(r["mails"] == r["distinct"] == r["sent"] == r["inbox"] == PARTIES * PEOPLE for r in rows)
    ok = ok and all(r["done_in_request"] == 0 for r in rows)
    print("OK" if ok else "COUNTS OFF")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
