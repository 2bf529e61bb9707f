"""What changed between two releases, table by table: records added, changed and retracted.

A record is its id and its JSON as released; "retracted" means it was in the previous release
and is not in this one (a case retracted, unpublished or now hidden, a source no longer cited).
Release JSON files hold one record a line (defections/api/dataset.py), so they are read line by
line and only a digest per record is kept.
"""

import hashlib
import json
from pathlib import Path


def digests(path: Path) -> dict:
    """{id: digest of the record} of a release's <table>.json; {} when there is no such file."""
    found = {}
    if not path.is_file():
        return found
    with path.open(encoding="utf-8") as file:
        for line in file:
            line = line.strip().rstrip(",")
            if line in ("", "[", "]"):
                continue
            record = json.loads(line)
            canonical = json.dumps(record, sort_keys=True, ensure_ascii=False)
            found[record["id"]] = hashlib.sha256(canonical.encode()).hexdigest()
    return found


def compare(previous: Path, current: Path, stems) -> dict:
    """{stem: {added, changed, retracted}} (sorted ids) from the previous release's folder."""
    changes = {}
    for stem in stems:
        old, new = digests(previous / f"{stem}.json"), digests(current / f"{stem}.json")
        changes[stem] = {
            "added": sorted(new.keys() - old.keys()),
            "changed": sorted(key for key in new.keys() & old.keys() if new[key] != old[key]),
            "retracted": sorted(old.keys() - new.keys()),
        }
    return changes


def markdown(manifest: dict) -> str:
    """CHANGES.md: the changes of a release, for people."""
    lines = [f"# Release {manifest['version']} ({manifest['created_at'][:10]})", ""]
    previous = manifest.get("previous_version")
    if not previous:
        lines += ["The first release: every record is new.", ""]
        lines += [f"- {stem}: {count}" for stem, count in manifest["counts"].items()]
        return "\n".join(lines) + "\n"
    lines += [f"Changes since release {previous}. Ids are the records' ids (`id` in every file); "
              "a retracted record was in the previous release and is not in this one.", ""]
    for stem, change in manifest["changes"].items():
        lines += [f"## {stem}", ""]
        if not any(change.values()):
            lines += ["No change.", ""]
            continue
        for kind in ("added", "changed", "retracted"):
            ids = change[kind]
            lines.append(f"- {kind.capitalize()} ({len(ids)}): {', '.join(map(str, ids)) or '—'}")
        lines.append("")
    return "\n".join(lines)
