"""Opaque, signed feed cursors. A partner cannot forge or alter one (HMAC with SECRET_KEY).

A cursor holds the last position served (`p`), when it was issued (`t`, seconds) and, while
the first full listing is under way, the last project id listed (`a`)."""

import time
from dataclasses import dataclass

from django.core import signing

SALT = "feed.cursor.v1"


class BadCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    position: int
    after_id: int | None = None  # not None: still listing the snapshot taken at `position`
    issued_at: int = 0

    @property
    def in_snapshot(self) -> bool:
        return self.after_id is not None


def encode(cursor: Cursor) -> str:
    payload = {"p": cursor.position, "t": int(time.time())}
    if cursor.after_id is not None:
        payload["a"] = cursor.after_id
    return signing.dumps(payload, salt=SALT, compress=True)


def decode(text: str) -> Cursor:
    try:
        payload = signing.loads(text, salt=SALT)
        position, issued_at, after_id = payload["p"], payload["t"], payload.get("a")
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadCursor(str(exc)) from exc
    if not all(isinstance(v, int) and v >= 0 for v in (position, issued_at)) or not (
        after_id is None or (isinstance(after_id, int) and after_id >= 0)
    ):
        raise BadCursor("malformed")
    return Cursor(position=position, after_id=after_id, issued_at=issued_at)
