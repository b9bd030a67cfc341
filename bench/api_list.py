"""Throughput of `GET /api/v1/projects/?page_size=100` under gunicorn, against its floor.

PostgreSQL with 100,000 projects (`bench/seeding.py`, COPY, when the database has fewer),
gunicorn with 2 sync workers on a free port (`config.settings.bench`, which adds the endpoints
of `bench/urls.py`), and `wrk -t1 -c8` against, interleaved for a few rounds:

- the floor: the same page from one raw SQL query with JSON aggregation and orjson, without
  authentication or framework, in the same server;
- the list, authenticated with a partner system's read key (CHN): the real use;
- the same list anonymously (published projects);
- with BENCH_SERIALIZER=1, the generic `ProjectListSerializer` (the path before the read path).

Checks that every endpoint returns the same 100 projects, waits for idle workers between runs,
then prints the best and median requests per second, with their ratio to the floor's. The
machine is shared: compare ratios within one run, not figures across runs. No assertions.

    .venv/bin/python bench/api_list.py [projects] [seconds] [rounds]   # postgres://…/bench_api
    DATABASE_URL=postgres://… BENCH_CONNECTIONS=8 BENCH_SERIALIZER=1 .venv/bin/python bench/api_list.py
"""

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/bench_api")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
os.makedirs(ROOT / "var" / "staticfiles", exist_ok=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = int(os.environ.get("BENCH_PORT") or free_port())
BASE = f"http://127.0.0.1:{PORT}"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def prepare(projects: int) -> tuple[str, int]:
    """Migrate, bootstrap, seed up to `projects`; return a CHN read key and CHN's party id."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.seeding import seed
    from projects.models import Project
    from registry.models import PartnerKey, Party, User

    call_command("migrate", verbosity=0)
    if not Party.objects.filter(code="CHN").exists():
        call_command("bootstrap", verbosity=0)
    missing = projects - Project.objects.count()
    if missing > 0:
        print(f"seeding {missing} projects …", flush=True)
        print(seed(connection, projects=missing), flush=True)
    chn = Party.objects.get(code="CHN")
    account, _created = User.objects.get_or_create(
        username="bench-system-chn", defaults={"role": "partner_system", "party": chn}
    )
    _key, secret = PartnerKey.objects.create_key(
        name="bench", account=account, scope="read", expiry_date=timezone.now() + timedelta(days=1)
    )
    connection.close()
    return secret, chn.pk


def get(path: str, headers: dict | None = None) -> bytes:
    request = urllib.request.Request(BASE + path, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read()


def wrk(path: str, seconds: int, header: str | None = None) -> tuple[float, str]:
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    if header:
        command += ["-H", header]
    output = subprocess.run([*command, BASE + path], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = re.search(r"Latency\s+(\S+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} failed responses\n{output}")
    drain()
    return rps, latency


def drain() -> None:
    """Wait until both workers are idle again: wrk stops with requests still queued, and a slow
    endpoint's backlog would otherwise be counted against the next one."""
    quick = "/healthz"
    for _attempt in range(300):
        with ThreadPoolExecutor(2) as pool:
            started = time.perf_counter()
            list(pool.map(lambda _n: get(quick), range(2)))
            if time.perf_counter() - started < 0.2:
                return
        time.sleep(0.1)


GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")


def start_server() -> subprocess.Popen:
    server = subprocess.Popen(
        [GUNICORN, "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{PORT}", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ},
    )
    for _attempt in range(150):
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            get("/healthz")
            return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise RuntimeError("gunicorn did not answer")


def check_pages(endpoints) -> None:
    import orjson

    pages = {}
    for name, path, header in endpoints:
        headers = dict([header.split(": ", 1)]) if header else {}
        pages[name] = orjson.loads(get(path, headers))["results"]
    ids = {name: [row["id"] for row in page] for name, page in pages.items()}
    assert all(len(page) == 100 for page in ids.values()), {name: len(page) for name, page in ids.items()}
    print(f"same 100 projects on every endpoint: {len({tuple(page) for page in ids.values()}) == 1}")
    if SERIALIZER in pages:
        print(f"read path (key) == generic serializer (key): {pages[SERIALIZER] == pages[READ_KEY]}")


READ_KEY, READ_ANONYMOUS, SERIALIZER, FLOOR = (
    "list, partner key",
    "list, anonymous",
    "list, generic serializer",
    "floor (1 SQL + orjson)",
)


def main(projects: int = 100_000, seconds: int = 10, rounds: int = 3) -> None:
    ensure_database(DATABASE_URL)
    secret, party_id = prepare(projects)
    key = f"Authorization: Api-Key {secret}"
    endpoints = [
        (FLOOR, f"/bench/floor/?page_size=100&party={party_id}", None),
        (READ_KEY, "/api/v1/projects/?page_size=100", key),
        (READ_ANONYMOUS, "/api/v1/projects/?page_size=100", None),
    ]
    if os.environ.get("BENCH_SERIALIZER"):  # ~1 s a page: measured once, last
        endpoints.append((SERIALIZER, "/bench/serializer/projects/?page_size=100", key))
    server = start_server()
    try:
        check_pages(endpoints)
        for _name, path, header in endpoints:  # warm up every worker (connections, plans, imports)
            wrk(path, 2, header)
        runs = {name: [] for name, _path, _header in endpoints}
        for round_ in range(rounds):  # interleaved, so that other load on the machine hits every endpoint
            for name, path, header in endpoints:
                if name == SERIALIZER and round_:
                    continue
                runs[name].append(wrk(path, seconds, header))
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_best = max(rps for rps, _latency in runs[FLOOR])
    floor_median = statistics.median(rps for rps, _latency in runs[FLOOR])
    print(
        f"\n{projects} projects, gunicorn 2 workers, wrk -t1 -c{CONNECTIONS} -d{seconds}s, page_size=100,"
        f" {rounds} rounds"
    )
    print(f"{'endpoint':<26} {'best req/s':>10} {'median':>8} {'latency':>9} {'× floor (best)':>15} {'(median)':>9}")
    for name, figures in runs.items():
        best = max(rps for rps, _latency in figures)
        median = statistics.median(rps for rps, _latency in figures)
        latency = max(figures)[1]
        print(
            f"{name:<26} {best:>10.1f} {median:>8.1f} {latency:>9}"
            f" {best / floor_best:>15.2f} {median / floor_median:>9.2f}"
        )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:4]))
