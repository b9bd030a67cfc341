"""Dashboard data endpoint (`GET /api/v1/coverage/`) against the bare SQL, on a seeded PostgreSQL database.

    PGPASSWORD=app createdb -h 127.0.0.1 -U app bench_dash_100k
    .venv/bin/python bench/dashboard.py 100000 postgres://app:app@127.0.0.1:5432/bench_dash_100k
    .venv/bin/python bench/dashboard.py 1000000 postgres://app:app@127.0.0.1:5432/bench_dash_1m
    .venv/bin/python bench/dashboard.py compare        # 1M / 100k per figure, from the two runs' results

Migrates and bootstraps the database, seeds it with `bench.seeding.seed` up to N projects (a
second run reuses them), builds the aggregate store (timed; a later run reuses it and its
recorded time, `--rebuild` to time it again), then for each filter set prints: the endpoint's
time (median of in-process requests through Django's test client, anonymous unless marked
"coordinator"): asked again, when the answer kept for the store's version is read, and asked the
first time (a parameter the filters ignore makes every request a new question); its query
count (without the session's), whether it read the aggregates or the
base tables, the bare SQL time (the one statement computing the same figures and lists from the
base tables, executed and fetched, median; at 1M, where it takes minutes, once and on fewer
filter sets, and the endpoint's live requests are timed once too, after a first request that warms
the cache for both) and the ratio endpoint / bare.
Then the freshness: a project changes (status, through SQL, with its sync-feed change), and the
incremental refresh that makes it visible is timed (the beat runs it every 20 s: a change shows
within 20 s + that).
Results are also written to var/bench-dashboard-<N>.json for `compare`.
"""

import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
COMPARE = len(sys.argv) > 1 and sys.argv[1] == "compare"
SIZE = 100_000 if COMPARE or len(sys.argv) < 2 else int(sys.argv[1])
if not COMPARE:
    os.environ["DATABASE_URL"] = (
        sys.argv[2] if len(sys.argv) > 2 else f"postgres://app:app@127.0.0.1:5432/bench_dash_{SIZE}"
    )
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("API_ANON_RATE", "100000000/minute")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.seeding import seed  # noqa: E402

URL = "/api/v1/coverage/"
FILTERS = [
    ("unfiltered", {}),
    ("status", {"status": "completed"}),
    ("framework", {"framework": "DEGD-2023"}),
    ("party", {"party": "CHN"}),
    ("party (small)", {"party": "KEN"}),
    ("sdg", {"sdg": "9"}),
    ("mode", {"cooperation_mode": "bilateral"}),
    ("type", {"project_type": "investment"}),
    ("date range", {"published_from": "2025-01-01"}),
    ("date range, mid-month", {"published_from": "2025-03-15", "published_to": "2025-09-10"}),
    ("party+mode+sdg", {"party": "KEN", "cooperation_mode": "bilateral", "sdg": "9"}),
    ("every filter", {"party": "CHN", "status": "ongoing", "project_type": "investment", "published_to": "2026-06-30"}),
]
AUTH = re.compile(r"django_session|registry_user|otp_totp")  # the session's queries, not the endpoint's
ROUNDS = 5 if SIZE <= 100_000 else 3
SLOW = (3, True) if SIZE <= 100_000 else (1, False)  # what reads the base tables: once at 1M (minutes)
# At 1M (each bare statement takes minutes), the filter sets measured:
LARGE = {
    "unfiltered",
    "status",
    "party",
    "sdg",
    "date range",
    "date range, mid-month",
    "party+mode+sdg",
    "coordinator unfiltered",
}


def _median_ms(function, rounds=ROUNDS, warm=True):
    if warm:
        function()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _first_request(client, filters):
    """The request once, with its queries and the figures statement it ran (to time it bare)."""
    from projects import aggregates

    recorded = []
    original = aggregates.figures_fetch
    aggregates.figures_fetch = lambda query, **kwargs: recorded.append((query, kwargs)) or original(query, **kwargs)
    try:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(URL, filters)
    finally:
        aggregates.figures_fetch = original
    assert response.status_code == 200, response.content[:300]
    return response, queries, recorded[0]


