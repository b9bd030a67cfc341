"""`manage.py coverage_refresh [--full]`: bring the dashboard's aggregate store up to date.

Run it with `--full` once after deploying to a database with many projects (the beat task
builds the store itself only for small ones), and after changing the framework catalogue
(articles moved between pillars are not in the sync feed the refresh follows).
"""

from django.core.management.base import BaseCommand

from projects.aggregates import coverage_refresh


class Command(BaseCommand):
    help = "Refresh the dashboard's aggregates (--full: rebuild them from every project)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild from every project.")

    def handle(self, *args, full=False, **options):
        done = coverage_refresh(full=full)
        kind = "rebuilt" if done["full"] else f"{done['projects']} changed projects refreshed"
        self.stdout.write(f"Dashboard aggregates {kind} in {done['ms'] / 1000:.1f} s.")
