"""/data/: the releases to download and cite, newest first, and their files, served by the app."""

import hashlib
import io
import json
import re

import pytest
from django.core.management import call_command
from django.urls import reverse

from defections.models import Case, Person
from defections.withholding import Withholding
from tests.factories import CaseFactory, PersonFactory

pytest_plugins = ["tests.test_api_fixtures"]  # generous_throttle: cache cleared
pytestmark = pytest.mark.django_db

LD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@pytest.fixture
def releases_dir(settings, tmp_path):
    settings.RELEASES_DIR = tmp_path / "releases"
    settings.SITE_URL = "https://cases.example.org"
    return settings.RELEASES_DIR


def release():
    call_command("release", stdout=io.StringIO())


def test_with_no_release_the_page_says_how_one_is_made(client, releases_dir):
    response = client.get("/data/")
    page = response.content.decode()
    assert response.status_code == 200 and reverse("data") == "/data/"
    assert "manage.py release" in page and "application/ld+json" not in page
    assert 'href="/data/"' in page and 'aria-current="page">Data<' in page  # the nav link


def test_releases_are_listed_newest_first_with_their_files(client, seeded, releases_dir):
    release()
    CaseFactory(summary="One more case.")
    release()
    page = client.get("/data/").content.decode()
    assert page.index("Release 1.1") < page.index("Release 1.0")
    manifest = json.loads((releases_dir / "1.1" / "manifest.json").read_text())
    for entry in manifest["files"]:
        assert f'href="/data/1.1/{entry["path"]}"' in page
        assert entry["sha256"] in page
    assert f"{manifest['counts']['cases']} cases" in page
    assert "Since 1.0: cases 1 added, 0 changed, 0 retracted;" in page
    assert "creativecommons.org/licenses/by/4.0" in page and "CC BY 4.0" in page
    assert page.count('class="cite cite-release"') == 2 and "/data/1.0/citation.bib/" in page


