"""A page of a list, read in two steps: the ids of the page, then its rows.

The ordering, the offset and the filters run on the narrowest rows there are (for
published cases an index-only scan of `case_published_date`, which carries the
columns the usual filters test), so a deep page skips index entries instead of whole
joined rows; the joins and prefetches a list shows then run for one page only.

The public case lists are ordered by the *shown* start, which no index holds (a withholding
lapses by date, with no write). The door splits such a queryset into parts that each read
in order from an index (`visibility.shown_start_parts`); a page's ids are the merge of the
first `offset + size` of each part (`UNION ALL`, each part `LIMIT`ed), so the first page
reads a page of the index however many cases are published.
"""

from django.db import connections
from django.db.models.sql.constants import LOUTER

from defections import visibility


def ids_of(queryset):
    """The ordered, filtered ids of queryset (what is fetched with them is left out), to be
    sliced: a page of them is read as it is sliced."""
    ids = unjoined(queryset.select_related(None).prefetch_related(None).values_list("pk", flat=True))
    parts = visibility.shown_start_parts(ids)
    return ids if parts is None else MergedIds(ids, parts)


def unjoined(queryset):
    """queryset without the outer joins to at most one row (a foreign key's target) that
    nothing in it reads. An `alias()` through a relation (the shown period's slug) joins
    even when unused, and PostgreSQL, which drops the join, still reads the table's rows
    for it instead of the index alone (an index scan where an index-only one would do)."""
    queryset = queryset._chain()  # with a copy of the query, to change
    query = queryset.query
    connection = connections[queryset.db]
    for alias, join in list(query.alias_map.items()):
        field = getattr(join, "join_field", None)
        if (getattr(join, "join_type", None) != LOUTER or not query.alias_refcount.get(alias)
                or not (field.many_to_one or field.one_to_one) or field.auto_created):
            continue
        kept, query.alias_refcount[alias] = query.alias_refcount[alias], 0
        sql, _ = query.get_compiler(connection=connection).as_sql()
        if f"{connection.ops.quote_name(alias)}." in sql:
            query.alias_refcount[alias] = kept  # read after all
    return queryset


class MergedIds:
    """The ids of a queryset ordered by its shown start, read as the merge of its parts."""

    def __init__(self, ids, parts):
        self.ids, self.parts = ids, parts
        self.descending = ids.query.order_by[0].startswith("-")

    def __getitem__(self, key):
        if not isinstance(key, slice) or key.stop is None or key.step is not None:
            return self.ids[key]  # one id, or an open end: the plain query
        start, stop = key.start or 0, key.stop
        if stop <= start:
            return []
        key_order = "-shown_key" if self.descending else "shown_key"
        selects = [part.annotate(shown_key=expression).values_list("pk", "shown_key")
                   .order_by(expression.desc() if self.descending else expression.asc(), "pk")[:stop]
                   for part, expression in self.parts]
        merged = selects[0].union(*selects[1:], all=True).order_by(key_order, "pk")
        return Ids(merged[start:stop])

    def __iter__(self):
        return iter(self.ids)

    def count(self) -> int:
        return self.ids.count()


class Ids:
    """The first column of a queryset's rows (the ids of (id, key) rows), iterable as a
    queryset is: at once, or in chunks from a server-side cursor."""

    def __init__(self, rows):
        self.rows = rows

    def __iter__(self):
        return (row[0] for row in self.rows)

    def __len__(self):
        return len(self.rows)

    def iterator(self, chunk_size=None):
        return (row[0] for row in self.rows.iterator(chunk_size=chunk_size))


def rows_of(ids, rows) -> list:
    """The objects of `rows` (a queryset saying what to fetch) with these ids, in their order."""
    ids = list(ids)
    found = rows.in_bulk(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found]
