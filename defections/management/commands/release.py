"""Publish a numbered release of the public data in settings.RELEASES_DIR (served at /data/)."""

from django.core.management.base import BaseCommand, CommandError

from defections.api import dataset


class Command(BaseCommand):
    help = ("Write a numbered release of the public data (what the anonymous API shows): JSON, CSV, "
            "SQLite, datapackage.json, CHANGES.md against the previous release, and manifest.json "
            "with counts and SHA-256 checksums, into RELEASES_DIR/<version>/.")

    def create_parser(self, prog_name, subcommand, **kwargs):
        # --version is the release's here, not Django's own version flag.
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("--version", dest="release",
                            help="Release version, e.g. 1.2 (default: the next after the latest; 1.0 first)")
        parser.add_argument("--base-url", help="Public address of the site (default: settings.SITE_URL)")

    def handle(self, *args, release=None, base_url=None, **options):
        try:
            manifest = dataset.publish(release, base_url)
        except (ValueError, OSError) as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{n} {name}" for name, n in manifest["counts"].items())
        changes = manifest["changes"]
        summary = "; ".join(f"{stem} +{len(c['added'])} ~{len(c['changed'])} -{len(c['retracted'])}"
                            for stem, c in changes.items()) or "the first release"
        self.stdout.write(f"Release {manifest['version']} written: {counts} ({summary}).")
