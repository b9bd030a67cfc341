"""The streamed CSV export of the project list (`/projects/list-export.csv`), on PostgreSQL.

Seeds the database up to `N` projects (bench/seeding.py; default 100,000) if it holds fewer,
then, as a signed-in coordinator (every status: all the projects), measures through the real
view and Django's test client, reading the streamed body chunk by chunk:

- rows per second (data rows over the time from the request to the last chunk),
- time to the first byte (the BOM and header, sent before the query runs) and to the first
  data row,
- memory: peak of Python allocations during the export (tracemalloc, a separate run, since
  tracing slows Python down) and the growth of the process's peak RSS,

against the floor: `COPY (<the same SELECT>) TO STDOUT WITH (FORMAT csv)` of the same rows,
read to the end by psycopg. Twice each: the default columns, and every column.

    DATABASE_URL=postgres://app:app@127.0.0.1:5432/h_dashexport .venv/bin/python bench/export_csv.py [N]

The database must exist; it is migrated and bootstrapped here, never dropped.
"""

import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.makedirs(Path(__file__).resolve().parents[1] / "var" / "staticfiles", exist_ok=True)
if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
    sys.exit("Set DATABASE_URL to a PostgreSQL database (postgres://…): the benchmark is about PostgreSQL.")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import translation  # noqa: E402
from django_otp.plugins.otp_totp.models import TOTPDevice  # noqa: E402

from bench.seeding import seed  # noqa: E402
from projects.exports.columns import COLUMNS, DEFAULT_COLUMNS  # noqa: E402
from projects.exports.forms import ExportFilter  # noqa: E402
from projects.exports.projects import STATEMENT_SETTINGS, export_query, visible_projects  # noqa: E402
from projects.models import Project  # noqa: E402
from registry.models import User  # noqa: E402

URL = "/projects/list-export.csv"


def prepare(wanted: int) -> User:
    call_command("migrate", verbosity=0)
    call_command("bootstrap", verbosity=0)
    have = Project.objects.count()
    if have < wanted:
        started = time.perf_counter()
        with connection.cursor():
            seed(connection, projects=wanted - have)
        print(f"seeded {wanted - have} projects in {time.perf_counter() - started:.1f} s")
    # The aggregates and the export's kept cells, as beat keeps them (built the first time).
    from projects.aggregates import coverage_refresh

    started = time.perf_counter()
    done = coverage_refresh()
    print(f"aggregates and kept cells brought up to date in {time.perf_counter() - started:.1f} s ({done})")
    user, _created = User.objects.get_or_create(
        username="bench-export-coordinator", defaults={"role": "coordinator", "email": "bench@example.org"}
    )
    return user


def signed_in(user) -> Client:
    client = Client()
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    client.force_login(user)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def through_the_view(client, params, *, trace=False) -> dict:
    if trace:
        tracemalloc.start()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get(URL, params)
    assert response.status_code == 200, response.status_code
    first_byte = first_row = None
    size = lines = 0
    for chunk in response.streaming_content:
        now = time.perf_counter()
        if first_byte is None:
            first_byte = now - started
        elif first_row is None:
            first_row = now - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    elapsed = time.perf_counter() - started
    response.close()
    peak = tracemalloc.get_traced_memory()[1] if trace else None
    if trace:
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    rows = lines - 1  # the header; no cell of the seeded data holds a line break
    return {
        "rows": rows,
        "seconds": elapsed,
        "first_byte": first_byte,
        "first_row": first_row,
        "mb": size / 1e6,
        "peak_mb": peak / 1e6 if peak is not None else None,
        "rss_growth_mb": rss_growth / 1024,
    }


def copy_floor(user, names) -> dict:
    """COPY of the same SELECT (same filters, columns, labels and order), read by psycopg."""
    request = SimpleNamespace(user=user)
    filterset = ExportFilter({}, queryset=visible_projects(user), request=request)
    filterset.form.is_valid()
    _header, sql, params = export_query(filterset, names, user=user)
    connection.ensure_connection()
    raw = connection.connection
    started = time.perf_counter()
    size = lines = 0
    with raw.cursor() as cursor:
        for name, value in STATEMENT_SETTINGS.items():  # as the view does
            cursor.execute(f"SET {name} = '{value}'")
    with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
        for block in copy:
            size += len(block)
            lines += bytes(block).count(b"\n")
    return {"rows": lines, "seconds": time.perf_counter() - started, "mb": size / 1e6}


def main(wanted: int = 100_000) -> None:
    setup_test_environment()
    translation.activate("en")
    user = prepare(wanted)
    client = signed_in(user)
    print(f"{Project.objects.count()} projects in the database; PostgreSQL {connection.pg_version}")
    for label, names in (("default columns", DEFAULT_COLUMNS), ("every column", list(COLUMNS))):
        params = {"columns": names}
        through_the_view(client, params)  # warm up (caches, plans)
        runs = [through_the_view(client, params) for _ in range(3)]
        best = min(runs, key=lambda run: run["seconds"])
        traced = through_the_view(client, params, trace=True)
        floors = [copy_floor(user, names) for _ in range(3)]
        floor = min(floors, key=lambda run: run["seconds"])
        print(f"\n{label} ({len(names)}): {best['rows']} rows, {best['mb']:.1f} MB of CSV")
        print(f"  view:  {best['rows'] / best['seconds']:>9,.0f} rows/s  {best['seconds']:.2f} s (best of 3)")
        print(f"         first byte {1000 * best['first_byte']:.1f} ms, first row {1000 * best['first_row']:.0f} ms")
        print(
            f"         Python peak allocations {traced['peak_mb']:.1f} MB (tracemalloc), "
            f"peak RSS growth {max(run['rss_growth_mb'] for run in [*runs, traced]):.1f} MB"
        )
        print(f"  COPY:  {floor['rows'] / floor['seconds']:>9,.0f} rows/s  {floor['seconds']:.2f} s (best of 3)")
        print(f"  view / COPY time: {best['seconds'] / floor['seconds']:.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
