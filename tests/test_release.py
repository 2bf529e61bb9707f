"""`manage.py release`: numbered releases of the public data in RELEASES_DIR, each with JSON,
CSV, a SQLite file, a Frictionless datapackage.json, a changelog and checksums."""

import csv
import io
import json
import sqlite3

import pytest
from django.core.management import CommandError, call_command
from frictionless import validate

from defections import publisher
from defections.api import dataset
from defections.models import Affiliation, Case
from tests.factories import AgencyFactory, CaseFactory
from tests.test_leak_canary import CONTROL, leaks

pytest_plugins = ["tests.test_api_fixtures", "tests.test_leak_canary"]  # api, canary

STEMS = list(dataset.TABLES)


@pytest.fixture
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"
    settings.SITE_URL = "https://cases.example.org"
    return settings.RELEASES_DIR


def release(*args) -> str:
    out = io.StringIO()
    call_command("release", *args, stdout=out)
    return out.getvalue()


def manifest_of(folder):
    return json.loads((folder / "manifest.json").read_text())


def sqlite_rows(path) -> dict:
    """{table: (column names, rows)} of a SQLite file, read with the standard library."""
    database = sqlite3.connect(path)
    try:
        tables = [name for (name,) in database.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = {}
        for table in tables:
            cursor = database.execute(f'SELECT * FROM "{table}"')
            found[table] = ([d[0] for d in cursor.description], cursor.fetchall())
        return found
    finally:
        database.close()


def test_versions_go_up_and_a_release_never_changes(seeded, releases_dir):
    assert "Release 1.0 written" in release()
    assert "Release 1.1 written" in release()
    assert (releases_dir / "1.1" / "manifest.json").is_file()
    assert manifest_of(releases_dir / "1.1")["base_url"] == "https://cases.example.org"
    before = (releases_dir / "1.1" / "cases.json").read_bytes()
    for version, message in [("1.1", "exists already"), ("1.0", "exists already"),
                             ("0.9", "versions go up"), ("one", "not a version")]:
        with pytest.raises(CommandError, match=message):
            release("--version", version)
    assert (releases_dir / "1.1" / "cases.json").read_bytes() == before
    assert "Release 2.0 written" in release("--version", "2.0", "--base-url", "https://x.example")
    assert "Release 2.1 written" in release()
    assert sorted(p.name for p in releases_dir.iterdir()) == ["1.0", "1.1", "2.0", "2.1"]


def test_a_failed_release_leaves_no_half_release(seeded, releases_dir):
    release()
    (releases_dir / "1.0" / "cases.json").write_text("[\n{not json\n]\n")  # breaks the changelog
    with pytest.raises(CommandError):
        release()
    assert sorted(p.name for p in releases_dir.iterdir()) == ["1.0"]  # no 1.1, no temporary folder
    with pytest.raises(CommandError, match="not an http"):
        release("--base-url", "ftp://nowhere")
    assert sorted(p.name for p in releases_dir.iterdir()) == ["1.0"]


def test_the_datapackage_is_valid_and_fails_when_a_csv_is_corrupted(seeded, releases_dir):
    release()
    folder = releases_dir / "1.0"
    package = json.loads((folder / "datapackage.json").read_text())
    assert (package["version"], package["licenses"][0]["name"]) == ("1.0", "CC-BY-4.0")
    assert package["contributors"][0]["title"] == publisher.publisher()["name"]
    assert [r["name"] for r in package["resources"]] == STEMS
    cases = package["resources"][0]
    assert cases["hash"].startswith("sha256:") and cases["schema"]["primaryKey"] == ["id"]
    types = {f["name"]: f["type"] for f in cases["schema"]["fields"]}
    assert types["id"] == "integer" and types["motives"] == "array" and types["summary"] == "string"
    with (folder / "cases.csv").open(newline="") as file:
        assert list(types) == next(csv.reader(file))  # the schema is the CSV's columns, in order
    report = validate(folder / "datapackage.json")
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])

    text = (folder / "cases.csv").read_text()
    (folder / "cases.csv").write_text(text.replace("\n", "\nbroken,", 2))  # two rows shifted
    assert not validate(folder / "datapackage.json").valid
    # Without the checksums, the column types alone catch a corrupted cell.
    for resource in package["resources"]:
        del resource["hash"], resource["bytes"]
    (folder / "datapackage.json").write_text(json.dumps(package))
    (folder / "cases.csv").write_text(text)
    assert validate(folder / "datapackage.json").valid
    rows = text.split("\n")
    rows[1] = "not-an-id" + rows[1][rows[1].index(","):]
    (folder / "cases.csv").write_text("\n".join(rows))
    report = validate(folder / "datapackage.json")
    assert not report.valid and "type-error" in {e[1] for e in report.flatten(["fieldName", "type"])}


