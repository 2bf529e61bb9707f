"""Numbered releases of the public data: where they are kept and how they are read back.

Each release is a folder settings.RELEASES_DIR/<version>/ holding its files and a
manifest.json (version, created_at, counts, files with checksums, licence, changes).
"""

import json
import re

from django.conf import settings

VERSION = re.compile(r"^\d+\.\d+(\.\d+)?$")


def root():
    return settings.RELEASES_DIR


def load(version: str) -> dict | None:
    """The manifest of a release, or None when there is no such release."""
    if not VERSION.match(version):
        return None
    path = root() / version / "manifest.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def listed() -> list[dict]:
    """Every release's manifest, newest first."""
    if not root().is_dir():
        return []
    found = [load(d.name) for d in root().iterdir() if d.is_dir()]
    return sorted((m for m in found if m), key=lambda m: tuple(int(p) for p in m["version"].split(".")),
                  reverse=True)
