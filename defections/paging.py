"""A page of a list, read in two steps: the ids of the page, then its rows.

The ordering, the offset and the filters run on the narrowest rows there are (for
published cases an index-only scan of `case_published_date`, which carries the
columns the usual filters test), so a deep page skips index entries instead of whole
joined rows; the joins and prefetches a list shows then run for one page only.
"""


def ids_of(queryset):
    """The ordered, filtered ids of queryset (what is fetched with them is left out)."""
    return queryset.select_related(None).prefetch_related(None).values_list("pk", flat=True)


def rows_of(ids, rows) -> list:
    """The objects of `rows` (a queryset saying what to fetch) with these ids, in their order."""
    ids = list(ids)
    found = rows.in_bulk(ids) if ids else {}
    return [found[pk] for pk in ids if pk in found]
