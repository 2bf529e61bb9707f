"""Restore a `backup` file into a database: the configured one, or a new one by name."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg2 import sql

from defections import cache, changes, pgtools


class Command(BaseCommand):
    help = ("Restore a backup. With --into NAME, into a new database of that name (the usual way "
            "to check a backup); without it, over the configured database, after --yes.")

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--into", help="Create this database and restore into it")
        parser.add_argument("--yes", action="store_true",
                            help="Confirm replacing the configured database's contents")

    def handle(self, *args, file, into=None, yes=False, **options):
        if not Path(file).is_file():
            raise CommandError(f"No such backup file: {file}")
        if into:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(into)).as_string(
                    cursor.connection))
            options = []
        elif yes:
            options = ["--clean", "--if-exists"]
        else:
            raise CommandError("This replaces the configured database: add --yes, or use --into NAME.")
        name = into or connection.settings_dict["NAME"]
        # Running servers cache counts under the data version: the restored one must be new.
        version_before = None if into else cache.sequence_value()
        pgtools.run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error",
                                   "--single-transaction", *options, f"--dbname={name}", file],
                    database=name)
        # Followers of the change feed may hold newer data than the restored: they start again.
        pgtools.run("psql", ["--no-psqlrc", "-v", "ON_ERROR_STOP=1", "-c", changes.RESTART], database=name)
        if version_before is not None:
            cache.advance_version(version_before)
        self.stdout.write(f"Restored {file} into {into or 'the configured database'}.")
