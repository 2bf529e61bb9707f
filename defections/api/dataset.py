"""The open-data release: the public data as JSON, CSV and SQLite, described by a Frictionless
datapackage.json and a manifest of checksums, with its changes against the previous release.

Each file is what the anonymous API shows, record for record: the records come from the
API's own viewsets (queryset, visibility, at-risk rule) and serializers under an anonymous
request, so nothing private can reach a file that the API would not show. Records are
read with a server-side cursor and written one by one, so memory stays flat at any size;
the SQLite file and the changelog are built from the CSV and JSON files just written.
"""

import csv
import hashlib
import json
import shutil
import sqlite3
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test import RequestFactory
from django.utils import translation
from rest_framework import serializers
from rest_framework.relations import ManyRelatedField, PrimaryKeyRelatedField
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

from defections import cache, changelog, publisher, releases
from defections.api import views
from defections.api.renderers import columns_of, row_of
from defections.csv_safe import uncell

TABLES = {  # file stem: the API viewset that serves it
    "cases": views.CaseViewSet,
    "people": views.PersonViewSet,
    "agencies": views.AgencyViewSet,
    "sources": views.SourceViewSet,
    "periods": views.PeriodViewSet,
    "affiliations": views.AffiliationViewSet,
}
CHUNK_SIZE = 1000
SQLITE = "defections.sqlite"
MEDIA_TYPES = {".json": "application/json", ".csv": "text/csv", ".sqlite": "application/vnd.sqlite3",
               ".md": "text/markdown", ".txt": "text/plain"}
SQL_TYPES = {"integer": "INTEGER", "number": "REAL", "boolean": "INTEGER"}


def anonymous_request(base_url: str) -> Request:
    """A GET by an anonymous client at base_url: what the public API would be asked."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{base_url!r} is not an http(s) address such as https://cases.example.org")
    django_request = RequestFactory().get("/", secure=parts.scheme == "https")
    django_request.get_host = lambda: parts.netloc  # links use the release's address
    django_request.user = AnonymousUser()
    request = Request(django_request)
    request.user = AnonymousUser()
    return request


def records(viewset_class, request):
    """(serializer, iterator of serialized records) as the anonymous list endpoint gives them."""
    view = viewset_class(request=request, format_kwarg=None, action="list", args=(), kwargs={})
    queryset = view.filter_queryset(view.get_queryset())
    context = view.get_serializer_context()
    serializer_class = view.get_serializer_class()
    rows = (serializer_class(record, context=context).data
            for record in queryset.iterator(chunk_size=CHUNK_SIZE))
    return serializer_class(context=context), rows


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def type_of(field) -> str:
    """The Table Schema type of a serializer field's CSV column (many values: a JSON array)."""
    if isinstance(field, serializers.ListSerializer | serializers.ListField | ManyRelatedField
                  | serializers.MultipleChoiceField):
        return "array"
    for kind, name in [(serializers.BooleanField, "boolean"), (serializers.IntegerField, "integer"),
                       (PrimaryKeyRelatedField, "integer"), (serializers.FloatField, "number"),
                       (serializers.DecimalField, "number"), (serializers.DateTimeField, "datetime"),
                       (serializers.DateField, "date")]:
        if isinstance(field, kind):
            return name
    return "string"


def table_schema(serializer) -> dict:
    """A Table Schema for the CSV columns of a serializer (renderers.columns_of)."""
    fields = {}
    for name, field in serializer.fields.items():
        brief = getattr(field, "brief", None)
        field = brief() if brief is not None else field
        if isinstance(field, serializers.Serializer):
            fields.update({f"{name}.{child_name}": child for child_name, child in field.fields.items()})
        else:
            fields[name] = field
    described = []
    for column in columns_of(serializer):
        field = fields.get(column)
        entry = {"name": column, "type": type_of(field) if field is not None else "string"}
        if field is not None and field.help_text:
            entry["description"] = str(field.help_text)
        described.append(entry)
    return {"fields": described, "primaryKey": ["id"]}


