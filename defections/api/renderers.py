"""CSV: a header row, one row per record; nested objects become `parent.child` columns, and
a many-valued field (motives, aliases, citations) is one cell holding a JSON array
(`["a","b"]`), which splits unambiguously whatever commas its values hold: Frictionless
Table Schema's `array` type. Lists stream (see views.CSVListMixin)."""

import csv
import io
import json
from functools import lru_cache

from rest_framework import renderers, serializers
from rest_framework.renderers import BaseRenderer
from rest_framework.utils.encoders import JSONEncoder

from defections.csv_safe import cell

# One encoder for every cell: making one per call was a tenth of a large export's time.
CELL_JSON = JSONEncoder(ensure_ascii=False, separators=(",", ":"))


class Written(str):
    """A record's JSON text as PostgreSQL wrote it (defections/json_lines.py)."""


class JSONRenderer(renderers.JSONRenderer):
    """DRF's JSON, and a page whose records are Written put in as they are: encoding them
    again would cost what writing them in PostgreSQL saved."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        results = data.get("results") if isinstance(data, dict) else None
        if not results or not all(isinstance(record, Written) for record in results):
            return super().render(data, accepted_media_type, renderer_context)
        if (self.get_indent(accepted_media_type, renderer_context or {}) or not self.compact
                or self.ensure_ascii or list(data)[-1] != "results"):
            parsed = {**data, "results": [json.loads(record) for record in results]}
            return super().render(parsed, accepted_media_type, renderer_context)
        head = super().render({key: value for key, value in data.items() if key != "results"},
                              accepted_media_type, renderer_context)
        return b"".join([head[:-1], b',"results":[', ",".join(results).encode(), b"]}"])


def as_text(value) -> str:
    """A value as one CSV cell: a list (or an object) as JSON, anything else as itself."""
    if value.__class__ is str:
        return value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return CELL_JSON.encode(value)
    return str(value)


def columns_of(serializer) -> list[str]:
    """The CSV header for a serializer: a nested object's fields as `name.field`."""
    columns = []
    hidden = serializer.hidden_columns() if hasattr(serializer, "hidden_columns") else set()
    for name, field in serializer.fields.items():
        if name in hidden:
            continue
        brief = getattr(field, "brief", None)
        if brief is not None:
            field = brief()
        if isinstance(field, serializers.Serializer):
            columns += [f"{name}.{child}" for child in field.fields]
        else:
            columns.append(name)
    return columns


@lru_cache(maxsize=64)
def _parts(columns: tuple) -> tuple:
    return tuple(column.partition(".")[::2] for column in columns)


def row_of(data: dict, columns: list[str]) -> list[str]:
    """One record's cells, none of them a formula (csv_safe): every CSV we serve or release."""
    row = []
    for name, child in _parts(tuple(columns)):
        value = data.get(name)
        if child:
            value = value.get(child) if isinstance(value, dict) else None
        row.append(cell(as_text(value)))
    return row


class Echo:
    """A file-like object that hands back what is written: csv.writer into a stream."""

    def write(self, value):
        return value


class CSVRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        records = data.get("results", data) if isinstance(data, dict) else data
        if isinstance(records, dict):
            records = [records]
        view = (renderer_context or {}).get("view")
        if view is not None and hasattr(view, "get_serializer"):
            columns = columns_of(view.get_serializer())
        else:
            columns = list(records[0]) if records else []
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(row_of(record, columns) for record in records)
        return out.getvalue().encode(self.charset)
