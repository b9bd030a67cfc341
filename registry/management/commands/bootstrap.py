"""Load (or update in place) the framework catalogue and the parties; `--demo` adds demo data.

Idempotent: a second run finds every row unchanged and writes nothing.
"""

import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from framework.services import framework_catalogue_load
from projects.loaders import sdgs_load
from registry.services import parties_load

FIXTURES = Path(settings.BASE_DIR) / "fixtures"


class Command(BaseCommand):
    help = "Load the framework catalogue and the parties; with --demo, also demo data and logins."

    def add_arguments(self, parser):
        parser.add_argument("--demo", action="store_true", help="Add demo organizations, people and projects.")

    def handle(self, *args, demo: bool = False, **options):
        catalogue = framework_catalogue_load(directory=FIXTURES / "frameworks")
        self.stdout.write(f"Framework catalogue: {self._summary(catalogue)}")
        parties = parties_load(data=json.loads((FIXTURES / "parties.json").read_text(encoding="utf-8")))
        self.stdout.write(f"Parties: {self._summary(parties)}")
        sdgs = sdgs_load(data=json.loads((FIXTURES / "sdgs.json").read_text(encoding="utf-8")))
        self.stdout.write(f"Sustainable Development Goals: {self._summary(sdgs)}")
        if demo:
            if not settings.DEBUG and not getattr(settings, "ALLOW_DEMO_DATA", False):
                raise CommandError("Demo data is only loaded with DEBUG on (never in production).")
            from registry.demo import demo_people_load

            people = demo_people_load()
            self.stdout.write(f"Demo people: {len(people)}")
            self._demo_hooks()

    def _demo_hooks(self):
        """Apps that have demo data of their own provide `demo.load()`; called in order."""
        from importlib import import_module

        for app in ("projects",):
            try:
                module = import_module(f"{app}.demo")
            except ModuleNotFoundError:
                continue
            self.stdout.write(f"Demo {app}: {module.load()}")

    @staticmethod
    def _summary(outcomes) -> str:
        return ", ".join(f"{outcomes.get(key, 0)} {key}" for key in ("created", "updated", "unchanged"))
