"""A record's id as a URL, a form, a file or a query string gives it."""

import re

ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only: "²".isdigit() is True, int("²") fails


def parse_id(text) -> int | None:
    """The id written in text, or None when it is no id (or beyond PostgreSQL's bigint)."""
    text = str(text)
    if not ID.fullmatch(text) or int(text) >= 2**63:
        return None
    return int(text)
