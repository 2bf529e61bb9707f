"""Bring the change feed up to date at once. `/api/v1/changes/` catches up a little at each
call (at most `BUDGET` records), so that a call answers in seconds; at the feed's start, or
after a release, a large database needs many calls. Run this after `migrate` instead."""

import time

from django.core.management.base import BaseCommand

from defections.api.changes import catch_up
from defections.changes import ChangeFeed, ChangeMark


class Command(BaseCommand):
    help = "Read every record the change feed waits on, a catch-up at a time, until none is left."

    def handle(self, *args, **options):
        calls, last = 0, None
        while True:
            until = catch_up()
            calls, left = calls + 1, ChangeMark.objects.count()
            if until is not None and not left:
                break
            if (last_at := ChangeFeed.objects.values_list("last_at", flat=True).first()) == last:
                time.sleep(0.5)  # the catch-up did not run: another process holds it
            last = last_at
            if calls % 40 == 0:
                self.stdout.write(f"{left} records left to read")
        self.stdout.write(f"The change feed is up to date ({calls} catch-ups).")
