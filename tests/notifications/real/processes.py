"""Real Redis servers and Celery workers as child processes, for the real-thing tests and
bench/notifications_faults.py. Each one is stopped by its own process id, never by name."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

ROOT = Path(__file__).resolve().parents[3]
PORTS = range(6390, 6400)  # reserved for these tests and benches; never the shared 6379


def wait_until(predicate, timeout: float, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"Timed out after {timeout} s waiting for {what}")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class RedisServer:
    """redis-server as the broker runs in production: append-only file, no eviction."""

    def __init__(self, port: int | None = None):
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self.binary = binary
        self.port = port or next((p for p in PORTS if _port_free(p)), None)
        if self.port is None:
            raise RuntimeError("No free port in 6390-6399")
        self.dir = tempfile.mkdtemp(prefix=f"redis-{self.port}-")
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self):
        # No retries: redis-py's default retries a lost connection with backoff, which made
        # shutdown_nosave() return about 4 s after the server had gone (and outages that long).
        return redis.Redis(port=self.port, socket_connect_timeout=1, socket_timeout=5, retry=Retry(NoBackoff(), 0))

    def start(self):
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir]
        command += ["--appendonly", "yes", "--maxmemory-policy", "noeviction", "--save", ""]
        log = open(Path(self.dir) / "redis.log", "ab")  # noqa: SIM115 (kept open by the child)
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self._pong, 10, what=f"redis on port {self.port}")
        return self

    def _pong(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def shutdown_nosave(self):
        """SHUTDOWN NOSAVE: what survives is what the append-only file already holds."""
        with contextlib.suppress(redis.ConnectionError):  # the server closes the connection as it goes
            self.client().shutdown(nosave=True)
        if self.process:
            self.process.wait(10)
            self.process = None

    def stop(self):
        if self.process and self.process.poll() is None:
            self.shutdown_nosave()
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)
        self.process = None
        shutil.rmtree(self.dir, ignore_errors=True)


class Worker:
    """`celery -A config worker` on every queue, with the worker settings of these tests."""

    def __init__(self, *, broker_url: str, database_url: str, mailbox: Path, concurrency: int = 2, env=None):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.real.worker_settings",
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "CELERY_BROKER_URL": broker_url,
            "MAILBOX_PATH": str(mailbox),
            "PYTHONPATH": str(ROOT),
            **(env or {}),
        }
        self.concurrency = concurrency
        self.log = Path(tempfile.mkstemp(prefix="celery-worker-", suffix=".log")[1])
        self.process = None

    def start(self, wait: bool = True):
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "email,webhooks,default"]
        command += ["--concurrency", str(self.concurrency), "--pool", "prefork", "--loglevel", "INFO"]
        command += ["--without-gossip", "--without-mingle", "--hostname", f"real{os.getpid()}-{time.time_ns()}@%h"]
        self.offset = self.log.stat().st_size
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        if wait:
            wait_until(self.ready, 60, interval=0.1, what="the Celery worker to be ready")
        return self

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"The worker exited:\n{self.output()[-4000:]}")
        return " ready." in self.output()[self.offset :]

    def kill(self):
        """SIGKILL the whole worker: the main process and its pool processes, nothing shut down."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def stop(self):
        """A warm shutdown (SIGTERM to the main process), then SIGKILL if it lingers."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)
        if self.process and self.process.poll() is None:
            self.kill()
        elif self.process:
            with contextlib.suppress(ProcessLookupError):  # pool processes orphaned by a crash
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process = None


def point_app_at(broker_url: str | None, *, eager: bool):
    """Make this process's Celery app publish to `broker_url` (dropping pooled connections)."""
    from config.celery import app

    app._pool = None  # the next publish builds a pool for the new URL (pools are keyed by connection)
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None
    app.conf.broker_url = broker_url
    app.conf.task_always_eager = eager
