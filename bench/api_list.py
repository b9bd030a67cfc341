"""Throughput of `GET /api/v1/projects/?page_size=100` under gunicorn, against its floor.

PostgreSQL with 100,000 projects (`bench/seeding.py`, COPY), gunicorn with 2 workers
(`config.settings.bench`, which adds the endpoints of `bench/urls.py`), and `wrk -t1 -c8 -d10s`
against, in turn:

- the list, authenticated with a partner system's read key (CHN);
- the same list through the generic `ProjectListSerializer` (the path before the read path);
- the floor: the same page from one raw SQL query with JSON aggregation and orjson, without
  authentication or framework, in the same server.

Prints requests per second side by side, with the ratio to the floor. No assertions.

    .venv/bin/python bench/api_list.py                  # postgres://app:app@127.0.0.1:5432/h_rw
    DATABASE_URL=postgres://… .venv/bin/python bench/api_list.py [projects] [seconds]
"""

import os
import re
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DATABASE_URL = os.environ.setdefault("DATABASE_URL", "postgres://app:app@127.0.0.1:5432/h_rw")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.bench"
os.makedirs(ROOT / "var" / "staticfiles", exist_ok=True)
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"


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
    command = ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency"]
    if header:
        command += ["-H", header]
    output = subprocess.run([*command, BASE + path], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    latency = re.search(r"Latency\s+(\S+)", output).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise RuntimeError(f"{path}: {errors.group(1)} failed responses\n{output}")
    return rps, latency


def main(projects: int = 100_000, seconds: int = 10) -> None:
    import orjson

    ensure_database(DATABASE_URL)
    secret, party_id = prepare(projects)
    auth = {"Authorization": f"Api-Key {secret}"}
    endpoints = [
        ("list (read path)", "/api/v1/projects/?page_size=100", f"Authorization: Api-Key {secret}"),
        ("list (generic serializer)", "/bench/serializer/projects/?page_size=100", f"Authorization: Api-Key {secret}"),
        ("floor (1 SQL + orjson)", f"/bench/floor/?page_size=100&party={party_id}", None),
    ]
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "-w", "2", "-b", f"127.0.0.1:{PORT}", "-q"],
        cwd=ROOT,
        env={**os.environ},
    )
    try:
        for _attempt in range(100):
            try:
                get(endpoints[2][1])
                break
            except OSError:
                time.sleep(0.2)
        pages = {name: orjson.loads(get(path, auth if header else None)) for name, path, header in endpoints}
        ids = {name: [row["id"] for row in page["results"]] for name, page in pages.items()}
        assert len(ids["list (read path)"]) == 100, ids
        same = ids["list (read path)"] == ids["list (generic serializer)"] == ids["floor (1 SQL + orjson)"]
        identical = pages["list (read path)"]["results"] == pages["list (generic serializer)"]["results"]
        print(f"same 100 projects on every endpoint: {same}; read path == serializer: {identical}")
        for _name, path, header in endpoints:  # warm up every worker
            wrk(path, 2, header)
        figures = {name: wrk(path, seconds, header) for name, path, header in endpoints}
    finally:
        server.terminate()
        server.wait(timeout=30)
    floor_rps = figures["floor (1 SQL + orjson)"][0]
    print(f"\n{projects} projects, gunicorn 2 workers, wrk -t1 -c8 -d{seconds}s, page_size=100")
    print(f"{'endpoint':<28} {'req/s':>9} {'avg latency':>12} {'× floor':>8}")
    for name, (rps, latency) in figures.items():
        print(f"{name:<28} {rps:>9.1f} {latency:>12} {rps / floor_rps:>8.2f}")


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:3]))