@pytest.mark.django_db(transaction=True)  # committed, as in production: pages may be cached
def test_a_new_release_shows_at_once(client, releases_dir, version_row):
    CaseFactory()
    assert client.get("/cases/").status_code == 200
    assert "Release 1.0" not in client.get("/data/").content.decode()
    release()  # no write to the data: the data version, the key of cached pages, stays the same
    assert "Release 1.0" in client.get("/data/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_cached_case_page_cites_the_new_release_at_once(client, releases_dir, version_row):
    """A case page cites the latest release's version: a release moves the data version."""
    case = CaseFactory()
    page = client.get(case.get_absolute_url()).content.decode()
    assert "version 1.0" not in page
    assert client.get(case.get_absolute_url()).content.decode() == page  # served from the cache
    release()
    assert "version 1.0" in client.get(case.get_absolute_url()).content.decode()


def test_files_are_served_with_their_type_checksum_and_a_long_cache(client, seeded, releases_dir):
    release()
    manifest = json.loads((releases_dir / "1.0" / "manifest.json").read_text())
    types = {"cases.csv": "text/csv; charset=utf-8", "cases.json": "application/json",
             "defections.sqlite": "application/vnd.sqlite3", "CHANGES.md": "text/markdown; charset=utf-8",
             "LICENCE.txt": "text/plain; charset=utf-8", "datapackage.json": "application/json"}
    for entry in manifest["files"]:
        response = client.get(reverse("release-file", args=["1.0", entry["path"]]))
        body = b"".join(response.streaming_content)
        assert response.status_code == 200, entry["path"]
        assert hashlib.sha256(body).hexdigest() == entry["sha256"]
        # short: a release never changes, but it may be withdrawn
        assert response["Cache-Control"] == "public, max-age=300"
        if entry["path"] in types:
            assert response["Content-Type"] == types[entry["path"]], entry["path"]
    response = client.get("/data/1.0/manifest.json")  # the manifest too, listing every other file
    assert json.loads(b"".join(response.streaming_content)) == manifest
    assert response["Content-Type"] == "application/json"
    assert client.head("/data/1.0/cases.csv").status_code == 200
    assert client.post("/data/1.0/cases.csv").status_code == 405


def test_only_listed_files_are_served(client, seeded, releases_dir, settings):
    release()
    (releases_dir / "1.0" / "extra.txt").write_text("not listed")
    (releases_dir / "secret.txt").write_text("outside every release")
    settings.RELEASES_DIR.parent.joinpath("outside.txt").write_text("outside the releases")
    for url in ["/data/1.0/extra.txt", "/data/1.0/manifest.jsonx", "/data/9.9/cases.csv",
                "/data/1.0/..%2Fsecret.txt", "/data/..%2F1.0/cases.csv", "/data/1.0/%2E%2E",
                "/data/x/cases.csv", "/data/1.0/..%2F..%2Foutside.txt", "/data/1.0/"]:
        response = client.get(url)
        assert response.status_code == 404, url
        body = b"".join(getattr(response, "streaming_content", [response.content]))
        # No file's content (the 404 page may echo the address, in its language links).
        assert b"outside every release" not in body and b"outside the releases" not in body
        assert b"not listed" not in body


def test_schema_org_dataset(client, seeded, releases_dir):
    release()
    page = client.get("/data/").content.decode()
    (block,) = LD.findall(page)
    data = json.loads(block)
    assert data["@type"] == "Dataset" and data["version"] == "1.0"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert data["publisher"]["@type"] == "Organization" and data["url"] == "http://testserver/data/"
    downloads = {d["name"]: d for d in data["distribution"]}
    assert downloads["cases.csv"]["contentUrl"] == "http://testserver/data/1.0/cases.csv"
    assert downloads["cases.csv"]["encodingFormat"] == "text/csv"
    assert all(d["@type"] == "DataDownload" for d in downloads.values())


def test_the_json_ld_cannot_close_its_script_block(client, seeded, releases_dir, settings):
    settings.PUBLISHER_NAME = "</script><script>alert(1)</script> & <!--"
    release()
    page = client.get("/data/").content.decode()
    (block,) = LD.findall(page)
    assert "<" not in block and json.loads(block)["publisher"]["name"] == settings.PUBLISHER_NAME
    assert "<script>alert(1)" not in page
    # A data block runs nothing: the Content Security Policy stays as strict as every page's.
    assert "unsafe-inline" not in client.get("/data/")["Content-Security-Policy"]


def test_a_release_is_withdrawn_when_what_it_shows_is_hidden_since(client, releases_dir):
    """A person at risk when the release was made does not withdraw it; one put at risk
    after, a field withheld after, or a case unpublished after does: /data/ says so, its data
    files answer 410, and the next release is served."""
    guarded = CaseFactory(person=PersonFactory(at_risk=True), date="2001")
    later = CaseFactory(date="2002")
    release()
    assert client.get("/data/1.0/people.json").status_code == 200  # at risk before: no withdrawal
    assert client.get("/data/1.0/guarded.json").status_code == 404  # what is hidden is never served
    for hide in [lambda: Person.objects.filter(pk=later.person_id).update(at_risk=True),
                 lambda: Withholding.objects.create(case=later, field="date", reason="Safety."),
                 lambda: Case.objects.filter(pk=later.pk).update(status="draft")]:
        hide()
        page = client.get("/data/").content.decode()
        assert "Withdrawn." in page and 'href="/data/1.0/people.json"' not in page
        for name in ["people.json", "cases.csv", "defections.sqlite", "CHANGES.md"]:
            assert client.get(f"/data/1.0/{name}").status_code == 410, name
        assert client.get("/data/1.0/manifest.json").status_code == 200  # counts and checksums only
        # put back as it was: the release is served again
        Person.objects.filter(pk=later.person_id).update(at_risk=False)
        Withholding.objects.filter(case=later).delete()
        Case.objects.filter(pk=later.pk).update(status="published")
        assert client.get("/data/1.0/people.json").status_code == 200
    assert Person.objects.get(pk=guarded.person_id).at_risk
