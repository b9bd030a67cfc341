"""What every permission matrix of the API shares: its callers, in the order of a row.

`actor_client(name)` (tests/api/conftest.py) makes a client for each of them; CHN is the
"own" party of every matrix, KEN the "other"."""

ACTORS = [
    "anonymous",
    "other_officer",
    "own_officer",
    "focal_point",
    "coordinator",
    "other_key",
    "own_key_read",
    "own_key_write",
]


def row(*statuses) -> dict:
    """The expected statuses (or outcomes) of one endpoint, in the order of ACTORS."""
    return dict(zip(ACTORS, statuses, strict=True))


def cases(matrix: dict) -> list[tuple]:
    """(url name, method, actor, expected) for every cell of a {(url name, method): row} matrix."""
    return [
        (name, method, actor, expected)
        for (name, method), statuses in matrix.items()
        for actor, expected in statuses.items()
    ]
