"""The embedded default for trying the service on one machine: SQLite, tasks in-process.

Two-factor sign-in is off here unless REQUIRE_TWO_FACTOR=true, so that the printed demo
logins of coordinators and focal points work without an authenticator app. Production
always enforces it.
"""

from .base import *  # noqa: F403
from .env import env_bool

DEBUG = env_bool("DEBUG", True)
REQUIRE_TWO_FACTOR = env_bool("REQUIRE_TWO_FACTOR", False)