def _bare_ms(recorded):
    """The same figures and lists (as many of each list's projects) computed from the base tables:
    one statement, executed and fetched."""
    from projects import aggregates

    query, kwargs = recorded
    query.dimension = query.periods = query.snapshot_sql = None  # neither the cube nor the snapshot: the base tables
    return _median_ms(lambda: aggregates.figures_fetch(query, **kwargs), *SLOW)


OLD_COMMIT = "d458c52"  # the last commit with the dashboard computed by 9 GROUP BY queries per request


def _old_coverage():
    """`projects.coverage` as it was before the aggregate store (from git), as a module."""
    import subprocess
    import types

    source = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:projects/coverage.py"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout
    module = types.ModuleType("projects.coverage_before_aggregates")
    module.__package__ = "projects"
    exec(compile(source, "coverage_before_aggregates.py", "exec"), module.__dict__)
    return module


def _old_ms(old, user, filters):
    """The figures as the previous implementation computed them (its queries and Python), once."""
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        scope = old.coverage(old.coverage_filter(filters, user=user), user=user)
        len(scope.red_projects)
    return (time.perf_counter() - started) * 1000, len(queries)


def _coordinator_client():
    """A signed-in coordinator with a confirmed authenticator (as tests/conftest.py does)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from registry.models import User

    user, _created = User.objects.get_or_create(username="bench-coordinator", defaults={"is_superuser": True})
    device, _created = TOTPDevice.objects.get_or_create(user=user, name="bench", defaults={"confirmed": True})
    client = Client()
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def _change_and_refresh():
    """A project moves from ongoing to completed (a real status change and its feed record)."""
    from feed.services import change_record
    from projects.aggregates import coverage_refresh
    from projects.models import Project

    with transaction.atomic():
        project = Project.objects.filter(status="ongoing").order_by("?").first()
        Project.objects.filter(pk=project.pk).update(status="completed")
        change_record(project_id=project.pk)
    started = time.perf_counter()
    done = coverage_refresh()
    return (time.perf_counter() - started) * 1000, done


def main():
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from projects.aggregates import coverage_refresh
    from projects.models import Project

    if not Project.objects.exists():
        call_command("bootstrap", verbosity=0)
    missing = SIZE - Project.objects.count()
    if missing > 0:
        seed(connection, projects=missing, verbose=True)
    total = Project.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SELECT full_at, duration_ms FROM projects_coverage_state WHERE id = 1")
        state = cursor.fetchone()
    if state is None or state[0] == 0 or "--rebuild" in sys.argv:
        started = time.perf_counter()
        coverage_refresh(full=True)
        full_ms = (time.perf_counter() - started) * 1000
    else:  # built by an earlier run: its time as that run measured it, or as the build recorded it
        previous = ROOT / "var" / f"bench-dashboard-{SIZE}.json"
        full_ms = json.loads(previous.read_text())["full_rebuild_ms"] if previous.exists() else state[1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM projects_coverage_cube")
        cube_rows = cursor.fetchone()[0]
    print(f"{total} projects; full rebuild {full_ms / 1000:.1f} s; cube {cube_rows} rows")

    anonymous, coordinator = Client(), _coordinator_client()
    from django.contrib.auth.models import AnonymousUser

    from registry.models import User

    old, coordinator_user = _old_coverage() if SIZE <= 100_000 else None, User.objects.get(username="bench-coordinator")
    results = {"projects": total, "full_rebuild_ms": full_ms, "cube_rows": cube_rows, "figures": {}}
    print("endpoint: asked again (the answer kept for this store version) / asked the first time")
    print(
        f"{'filters':<28} {'endpoint ms':>12} {'first ms':>9} {'queries':>8} {'source':>11} {'bare SQL ms':>12}"
        f" {'ratio':>7} {'first':>7} {'before ms':>10} {'queries':>8}"
    )
    cases = [(name, filters, anonymous) for name, filters in FILTERS if SIZE <= 100_000 or name in LARGE]
    cases += [("coordinator unfiltered", {}, coordinator), ("coordinator party", {"party": "CHN"}, coordinator)]
    cases = [case for case in cases if SIZE <= 100_000 or case[0] in LARGE]
    for name, filters, client in cases:
        response, queries, query = _first_request(client, filters)
        figures_queries = sum(1 for q in queries.captured_queries if not AUTH.search(q["sql"]))
        source = response.json()["source"]
        if source == "aggregates" or SIZE <= 100_000:
            endpoint = _median_ms(lambda client=client, filters=filters: client.get(URL, filters))
            # The first time the question is asked of this store version: a parameter the
            # filters ignore makes each request a new question (the kept answer is not read).
            fresh = iter(range(1_000_000))
            first = _median_ms(
                lambda client=client, filters=filters, fresh=fresh: client.get(URL, {**filters, "_q": next(fresh)})
            )
        else:  # seconds at 1M: once more, warm as the bare statement will be (the first request warmed both)
            endpoint = first = _median_ms(lambda client=client, filters=filters: client.get(URL, filters), 1, False)
        bare = _bare_ms(query)
        before_ms, before_queries = (
            _old_ms(old, coordinator_user if client is coordinator else AnonymousUser(), filters) if old else (0, 0)
        )
        print(
            f"{name:<28} {endpoint:>12.1f} {first:>9.1f} {figures_queries:>8} {source:>11} {bare:>12.1f}"
            f" {endpoint / bare:>7.3f} {first / bare:>7.3f} {before_ms:>10.1f} {before_queries:>8}",
            flush=True,
        )
        results["figures"][name] = {
            "endpoint_ms": endpoint,
            "first_ms": first,
            "queries": figures_queries,
            "bare_ms": bare,
            "before_ms": before_ms,
        }

    refreshes = [_change_and_refresh() for _ in range(5)]
    refresh_ms = statistics.median(ms for ms, _done in refreshes)
    print(f"incremental refresh after one change: median {refresh_ms:.0f} ms ({refreshes[0][1]['projects']} projects)")
    print(f"a change is visible within the beat interval (20 s) + {refresh_ms / 1000:.1f} s")
    results["refresh_ms"] = refresh_ms
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / f"bench-dashboard-{SIZE}.json").write_text(json.dumps(results, indent=1))


def compare():
    small = json.loads((ROOT / "var" / "bench-dashboard-100000.json").read_text())
    large = json.loads((ROOT / "var" / "bench-dashboard-1000000.json").read_text())
    print(
        f"{'figure':<28} {'100k ms':>9} {'1M ms':>9} {'1M/100k':>8}  {'first 100k':>10} {'first 1M':>9}"
        f" {'1M/100k':>8}  {'bare 100k':>9} {'bare 1M':>9}"
    )
    for name, figures in small["figures"].items():
        if name not in large["figures"]:
            continue
        other = large["figures"][name]
        ratio = other["endpoint_ms"] / figures["endpoint_ms"]
        first, first_large = figures.get("first_ms", 0), other.get("first_ms", 0)
        print(
            f"{name:<28} {figures['endpoint_ms']:>9.1f} {other['endpoint_ms']:>9.1f} {ratio:>8.2f}"
            f"  {first:>10.1f} {first_large:>9.1f} {first_large / first if first else 0:>8.2f}"
            f"  {figures['bare_ms']:>9.1f} {other['bare_ms']:>9.1f}"
        )
    for key in ("refresh_ms", "full_rebuild_ms", "cube_rows"):
        print(f"{key:<28} {small[key]:>9.0f} {large[key]:>9.0f} {large[key] / small[key]:>8.2f}")


if __name__ == "__main__":
    compare() if COMPARE else main()
