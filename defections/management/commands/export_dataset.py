"""Write the release's files into any folder, with no version bookkeeping and no changelog
(`manage.py release` publishes numbered releases under RELEASES_DIR)."""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from defections.api import dataset


class Command(BaseCommand):
    help = ("Write the public data (what the anonymous API shows) as a release's files into a folder: "
            "JSON, CSV, SQLite, datapackage.json and manifest.json with counts and SHA-256 checksums.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the release's here, not Django's own version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", required=True, help="Folder to write the files into")
        parser.add_argument("--version", dest="release",
                            help="Release version (default: today's UTC date, e.g. 2026.11.26)")
        parser.add_argument("--base-url", default="http://localhost:8000",
                            help="Public address of the site, for the records' links")

    def handle(self, *args, output, release=None, base_url, **options):
        release = release or f"{datetime.now(UTC):%Y.%m.%d}"
        try:
            manifest = dataset.export(output, release, base_url)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
        self.stdout.write(f"Release {release} written to {output}: {counts}.")
