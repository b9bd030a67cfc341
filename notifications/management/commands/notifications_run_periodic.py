"""Run the notifications' periodic jobs once, for installations without Celery beat (`bin/serve`).

Safe to run as often as wanted (from cron, say daily): every job is idempotent — reminders and
the weekly digest are recorded once per due date or week, held deliveries are sent once.
"""

from django.core.management.base import BaseCommand

from notifications import services
from notifications.digests import daily_digests_send, weekly_digest_record
from notifications.reminders import reminders_run


class Command(BaseCommand):
    help = "Record due reminders, the weekly coordinators' digest, send daily digests and sweep the outbox."

    def add_arguments(self, parser):
        parser.add_argument("--skip-digests", action="store_true", help="Only reminders and the outbox sweep.")

    def handle(self, *args, skip_digests=False, **options):
        recorded = reminders_run()
        self.stdout.write(f"reminders recorded: {sum(recorded.values())} {dict(recorded) or ''}".rstrip())
        if not skip_digests:
            weekly = weekly_digest_record()
            self.stdout.write(f"weekly digest recorded: {'yes' if weekly else 'no (done this week)'}")
            self.stdout.write(f"daily digests sent: {daily_digests_send()}")
        self.stdout.write(f"outbox events re-queued: {len(services.outbox_sweep())}")
