"""Notifications never lost, never doubled, under faults (issue 6).

Publishes EVENTS projects (one outbox event each, through the real service, each in its own
transaction) while two real `celery -A config worker` processes (-Q default,email,webhooks,
concurrency 2) consume a real redis-server, and meanwhile, every FAULT_EVERY seconds, in turn:
SIGKILLs a whole worker (main process and pool; a new one is started), SIGKILLs one pool
process, or stops Redis with SHUTDOWN NOSAVE and starts it again OUTAGE seconds later (same
append-only file). A worker that ends by itself is started again within a second, as a
supervisor would. The beat entries are played by this process at a shortened interval: the
outbox sweep and the webhooks' due queue every SWEEP_INTERVAL seconds.

Shortened for the bench (production values in config/settings/base.py); GRACE is FAULTS_GRACE:
  NOTIFICATIONS_SWEEP_GRACE  GRACE (5 s)  (120 s)     sweep interval  2 s  (15 s; webhooks 30 s)
  visibility timeout         GRACE (5 s)  (3,900 s)   webhooks.delivery.QUEUE_LEASE  GRACE  (2 min)

Each publish tells 2 people by e-mail (the lead party's officer, the other coordinator) and one
partner-system endpoint by webhook (a real HTTP receiver in this process). At the end it prints
what was delivered, the e-mails per (event, recipient) read from the workers' file mailbox, the
webhook requests per message id with their signatures checked, the longest time an event stayed
pending against the bound, how soon the workers reconnected after each Redis restart (from their
logs), and the faults injected. Asserts nothing; exits 1 when a count is off.

    [FAULTS_RATE=4] [FAULTS_GRACE=5] [FAULTS_WORKERS=2] \
    .venv/bin/python bench/notifications_faults.py [events] [fault_every_s]

Uses (and empties) DATABASE_URL, by default postgres://app:app@127.0.0.1:5432/bench_notify; its
own redis-server on a free port in 6391-6399.
"""

import logging
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
FAULT_EVERY = float(sys.argv[2]) if len(sys.argv) > 2 else 5.0
RATE = float(os.environ.get("FAULTS_RATE", "4"))  # publishes per second: faults land while events flow
OUTAGE = 2.0  # seconds Redis stays down
SWEEP_INTERVAL = 2.0
GRACE = VISIBILITY = int(os.environ.get("FAULTS_GRACE", "5"))  # the sweep grace, also the visibility timeout
WORKERS, CONCURRENCY = int(os.environ.get("FAULTS_WORKERS", "2")), 2
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/bench_notify")
TITLE = re.compile(r"Fault drill (\d{4})")


def environment(redis_url: str, mailbox: Path) -> dict:
    """What this process and the workers share: the database, the broker, the shortened timings.
    REDIS_URL stays empty, so the cache is in memory and a Redis outage touches only the broker."""
    return {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": "",
        "CELERY_BROKER_URL": redis_url,
        "MAILBOX_PATH": str(mailbox),
        "NOTIFICATIONS_SWEEP_GRACE": str(GRACE),
        "WORKER_VISIBILITY_TIMEOUT": str(VISIBILITY),
    }


class CountFailedQueueing(logging.Filter):
    """Count the "could not queue, the sweeper will retry" errors instead of printing them."""

    def __init__(self):
        super().__init__()
        self.count = 0

    def filter(self, record):
        self.count += 1
        return False


