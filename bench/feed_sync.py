"""The sync feed (`/api/v1/sync/projects/`): cost of recording a change, and of reading pages.

Seeds PROJECTS drafts of CHN through the real service (each write records its change), then:

- the time of one `change_record` (what every project write now also pays), in a transaction;
- a full sync of a CHN partner system (no cursor: the snapshot, then the changes), page_size 100;
- an incremental page after CHANGES edits, and the queries per page.

In-process (Django test client, no HTTP server); prints figures, asserts nothing.

    DATABASE_URL=postgres://app:app@127.0.0.1:5432/h_sync .venv/bin/python bench/feed_sync.py [projects] [changes]
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/h_sync")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
PROJECTS = int(sys.argv[1]) if len(sys.argv) > 1 else 300
CHANGES = int(sys.argv[2]) if len(sys.argv) > 2 else 100


def main() -> None:
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host, in-memory mail
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from feed.services import change_record
    from projects.models import Project
    from projects.services import project_update
    from registry.models import Party, User
    from tests.factories import draft_project

    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    chn = Party.objects.get(code="CHN")
    officer, _ = User.objects.get_or_create(username="bench-feed-officer", defaults={"role": "officer", "party": chn})
    system, _ = User.objects.get_or_create(
        username="bench-feed-system", defaults={"role": "partner_system", "party": chn}
    )
    missing = PROJECTS - Project.objects.filter(lead_party=chn).count()
    started = time.perf_counter()
    for n in range(max(missing, 0)):
        draft_project(officer=officer, title_en=f"Bench feed {n}")
    if missing > 0:
        print(f"seeded {missing} projects in {time.perf_counter() - started:.1f} s")
    projects = list(Project.objects.filter(lead_party=chn).order_by("pk")[:PROJECTS])

    timings = []
    for project in projects[:200]:
        with transaction.atomic():
            began = time.perf_counter()
            change_record(project_id=project.pk)
            timings.append(time.perf_counter() - began)
    print(
        f"change_record: median {statistics.median(timings) * 1000:.2f} ms, p95 "
        f"{sorted(timings)[int(len(timings) * 0.95)] * 1000:.2f} ms ({connection.vendor})"
    )

    client = APIClient()
    client.force_authenticate(system)

    def get(cursor=None):
        params = {"page_size": 100, **({"cursor": cursor} if cursor else {})}
        with CaptureQueriesContext(connection) as queries:
            began = time.perf_counter()
            body = client.get("/api/v1/sync/projects/", params).json()
            return body, time.perf_counter() - began, len(queries)

    began, pages, entries, cursor, has_more = time.perf_counter(), [], 0, None, True
    while has_more:
        body, seconds, queries = get(cursor)
        pages.append((seconds, queries))
        entries += len(body["results"])
        cursor, has_more = body["cursor"], body["has_more"]
    total = time.perf_counter() - began
    print(
        f"full sync: {entries} entries in {len(pages)} pages, {total:.2f} s; "
        f"median page {statistics.median(s for s, _ in pages) * 1000:.1f} ms, queries per page "
        f"{sorted({q for _, q in pages})}"
    )

    for n, project in enumerate(projects[:CHANGES]):
        project_update(project=project, actor=officer, fields={"places": f"Bench {time.time()} {n}"})
    body, seconds, queries = get(cursor)
    print(
        f"incremental page after {CHANGES} edits: {len(body['results'])} entries, "
        f"{seconds * 1000:.1f} ms (positions them first), {queries} queries"
    )
    body, seconds, queries = get(cursor)
    print(f"same page again: {seconds * 1000:.1f} ms, {queries} queries")


if __name__ == "__main__":
    main()
