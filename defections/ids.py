"""A record's id as a URL, a form, a file or a query string gives it; many ids as one
query parameter."""

import re

from django.db.models import Lookup

ID = re.compile(r"[0-9]{1,19}")  # ASCII digits only: "²".isdigit() is True, int("²") fails


def parse_id(text) -> int | None:
    """The id written in text, or None when it is no id (or beyond PostgreSQL's bigint)."""
    text = str(text)
    if not ID.fullmatch(text) or int(text) >= 2**63:
        return None
    return int(text)


class InArray(Lookup):
    """`lhs = ANY(%s)`: a list as one array parameter, compiled at once whatever its length
    (`pk__in=ids` compiles a placeholder per id, every time the query is compiled).

    A subquery (an expression) instead of a list is read as an array, `lhs = ANY(ARRAY(…))`:
    computed once, then probed like a list, so the planner can look its values up in an index
    of lhs (`IN (…)` joins it, after reading every row the other conditions keep)."""

    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        if hasattr(self.rhs, "as_sql"):
            rhs, rhs_params = self.process_rhs(compiler, connection)  # "(…)"
            return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))