def pool_pids(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


class Faults(threading.Thread):
    """Every FAULT_EVERY seconds the next fault of the cycle, until `stop` is set."""

    def __init__(self, workers: list, redis_server, start_worker):
        super().__init__(daemon=True)
        self.workers, self.redis, self.start_worker = workers, redis_server, start_worker
        self.stop = threading.Event()
        self.counts = Counter()
        self.outages: list[float] = []
        self.redis_back: list[float] = []  # time.time() when Redis answered again, per restart
        self.error: BaseException | None = None

    def run(self):
        cycle = [self.kill_worker, self.kill_pool_process, self.restart_redis]
        step, due = 0, time.monotonic() + FAULT_EVERY
        try:
            while not self.stop.wait(max(0.0, min(1.0, due - time.monotonic()))):
                self.restart_ended_workers()
                if time.monotonic() >= due:
                    cycle[step % len(cycle)]()
                    step, due = step + 1, due + FAULT_EVERY
        except BaseException as error:  # reported by the main thread
            self.error = error

    def restart_ended_workers(self):
        """Within a second, as a supervisor would: e.g. a pool process killed while its worker
        starts makes Celery give up ("Could not start worker processes")."""
        for position, worker in enumerate(self.workers):
            if worker.process and worker.process.poll() is not None:
                worker.process = None
                self.workers[position] = self.start_worker(wait=False)
                self.counts["worker ended by itself (restarted)"] += 1

    def kill_worker(self):
        victim = self.workers.pop(random.randrange(len(self.workers)))
        victim.kill()
        self.counts["worker SIGKILL (main + pool)"] += 1
        self.workers.append(self.start_worker(wait=False))

    def kill_pool_process(self):
        for worker in random.sample(self.workers, len(self.workers)):
            pids = pool_pids(worker.process.pid) if worker.process else []
            if pids:
                os.kill(random.choice(pids), signal.SIGKILL)
                self.counts["pool process SIGKILL"] += 1
                return

    def restart_redis(self):
        began = time.monotonic()
        self.redis.shutdown_nosave()
        time.sleep(OUTAGE)
        self.redis.start()
        self.redis_back.append(time.time())
        self.outages.append(time.monotonic() - began)
        self.counts["Redis SHUTDOWN NOSAVE + restart"] += 1


class Beat(threading.Thread):
    """The beat entries sweep-outbox and send-due-webhooks, every SWEEP_INTERVAL seconds."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.swept = Counter()

    def run(self):
        from django.db import close_old_connections, connection

        from notifications.services import outbox_sweep
        from webhooks.delivery import messages_due_queue

        while not self.stop.wait(SWEEP_INTERVAL):
            close_old_connections()
            try:
                self.swept["outbox events queued again"] += len(outbox_sweep())
                self.swept["webhook messages queued again"] += len(messages_due_queue())
            except Exception as error:  # a sweep that fails is simply run again next time
                print(f"  sweep failed: {error!r}", flush=True)
        connection.close()


def seed(count: int):
    """Users and `count` submitted projects; what seeding records counts as delivered, and queues nothing."""
    from notifications import events

    dispatch, events.dispatch = events.dispatch, lambda event_id: None
    try:
        return _seed(count)
    finally:
        events.dispatch = dispatch


def _seed(count: int):
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from notifications.models import OutboxEvent
    from projects.services import project_transition
    from registry.models import Party, User
    from tests.factories import draft_project

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    call_command("bootstrap", verbosity=0)
    chn = Party.objects.get(code="CHN")
    make = User.objects.create_user
    officer = make("fault-officer", "fault-officer@example.org", "x", role="officer", party=chn)
    coordinator = make("fault-coordinator", "fault-coordinator@example.org", "x", role="coordinator", party=None)
    other = make("fault-coordinator-2", "fault-coordinator-2@example.org", "x", role="coordinator", party=None)
    system = make("fault-system", "fault-system@example.org", "x", role="partner_system", party=chn)
    began, projects = time.perf_counter(), []
    for start in range(0, count, 100):
        with transaction.atomic():
            for number in range(start, min(start + 100, count)):
                project = draft_project(officer=officer, title_en=f"Fault drill {number:04d}")
                projects.append(project_transition(project=project, actor=officer, action="submit"))
    OutboxEvent.objects.update(delivered_at=timezone.now())
    print(f"seeded {count} submitted projects in {time.perf_counter() - began:.1f} s", flush=True)
    return officer, coordinator, other, system, projects


class Drill:
    """The processes, the receiver and the people of one run; the phases of the run."""

    def __init__(self, redis_server, mailbox: Path, env: dict):
        from tests.webhooks.conftest import Receiver
        from webhooks import services as webhook_services

        self.redis, self.mailbox, self.env = redis_server, mailbox, env
        self.officer, self.coordinator, self.other, system, self.projects = seed(EVENTS)
        self.receiver = Receiver()
        self.endpoint, self.secret = webhook_services.endpoint_create(
            actor=system, url=self.receiver.url, event_types=["project_published"]
        )
        self.started = []  # every worker of the run, also the killed ones (their logs)
        self.workers = [self.start_worker() for _ in range(WORKERS)]
        self.faults, self.beat = Faults(self.workers, redis_server, self.start_worker), Beat()
        self.failed_queueing = CountFailedQueueing()
        for name in ("notifications.events", "webhooks.delivery"):
            logging.getLogger(name).addFilter(self.failed_queueing)

    def start_worker(self, wait=True):
        from tests.notifications.real.processes import Worker

        worker = Worker(
            broker_url=self.redis.url,
            database_url=DATABASE_URL,
            mailbox=self.mailbox,
            concurrency=CONCURRENCY,
            env=self.env,
        )
        self.started.append(worker)
        return worker.start(wait=wait)

    def close(self):
        self.faults.stop.set()
        self.faults.join(30)
        self.beat.stop.set()
        for worker in self.workers:
            worker.kill()
        self.receiver.close()
        self.redis.stop()

    def publish(self) -> float:
        """Publish every project at RATE per second while the faults and the beat run."""
        from projects.services import project_transition

        self.beat.start()
        self.faults.start()
        began = time.monotonic()
        for number, project in enumerate(self.projects):
            project_transition(project=project, actor=self.coordinator, action="publish")
            time.sleep(max(0.0, began + (number + 1) / RATE - time.monotonic()))
            if number % 200 == 199:
                print(f"  {number + 1} published, faults so far: {dict(self.faults.counts)}", flush=True)
        self.faults.stop.set()
        self.faults.join()
        if self.faults.error:
            raise self.faults.error
        if self.redis.process is None:
            self.redis.start()
        return time.monotonic() - began

    def drain(self) -> None:
        from notifications.models import EventKind, OutboxEvent
        from tests.notifications.real.processes import wait_until
        from webhooks.models import MessageStatus, WebhookMessage

        self.published = OutboxEvent.objects.filter(kind=EventKind.PROJECT_PUBLISHED)
        self.messages = WebhookMessage.objects.filter(endpoint=self.endpoint)

        def drained():
            return (
                self.published.filter(delivered_at__isnull=False).count() == EVENTS
                and self.messages.filter(status=MessageStatus.SENT).count() == EVENTS
            )

        try:
            wait_until(drained, 900, interval=0.5, what="every event and webhook message delivered")
        except TimeoutError as error:
            print(error)


def main() -> int:
    from tests.notifications.real.processes import RedisServer, point_app_at

    if not DATABASE_URL.rsplit("/", 1)[-1].startswith("bench"):
        sys.exit("Refusing to empty a database whose name does not start with 'bench'.")
    redis_server = RedisServer(port=next(p for p in range(6391, 6400) if _port_free(p))).start()
    mailbox = Path(tempfile.mkdtemp(prefix="faults-mailbox-")) / "mailbox.jsonl"
    env = environment(redis_server.url, mailbox)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.notifications.real.worker_settings"
    import django

    django.setup()
    from django.conf import settings

    import webhooks.delivery

    webhooks.delivery.QUEUE_LEASE = webhooks.delivery.timedelta(seconds=GRACE)  # 2 min in production
    point_app_at(redis_server.url, eager=False)
    try:
        drill = Drill(redis_server, mailbox, env)
    except BaseException:
        redis_server.stop()
        raise
    try:
        print(
            f"{WORKERS} workers × {CONCURRENCY}, Redis on port {redis_server.port}; visibility timeout "
            f"{settings.CELERY_VISIBILITY_TIMEOUT} s, sweep grace {settings.NOTIFICATIONS_SWEEP_GRACE} s, "
            f"sweep every {SWEEP_INTERVAL} s; {RATE:g} publishes/s; a fault every {FAULT_EVERY} s",
            flush=True,
        )
        began = time.monotonic()
        published_in = drill.publish()
        print(f"published {EVENTS} in {published_in:.1f} s; waiting for the workers to drain", flush=True)
        drill.drain()
        drained_in = time.monotonic() - began
        time.sleep(2 * SWEEP_INTERVAL + VISIBILITY)  # late duplicates, if any, arrive meanwhile
        # A worker process that ended although nobody killed it, after the faults stopped.
        drill.died = sum(1 for worker in drill.workers if worker.process and worker.process.poll() is not None)
        drill.beat.stop.set()
        drill.beat.join()
        for worker in drill.workers:
            worker.stop()
        print("\nResults")
        ok = report_emails(drill) & report_webhooks(drill)
        report_times(drill)
        report_reconnects(drill)
        print(f"  faults: {dict(drill.faults.counts)}")
        print(f"  beat: {dict(drill.beat.swept)}; publishes that failed (Redis down): {drill.failed_queueing.count}")
        print(f"  published in {published_in:.1f} s, all delivered {drained_in:.1f} s after the first publish")
        print("OK" if ok else "COUNTS OFF")
        return 0 if ok else 1
    finally:  # also on Ctrl-C: nothing of ours is left running
        drill.close()


def line(label: str, value, good: bool = True) -> bool:
    print(f"  {label:<60} {value}{'' if good else '   <-- NOT OK'}")
    return good


def report_emails(drill: Drill) -> bool:
    from notifications.models import Channel, Delivery, DeliveryStatus
    from tests.notifications.real.mailbox import read_mailbox

    delivered = drill.published.filter(delivered_at__isnull=False).count()
    ok = line("outbox events delivered", f"{delivered} / {EVENTS}", delivered == EVENTS)
    mails = read_mailbox(drill.mailbox)
    expected = {(person.email, f"{n:04d}") for n in range(EVENTS) for person in (drill.officer, drill.other)}
    keys = [(m["to"][0], TITLE.search(m["subject"]).group(1)) for m in mails if TITLE.search(m["subject"])]
    per_key = Counter(keys)
    ok &= line("(event, recipient) e-mailed / expected", f"{len(per_key)} / {len(expected)}", set(per_key) == expected)
    doubled = sum(1 for n in per_key.values() if n > 1)
    ok &= line("(event, recipient) e-mailed more than once", doubled, not doubled)
    ok &= line("e-mail lines in the file mailbox", len(mails), len(mails) == len(expected))
    emails = Delivery.objects.filter(event__in=drill.published, channel=Channel.EMAIL)
    sent = emails.filter(status=DeliveryStatus.SENT).count()
    ok &= line("e-mail deliveries sent (database)", f"{sent} / {len(expected)}", sent == len(expected))
    line("e-mail deliveries that needed a second attempt", emails.filter(attempts__gt=1).count())
    return ok


def report_webhooks(drill: Drill) -> bool:
    from tests.webhooks.test_signing import verify
    from webhooks.models import MessageStatus

    sent = drill.messages.filter(status=MessageStatus.SENT).count()
    ok = line("webhook messages sent (database)", f"{sent} / {EVENTS}", sent == EVENTS)
    received = [({k.lower(): v for k, v in r["headers"].items()}, r["body"]) for r in drill.receiver.requests]
    by_id = Counter(headers["webhook-id"] for headers, _ in received)
    ids = set(drill.messages.values_list("msg_id", flat=True))
    ok &= line("webhook ids received / messages", f"{len(set(by_id) & ids)} / {len(ids)}", set(by_id) == ids)
    line("webhook requests received", len(received))
    twice = {msg_id: n for msg_id, n in by_id.items() if n > 1}
    attempts = dict(drill.messages.filter(msg_id__in=twice).values_list("msg_id", "attempts"))
    # Not counted as a failure: a send killed after its POST and before its commit is posted again
    # with the same webhook-id (receivers deduplicate by it, as Standard Webhooks asks).
    line("webhook ids received twice or more: (times, logged attempts)", [(n, attempts[i]) for i, n in twice.items()])
    bad = sum(1 for headers, body in received if not verify(drill.secret, headers, body))
    ok &= line("webhook requests whose signature does not verify", f"{bad} of {len(received)}", bad == 0)
    return ok


def report_times(drill: Drill) -> None:
    pending = sorted((e.delivered_at - e.created_at).total_seconds() for e in drill.published if e.delivered_at)
    messages = drill.messages.select_related("event")
    hooks = sorted((m.sent_at - m.event.created_at).total_seconds() for m in messages if m.sent_at)
    bound = SWEEP_INTERVAL + VISIBILITY
    outage = max(drill.faults.outages, default=0.0)
    if pending:
        p99 = pending[int(len(pending) * 0.99) - 1]
        print(
            f"  event pending (created → delivered): median {statistics.median(pending):.2f} s, "
            f"p99 {p99:.2f} s, max {pending[-1]:.2f} s"
        )
    if hooks:
        median, longest = statistics.median(hooks), hooks[-1]
        print(f"  webhook pending (event created → sent): median {median:.2f} s, max {longest:.2f} s")
    print(
        f"  bound: sweep interval {SWEEP_INTERVAL:g} s + visibility timeout (= sweep grace) {VISIBILITY} s "
        f"= {bound:g} s; + the longest Redis outage {outage:.1f} s = {bound + outage:.1f} s"
    )
    over = sum(1 for p in pending if p > bound + outage)
    line("events pending longer than that", f"{over} (over by at most {max(pending[-1] - bound - outage, 0):.1f} s)")


LOG_LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): \w+/MainProcess\] (.*)$", re.MULTILINE)


def report_reconnects(drill: Drill) -> None:
    """From the workers' logs: how long after Redis answered again each worker that had lost it
    was consuming again, and how many workers ended by themselves instead."""
    from datetime import datetime

    delays = []
    for worker in drill.started:
        lost = False
        for stamp, text in LOG_LINE.findall(worker.output()):
            if text.startswith("consumer: Connection to broker lost"):
                lost = True
            elif lost and text.startswith("Connected to "):
                at = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S,%f").timestamp()
                back = max((b for b in drill.faults.redis_back if b <= at + 0.5), default=None)
                if back is not None:
                    delays.append(at - back)
                lost = False
    if delays:
        print(
            f"  worker reconnected after Redis answered again: {len(delays)} times, median "
            f"{statistics.median(delays):.2f} s, max {max(delays):.2f} s"
        )
    ended = drill.faults.counts["worker ended by itself (restarted)"]
    line("workers that ended by themselves (restarted within 1 s / at the end)", f"{ended} / {drill.died}")


def _port_free(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


if __name__ == "__main__":
    sys.exit(main())
