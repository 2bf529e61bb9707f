"""The open-data release: the public data as JSON and CSV files with a manifest of checksums.

Each file is what the anonymous API shows, record for record: the records come from the
API's own viewsets (queryset, visibility, at-risk rule) and serializers under an anonymous
request, so nothing private can reach a file that the API would not show. Records are
read with a server-side cursor and written one by one, so memory stays flat at any size.
"""

import csv
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.test import RequestFactory
from rest_framework.request import Request
from rest_framework.utils.encoders import JSONEncoder

from defections.api import views
from defections.api.renderers import columns_of, row_of

TABLES = {  # file stem: the API viewset that serves it
    "cases": views.CaseViewSet,
    "people": views.PersonViewSet,
    "agencies": views.AgencyViewSet,
    "sources": views.SourceViewSet,
    "periods": views.PeriodViewSet,
}
CHUNK_SIZE = 1000


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


def write_table(directory: Path, stem: str, viewset_class, request) -> int:
    """<stem>.json (an array, one record a line) and <stem>.csv (the API's CSV columns)."""
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
    return count


def export(directory, version: str, base_url: str = "http://localhost:8000") -> dict:
    """Write the release into directory; return its manifest (also written as manifest.json)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    request = anonymous_request(base_url)
    created = datetime.now(UTC).replace(microsecond=0)
    counts = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost:  # one snapshot for every file, so that they agree with each other
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for stem, viewset_class in TABLES.items():
            counts[stem] = write_table(directory, stem, viewset_class, request)
    files = []
    for stem in TABLES:
        for suffix, media_type in [("json", "application/json"), ("csv", "text/csv")]:
            path = directory / f"{stem}.{suffix}"
            files.append({"path": path.name, "media_type": media_type, "records": counts[stem],
                          "bytes": path.stat().st_size, "sha256": sha256(path)})
    manifest = {
        "name": "The defection case database: public data",
        "version": version,
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "base_url": base_url,
        "counts": counts,
        "files": files,
    }
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                             encoding="utf-8")
    return manifest