def test_the_sqlite_file_holds_every_csv(seeded, releases_dir):
    person = Case.objects.public().filter(person__at_risk=False).first().person
    Affiliation.objects.create(person=person, agency=AgencyFactory(), role="An invented post")  # none seeded
    release()
    folder = releases_dir / "1.0"
    manifest = manifest_of(folder)
    tables = sqlite_rows(folder / "defections.sqlite")
    assert sorted(tables) == sorted(STEMS)
    package = json.loads((folder / "datapackage.json").read_text())
    for resource in package["resources"]:
        columns, rows = tables[resource["name"]]
        with (folder / resource["path"]).open(newline="") as file:
            assert columns == next(csv.reader(file))
        assert len(rows) == manifest["counts"][resource["name"]] > 0
        ids = [row[0] for row in rows]
        assert all(isinstance(i, int) for i in ids) and len(set(ids)) == len(ids)
        for field, kind in [(f["name"], f["type"]) for f in resource["schema"]["fields"]]:
            values = [row[columns.index(field)] for row in rows if row[columns.index(field)] is not None]
            if kind == "array":
                assert all(isinstance(json.loads(v), list) for v in values), field
    database = sqlite3.connect(folder / "defections.sqlite")
    pk = [row for row in database.execute("PRAGMA table_info(cases)") if row[5]]
    assert [row[1] for row in pk] == ["id"]
    database.close()
    published = Case.objects.filter(status="published").count()
    assert manifest["counts"]["cases"] == published


def test_the_changelog_says_what_was_added_changed_and_retracted(seeded, releases_dir):
    release()
    first = manifest_of(releases_dir / "1.0")
    assert first["changes"] == {} and "first release" in (releases_dir / "1.0" / "CHANGES.md").read_text()
    changed, retracted = Case.objects.filter(status="published").order_by("pk")[:2]
    added = CaseFactory(summary="A case published after 1.0.")
    changed.summary = "Summary rewritten after 1.0."
    changed.save()
    retracted.status, retracted.retraction_note = "retracted", "Disproved."
    retracted.save()
    assert "cases +1 ~1 -1" in release()
    manifest = manifest_of(releases_dir / "1.1")
    assert manifest["previous_version"] == "1.0"
    assert manifest["changes"]["cases"] == {"added": [added.pk], "changed": [changed.pk],
                                            "retracted": [retracted.pk]}
    assert set(manifest["changes"]) == set(STEMS)
    assert manifest["counts"]["cases"] == first["counts"]["cases"]
    text = (releases_dir / "1.1" / "CHANGES.md").read_text()
    assert "since release 1.0" in text
    for line in [f"Added (1): {added.pk}", f"Changed (1): {changed.pk}", f"Retracted (1): {retracted.pk}"]:
        assert line in text
    release()
    assert manifest_of(releases_dir / "1.2")["changes"]["cases"] == {"added": [], "changed": [],
                                                                     "retracted": []}


def test_the_licence_is_stated_in_every_release(seeded, releases_dir):
    release()
    folder = releases_dir / "1.0"
    manifest = manifest_of(folder)
    assert manifest["licence"]["id"] == "CC-BY-4.0" and manifest["title"] == publisher.TITLE
    assert manifest["publisher"] == publisher.publisher()
    for name in ["LICENCE.txt", "README.txt"]:
        assert publisher.statement() in (folder / name).read_text(), name
    assert "creativecommons.org/licenses/by/4.0" in (folder / "LICENCE.txt").read_text()
    listed = {entry["path"] for entry in manifest["files"]}
    assert {"LICENCE.txt", "README.txt", "CHANGES.md", "datapackage.json", "defections.sqlite"} <= listed


def test_no_private_data_in_any_release_file(canary, releases_dir):
    release()
    folder = releases_dir / "1.0"
    for path in folder.iterdir():
        text = path.read_bytes().decode("utf-8", errors="replace")
        assert not leaks(text), (path.name, leaks(text))
        assert "restricted_notes" not in text, path.name
    cells = [str(value) for _, rows in sqlite_rows(folder / "defections.sqlite").values()
             for row in rows for value in row]
    assert not leaks("\n".join(cells))
    assert any(CONTROL in value for value in cells)  # the control marker is found: the check can fail
