"""An e-mail backend another process can read: one JSON line per message, appended to
MAILBOX_PATH (one write per line, so concurrent worker processes never interleave).

MAILBOX_STALL_FILE, when set and the file does not exist yet, makes the first send write its
process id there and hang: the fault tests SIGKILL that process in the middle of its task.
"""

import json
import os
import time
from pathlib import Path

from django.core.mail.backends.base import BaseEmailBackend


def _stall_once() -> None:
    stall = os.environ.get("MAILBOX_STALL_FILE")
    if not stall:
        return
    try:
        fd = os.open(stall, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:  # someone already stalled (and was killed): send normally
        return
    os.write(fd, str(os.getpid()).encode())
    os.close(fd)
    time.sleep(float(os.environ.get("MAILBOX_STALL_SECONDS", "60")))


class MailboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        _stall_once()
        path = Path(os.environ["MAILBOX_PATH"])
        fd = os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY)
        try:
            for message in email_messages:
                line = {"to": message.to, "subject": message.subject, "pid": os.getpid(), "at": time.time()}
                os.write(fd, (json.dumps(line, ensure_ascii=False) + "\n").encode())
        finally:
            os.close(fd)
        return len(email_messages)


def read_mailbox(path) -> list[dict]:
    path = Path(path)
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
