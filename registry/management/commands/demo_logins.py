from django.conf import settings
from django.core.management.base import BaseCommand

from registry.demo import DEMO_PASSWORD, PEOPLE


class Command(BaseCommand):
    help = "Print the address of the service and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")

    def handle(self, *args, url: str, **options):
        lines = [
            "",
            "Open Project Library is starting.",
            f"  Open: {url}",
            f"  API:  {url}api/v1/  (documentation: {url}api/v1/schema/swagger/)",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
        ]
        for username, role, party, _org, _first, _last, _language in PEOPLE:
            lines.append(f"  {username:<16} {role.label:<16} {party or 'secretariat'}")
        lines.append("  Every other party that leads a demo project has officer.<code> and focal.<code> too")
        lines.append("  (for example officer.pak, focal.uzb), with the same password.")
        if not settings.REQUIRE_TWO_FACTOR:
            lines.append("Two-factor sign-in is off in this local demo (REQUIRE_TWO_FACTOR=true turns it on).")
        lines.append("")
        self.stdout.write("\n".join(lines))
