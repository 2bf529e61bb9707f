"""Dump the database to one file, in pg_dump's custom format (restore with `restore`)."""

from datetime import UTC, datetime
from pathlib import Path

from django.core.management.base import BaseCommand

from defections import pgtools


class Command(BaseCommand):
    help = "Write a pg_dump of the database (custom format) to --output or backups/<time>.dump."

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", help="File to write (default: backups/<UTC time>.dump)")

    def handle(self, *args, output=None, **options):
        path = Path(output or f"backups/{datetime.now(UTC):%Y%m%dT%H%M%SZ}.dump")
        path.parent.mkdir(parents=True, exist_ok=True)
        pgtools.run("pg_dump", ["--format=custom", "--no-owner", "--no-privileges", "--file", str(path)])
        self.stdout.write(f"Backup written to {path} ({path.stat().st_size} bytes).")
