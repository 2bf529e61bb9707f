"""JSON bodies, refused with a 400 when nothing after the parser could hold them.

Python's json module reads things that break later, as 500s: lone surrogates ("\\ud800",
which PostgreSQL and UTF-8 cannot store or echo back), numbers beyond a float (1e999 is
inf) and nesting deeper than the interpreter's stack. This parser also bounds the body by
Django's DATA_UPLOAD_MAX_MEMORY_SIZE itself: DRF reads a JSONParser's body through
request.body, whose own check answers a plain, non-JSON 400.
"""

import json
import math
import re

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import renderers
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser, get_encoding

MAX_DEPTH = 32
SURROGATE = re.compile("[\ud800-\udfff]")  # a pair in the JSON text is read as one character
NOT_FINITE = _("Not a finite number.")
NOT_UNICODE = _("Not valid Unicode (a lone surrogate such as \\ud800).")


class NotFinite:
    """Stands for NaN, Infinity or a number too large for a float until the check names its field."""


def not_finite(text):
    return NotFinite()


def as_float(text):
    number = float(text)
    return number if math.isfinite(number) else NotFinite()


def too_deep() -> str:
    return gettext("JSON nested deeper than %(levels)s levels.") % {"levels": MAX_DEPTH}


def problems(data) -> dict:
    """{top-level field (or None): message} for what cannot be stored; ParseError when too deep."""
    found = {}
    stack = [(data, 1, None)]  # depth: how many objects and arrays hold this value, and itself
    while stack:
        value, depth, field = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise ParseError(too_deep())
        if isinstance(value, NotFinite):
            found.setdefault(field, str(NOT_FINITE))
        elif isinstance(value, str):
            if SURROGATE.search(value):
                found.setdefault(field, str(NOT_UNICODE))
        elif isinstance(value, dict):
            for key, item in value.items():
                if SURROGATE.search(key):
                    found.setdefault(field, str(NOT_UNICODE))
                    continue
                stack.append((item, depth + 1, key if depth == 1 else field))
        elif isinstance(value, list):
            stack.extend((item, depth + 1, field) for item in value)
    return found


class JSONParser(BaseParser):
    media_type = "application/json"
    renderer_class = renderers.JSONRenderer

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise ParseError(gettext("The request body is larger than %(limit)s bytes.") % {"limit": limit})
        try:
            data = json.loads(body.decode(encoding), parse_float=as_float, parse_constant=not_finite)
        except RecursionError as error:
            raise ParseError(too_deep()) from error
        except ValueError as error:  # UnicodeDecodeError and JSONDecodeError too
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": error}) from error
        found = problems(data)
        if None in found:
            raise ParseError(found[None])
        if found:
            raise ValidationError({field: [message] for field, message in found.items()})
        return data