def write_table(directory: Path, stem: str, viewset_class, request) -> tuple[int, dict]:
    """<stem>.json (an array, one record a line) and <stem>.csv (the API's CSV columns):
    (records written, Table Schema of the CSV)."""
    serializer, rows = records(viewset_class, request)
    columns = columns_of(serializer)
    count = 0
    with (directory / f"{stem}.json").open("w", encoding="utf-8") as out_json, \
            (directory / f"{stem}.csv").open("w", encoding="utf-8", newline="") as out_csv:
        writer = csv.writer(out_csv)
        writer.writerow(columns)
        out_json.write("[")
        for data in rows:
            out_json.write(",\n" if count else "\n")
            out_json.write(json.dumps(data, cls=JSONEncoder, ensure_ascii=False))
            writer.writerow(row_of(data, columns))  # formula cells quoted, as the API does (csv_safe)
            count += 1
        out_json.write("\n]\n")
    return count, table_schema(serializer)


def sql_value(text: str, kind: str):
    if text == "":
        return None
    text = uncell(text)  # the database holds the value, not the spreadsheet's guard
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    if kind == "boolean":
        return int(text == "true")
    return text  # many values stay a JSON array, as text (SQLite's json_each reads it)


def write_sqlite(directory: Path, schemas: dict) -> None:
    """defections.sqlite: one table per CSV, its columns, `id` the primary key (Datasette opens it)."""
    def quoted(name):
        return '"' + name.replace('"', '""') + '"'

    database = sqlite3.connect(directory / SQLITE)
    try:
        for stem, schema in schemas.items():
            kinds = [field["type"] for field in schema["fields"]]
            names = [field["name"] for field in schema["fields"]]
            columns = ", ".join(f"{quoted(name)} {SQL_TYPES.get(kind, 'TEXT')}"
                                + (" PRIMARY KEY" if name == "id" else "")
                                for name, kind in zip(names, kinds, strict=True))
            database.execute(f"CREATE TABLE {quoted(stem)} ({columns})")
            with (directory / f"{stem}.csv").open(encoding="utf-8", newline="") as file:
                reader = csv.reader(file)
                next(reader)
                insert = (f"INSERT INTO {quoted(stem)} VALUES ({', '.join('?' * len(names))})")
                database.executemany(insert, ([sql_value(text, kind) for text, kind
                                               in zip(row, kinds, strict=True)] for row in reader))
        database.commit()
    finally:
        database.close()


def file_entry(directory: Path, name: str, records=None) -> dict:
    path = directory / name
    return {"path": name, "media_type": MEDIA_TYPES[path.suffix], "records": records,
            "bytes": path.stat().st_size, "sha256": sha256(path)}


def datapackage(manifest: dict, schemas: dict, directory: Path) -> dict:
    """The Frictionless Data Package describing the release's CSV files."""
    licence, who = publisher.DATA_LICENCE, manifest["publisher"]
    resources = []
    for stem, schema in schemas.items():
        entry = file_entry(directory, f"{stem}.csv")
        resources.append({
            "name": stem, "path": entry["path"], "profile": "tabular-data-resource",
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8",
            "hash": f"sha256:{entry['sha256']}", "bytes": entry["bytes"], "schema": schema,
        })
    contributor = {"title": who["name"], "role": "publisher"}
    if who["url"]:
        contributor["path"] = who["url"]
    if who["contact_email"]:
        contributor["email"] = who["contact_email"]
    return {
        "profile": "tabular-data-package",
        "name": "defection-case-database",
        "title": manifest["title"],
        "description": publisher.statement(),
        "version": manifest["version"],
        "homepage": manifest["base_url"] + "/data/",
        "created": manifest["created_at"],
        "licenses": [{"name": licence["id"], "path": licence["url"], "title": licence["name"]}],
        "contributors": [contributor],
        "resources": resources,
    }


