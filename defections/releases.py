"""Numbered releases of the public data: where they are kept and how they are read back.

Each release is a folder settings.RELEASES_DIR/<version>/ holding its files and a
manifest.json (version, created_at, counts, files with checksums, licence, changes).
Releases are written by defections/dataset.py (manage.py release) and never change.
"""

import json
import re
from pathlib import Path

from django.conf import settings

VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")
FIRST = "1.0"
MANIFEST = "manifest.json"


def root():
    return Path(settings.RELEASES_DIR)


def key(version: str) -> tuple:
    """A version's place in order: 1.10 comes after 1.9."""
    return tuple(int(part) for part in version.split("."))


def load(version: str) -> dict | None:
    """The manifest of a release, or None when there is no such release."""
    if not VERSION.match(version):
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
