"""A real HTTP receiver on 127.0.0.1, partner systems of two parties and their endpoints."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.factories import UserFactory, party
from webhooks import services


class Receiver:
    """Records every request; answers with the next status of `statuses` (the last one repeats)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses = [200]
        self.delay = 0.0
        self.location = ""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers.items()), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                answer = json.dumps({"received": True}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture(autouse=True)
def _send_in_process():
    """Queued sends run in-process after the captured commit, also when CI configures a broker."""
    from config.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def chn_system(db):
    return UserFactory(role="partner_system", party=party("CHN"), username="system_chn")


@pytest.fixture
def ken_system(db):
    return UserFactory(role="partner_system", party=party("KEN"), username="system_ken", preferred_language="zh-hans")


ALL_PROJECT_KINDS = [
    "project_submitted",
    "project_resubmitted",
    "project_returned",
    "project_published",
    "project_status_changed",
    "review_comment",
]


@pytest.fixture
def make_endpoint():
    def make(owner, url, kinds=None):
        endpoint, secret = services.endpoint_create(actor=owner, url=url, event_types=kinds or ALL_PROJECT_KINDS)
        return endpoint, secret

    return make


@pytest.fixture
def draft(officer):
    from tests.factories import draft_project

    return draft_project(officer=officer)