def readme(manifest: dict) -> str:
    lines = [f"{manifest['title']}, release {manifest['version']} ({manifest['created_at']})", "",
             publisher.statement(), "",
             f"Source: {manifest['base_url']}/ (the public data, as the anonymous API shows it).",
             "Records: " + ", ".join(f"{n} {stem}" for stem, n in manifest["counts"].items()) + ".", "",
             "Files: <table>.json and <table>.csv for each table, defections.sqlite (one table per",
             "CSV file; Datasette opens it as it is), datapackage.json (Frictionless Data Package:",
             "the CSV columns and their types), CHANGES.md (what changed since the previous release)",
             "and manifest.json (every file's size and SHA-256 checksum).",
             "Columns holding several values are JSON arrays in CSV and SQLite.",
             "Texts written in English and Russian have the English in the column itself and the",
             "Russian beside it, with _ru added to the name (summary, summary_ru).", ""]
    return "\n".join(lines)


def licence_text() -> str:
    licence = publisher.DATA_LICENCE
    return (f"{publisher.statement()}\n\nLicence: {licence['name']} ({licence['id']})\n"
            f"{licence['url']}\nLegal code: {licence['url']}legalcode\n")


@translation.override("en")
def export(directory, version: str, base_url: str = "http://localhost:8000", previous=None) -> dict:
    """Write the release into directory, with its changes since the release in the folder
    `previous` (None: a first release); return its manifest (also written as manifest.json).

    In English whoever asks (a release is one set of files): its dates as written in English
    and its descriptions; the Russian texts are in their own _ru columns."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    request = anonymous_request(base_url)
    created = datetime.now(UTC).replace(microsecond=0)
    counts, schemas = {}, {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # one snapshot for every file, so that they agree with each other
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for stem, viewset_class in TABLES.items():
            counts[stem], schemas[stem] = write_table(directory, stem, viewset_class, request)
        write_sqlite(directory, schemas)
        # what is hidden inside the released records, in the same snapshot: hiding more later
        # withdraws the release (releases.withdrawn)
        guarded = releases.guarded(releases.released_ids(directory))
    manifest = {
        "version": version,
        "title": publisher.TITLE,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "base_url": base_url.rstrip("/"),
        "licence": publisher.DATA_LICENCE,
        "publisher": publisher.publisher(),
        "counts": counts,
        "previous_version": previous.name if previous else None,
        "changes": changelog.compare(previous, directory, TABLES) if previous else {},
    }
    # kept beside the release, never served (it names who is at risk): see releases.withdrawn
    (directory / releases.GUARDED).write_text(json.dumps(guarded) + "\n", encoding="utf-8")
    texts = {"CHANGES.md": changelog.markdown(manifest), "README.txt": readme(manifest),
             "LICENCE.txt": licence_text()}
    for name, text in texts.items():
        (directory / name).write_text(text, encoding="utf-8")
    package = datapackage(manifest, schemas, directory)
    (directory / "datapackage.json").write_text(json.dumps(package, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    files = [file_entry(directory, f"{stem}.{suffix}", counts[stem])
             for stem in TABLES for suffix in ("json", "csv")]
    files += [file_entry(directory, name) for name in [SQLITE, "datapackage.json", *texts]]
    manifest["files"] = files
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return manifest


def publish(version: str | None = None, base_url: str | None = None) -> dict:
    """A numbered release in settings.RELEASES_DIR/<version>/ (default: the next version),
    written to a temporary folder and renamed into place, so a failed run leaves nothing."""
    version = version or releases.next_version()
    if not releases.VERSION.match(version):
        raise ValueError(f"{version!r} is not a version such as 1.0 or 1.1")
    root = releases.root()
    target = root / version
    if target.exists():
        raise FileExistsError(f"Release {version} exists already ({target}); releases never change.")
    latest = releases.latest()
    if latest and releases.key(version) <= releases.key(latest["version"]):
        raise ValueError(f"Release {version} would come before the latest, {latest['version']}: "
                         "versions go up.")
    root.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=root))
    try:
        manifest = export(temporary, version, base_url or settings.SITE_URL,
                          previous=root / latest["version"] if latest else None)
        temporary.chmod(0o755)  # mkdtemp's folder is private; a release is for everyone
        temporary.rename(target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    cache.bump_version()  # case pages cite the latest release's version
    return manifest
