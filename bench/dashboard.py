"""Dashboard data endpoint (`GET /api/v1/coverage/`) on a large seeded PostgreSQL database.

BASELINE ONLY (the aggregate tables of issue 4 are not built yet): seeds a dedicated database
with `bench.seeding.seed` (unless it already holds projects) and prints, per filter set, the
endpoint's time (median of a few in-process requests, as a coordinator would see it through
the anonymous public scope) and its query count. The side-by-side comparison with bare SQL
and the 1,000,000-project run are still to be written.

    DATABASE_URL=postgres://app:app@127.0.0.1:5432/bench_dashboard .venv/bin/python bench/dashboard.py [projects]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/bench_dashboard")
os.environ.setdefault("API_ANON_RATE", "100000000/minute")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.seeding import seed  # noqa: E402

FILTERS = [
    {},
    {"party": "CHN"},
    {"cooperation_mode": "bilateral"},
    {"project_type": "investment"},
    {"sdg": "9"},
    {"published_from": "2025-01-01"},
    {"party": "KEN", "cooperation_mode": "bilateral", "sdg": "9"},
]


def main(size: int, rounds: int = 3) -> None:
    setup_test_environment()
    call_command("migrate", verbosity=0)
    from projects.models import Project

    if not Project.objects.exists():
        call_command("bootstrap", verbosity=0)
        seed(os.environ["DATABASE_URL"], projects=size, verbose=True)
    client = Client()
    print(f"{'filters':<60} {'ms':>9} {'queries':>8}  ({Project.objects.count()} projects)")
    for filters in FILTERS:
        client.get("/api/v1/coverage/", filters)
        times = []
        for _ in range(rounds):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get("/api/v1/coverage/", filters)
                times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content[:300]
        print(f"{filters!s:<60} {statistics.median(times):>9.1f} {len(queries):>8}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
