"""Numbered releases of the public data: where they are kept and how they are read back.

Each release is a folder settings.RELEASES_DIR/<version>/ holding its files and a
manifest.json (version, created_at, counts, files with checksums, licence, changes).
Releases are written by defections/api/dataset.py (manage.py release) and never change.
"""

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

from django.conf import settings

from defections import cache
from defections.models import Affiliation, Agency, Case, Person, Source
from defections.withholding import Withholding

# The released tables whose records the public may stop reading (every period is public).
MODELS = {"cases": Case, "people": Person, "agencies": Agency, "sources": Source,
          "affiliations": Affiliation}
VERSION = re.compile(r"\d+\.\d+(\.\d+)?\Z")
FIRST = "1.0"
MANIFEST = "manifest.json"
GUARDED = "guarded.json"  # what was hidden inside its records when it was made; never served


def root():
    return Path(settings.RELEASES_DIR)


def key(version: str) -> tuple:
    """A version's place in order: 1.10 comes after 1.9."""
    return tuple(int(part) for part in version.split("."))


def load(version: str) -> dict | None:
    """The manifest of a release, or None when there is no such release."""
    if not VERSION.match(version):  # anchored at both ends (\Z: no trailing newline)
        return None
    path = root() / version / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def listed() -> list[dict]:
    """Every release's manifest, newest first."""
    if not root().is_dir():
        return []
    found = [load(d.name) for d in root().iterdir() if d.is_dir()]
    return sorted((m for m in found if m), key=lambda m: key(m["version"]), reverse=True)


def latest() -> dict | None:
    found = listed()
    return found[0] if found else None


def next_version() -> str:
    """1.0 first, then 1.1, 1.2, ... after the latest release."""
    last = latest()
    if last is None:
        return FIRST
    major, minor = key(last["version"])[:2]
    return f"{major}.{minor + 1}"


def served(version: str, name: str) -> tuple[Path, str] | None:
    """(path, media type) of a file a release lists in its manifest, or of the manifest itself;
    None for anything else: no other file is served."""
    manifest = load(version)
    if manifest is None:
        return None
    types = {entry["path"]: entry["media_type"] for entry in manifest["files"]}
    types[MANIFEST] = "application/json"
    path = root() / version / name
    return (path, types[name]) if name in types and path.is_file() else None


# --- withdrawal: a release stops being served when what it shows has since been hidden -------


def guarded(ids: dict[str, set]) -> list[str]:
    """What is kept from the public inside these public records now, as markers:
    "people:12:at_risk" (a person at risk, and "cases:7:at_risk" for their cases) and
    "cases:7:date" (a field withheld)."""
    at_risk = Person.objects.filter(at_risk=True)
    marks = {f"people:{pk}:at_risk" for pk in at_risk.values_list("pk", flat=True)}
    their_cases = Case.objects.filter(person__in=at_risk).values_list("pk", flat=True)
    marks |= {f"cases:{pk}:at_risk" for pk in their_cases}
    withheld = Withholding.objects.active().values_list("case_id", "person_id", "field")
    for case_id, person_id, field in withheld:
        marks.add(f"cases:{case_id}:{field}" if case_id else f"people:{person_id}:{field}")
    return sorted(mark for mark in marks if int(mark.split(":")[1]) in ids.get(mark.split(":")[0], ()))


def released_ids(folder: Path) -> dict[str, set]:
    """The ids of every record in the release in folder, per table (from its SQLite file)."""
    path = Path(folder) / "defections.sqlite"
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        return {table: {row[0] for row in db.execute(f'SELECT id FROM "{table}"')}
                for table in MODELS if table in tables}


def _withdrawn(manifest: dict) -> bool:
    ids = released_ids(root() / manifest["version"])
    for table, model in MODELS.items():  # a record in it the public may no longer read
        public = model.objects.visible_to(None).order_by().values("pk")
        if model.objects.exclude(pk__in=public).filter(pk__in=list(ids.get(table, ()))).exists():
            return True
    # something in one of its records hidden since (a person now at risk, a field withheld)
    path = root() / manifest["version"] / GUARDED
    then = set(json.loads(path.read_text(encoding="utf-8"))) if path.is_file() else set()
    return bool(set(guarded(ids)) - then)


def withdrawn(manifest: dict) -> bool:
    """Is a release withdrawn? Yes once a record it holds is no longer public, or is shown
    with less than it was (its person now at risk, a field now withheld): its files would
    show what the public may no longer read, so they are not served any more (the next
    release leaves it out). Decided from the data alone, under the data version."""
    return cache.remember("release-withdrawn", manifest["version"], lambda: _withdrawn(manifest))
