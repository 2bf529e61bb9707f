"""`manage.py export_dataset`: the release is the anonymous API, file for file, with checksums."""

import csv
import hashlib
import io
import json

import pytest
from django.core.management import CommandError, call_command

from defections.models import Affiliation, Case
from tests.factories import AgencyFactory
from tests.test_api_fixtures import ENDPOINTS, all_pages, read_csv
from tests.test_leak_canary import CONTROL, leaks

pytest_plugins = ["tests.test_api_fixtures", "tests.test_leak_canary"]  # api, canary


@pytest.fixture
def release(canary, tmp_path):
    person = Case.objects.public().filter(person__at_risk=False).first().person
    Affiliation.objects.create(person=person, agency=AgencyFactory(), role="An invented post")
    out = io.StringIO()
    call_command("export_dataset", "--output", str(tmp_path / "r"), "--version", "2026.1",
                 "--base-url", "http://testserver", stdout=out)
    assert "2026.1" in out.getvalue()
    return tmp_path / "r"


def test_files_and_manifest(release):
    manifest = json.loads((release / "manifest.json").read_text())
    assert manifest["version"] == "2026.1" and manifest["created_at"].endswith("Z")
    names = {f"{stem}.{suffix}" for stem in ENDPOINTS for suffix in ["json", "csv"]}
    names |= {"defections.sqlite", "datapackage.json", "CHANGES.md", "README.txt", "LICENCE.txt"}
    assert {f["path"] for f in manifest["files"]} == names
    # and, never served, what was hidden inside the released records (releases.withdrawn)
    assert {p.name for p in release.iterdir()} == names | {"manifest.json", "guarded.json"}
    for entry in manifest["files"]:
        content = (release / entry["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == entry["sha256"], entry["path"]
        assert len(content) == entry["bytes"]
        stem, suffix = entry["path"].split(".")
        if suffix in ("json", "csv") and stem in ENDPOINTS:
            assert entry["records"] == manifest["counts"][stem]
    assert manifest["changes"] == {} and manifest["previous_version"] is None


def test_nothing_private_in_any_file(release):
    texts = {path.name: path.read_text(encoding="utf-8", errors="replace") for path in release.iterdir()}
    for name, text in texts.items():
        assert not leaks(text), (name, leaks(text))
        assert "restricted_notes" not in text, name
    assert CONTROL in texts["cases.json"] and CONTROL in texts["cases.csv"]


def as_stored(value):
    """An API record read with ?lang=all as the release holds it: each translated text as its
    columns (F in English, F_ru), with no `fallback`."""
    if isinstance(value, list):
        return [as_stored(item) for item in value]
    if not isinstance(value, dict):
        return value
    english = {key[:-3] for key in value if key.endswith("_en") and f"{key[:-3]}_ru" in value}
    return {key: as_stored(value[f"{key}_en"] if key in english else item)
            for key, item in value.items()
            if key != "fallback" and not (key.endswith("_en") and key[:-3] in english)}


def test_records_are_the_anonymous_apis(release, api):
    manifest = json.loads((release / "manifest.json").read_text())
    for endpoint in ENDPOINTS:
        from_api = as_stored(all_pages(api, f"/api/v1/{endpoint}/", page_size=500, lang="all"))
        exported = json.loads((release / f"{endpoint}.json").read_text())
        assert manifest["counts"][endpoint] == len(from_api) > 0, endpoint
        assert exported == from_api, endpoint
        with (release / f"{endpoint}.csv").open(newline="", encoding="utf-8") as file:
            rows = list(csv.DictReader(file))
        assert rows == read_csv(api.get(f"/api/v1/{endpoint}/?format=csv")), endpoint


def test_bad_base_url_is_a_command_error(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("export_dataset", "--output", str(tmp_path), "--base-url", "not a url")


def test_the_russian_texts_are_released_beside_the_english_and_in_english(canary, tmp_path):
    from django.utils import translation

    case = (Case.objects.public().filter(person__at_risk=False, withholdings=None)
            .exclude(date_start=None).first())
    Case.objects.filter(pk=case.pk).update(summary_ru="Краткое изложение для выпуска.")
    with translation.override("ru"):  # a release made while Russian is active is the same
        call_command("export_dataset", "--output", str(tmp_path / "r"), "--version", "2026.2",
                     "--base-url", "http://testserver", stdout=io.StringIO())
    released = {row["id"]: row for row in json.loads((tmp_path / "r" / "cases.json").read_text())}
    assert released[case.pk]["summary"] == case.summary
    assert released[case.pk]["summary_ru"] == "Краткое изложение для выпуска."
    assert released[case.pk]["date"] == case.date  # as written in English
    with (tmp_path / "r" / "cases.csv").open(newline="", encoding="utf-8") as file:
        header = next(csv.reader(file))
    assert {"summary", "summary_ru", "narrative", "narrative_ru"} <= set(header)
    assert "fallback" not in header and "summary_en" not in header
    assert "_ru" in (tmp_path / "r" / "README.txt").read_text()
