"""Counts for the timeline, /api/v1/stats/ and the analysis, over any (already filtered)
case queryset.

The year rule, one for every count: a case belongs to every calendar year its date (as
the reader is shown it) touches. The list's year filter keeps the cases whose date overlaps
the years asked for, so a year's bar counts exactly the cases that filter lists: a case
dated "2022–2026" is in five bars and once in the total. An at-risk person's case is
shown by its start year alone, so it counts in that year; undated cases are
counted apart. An at-risk person's case counts by no agency and no period: its agency is
hidden, and its period is derived from its hidden whole date (as the period filter and
facet never list it either). A case whose date is withheld counts as undated, in no
period. The callers keep what they build from these counts (defections/cache.py), so
nothing here is cached.
"""

from collections import Counter, defaultdict

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import BooleanField, Count, ExpressionWrapper, F, Value
from django.db.models.functions import ExtractYear

from defections.choices import Form
from defections.models import Agency, Period


def grouped_over(queryset) -> tuple[str, tuple] | None:
    """What a grouping reads a queryset from, `(its SQL OFFSET 0)`, and its parameters; None
    when it can match nothing (`.none()` compiles to no SQL). The fence: the planner cannot
    tell how many groups the door's shown expressions make (`CASE`s over subplans: it reckons
    one per row), so it sorts every row to group them, in parallel workers and again after
    gathering them all; over the fenced subquery it assumes fewer and hashes them in one
    pass. At 1,000,000 cases the stats 1.9 → 0.9 s, a list's grouped facets 1.4 → 0.8 s and
    its chart 0.84 → 0.57 s; the same at 100,000 (bench/README.md, "First reader")."""
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    return f"({sql} OFFSET 0)", params


def year_spans(cases) -> list[tuple[int | None, int | None, str, int]]:
    """[(first year, last year, form, cases), …], the undated under (None, None): what every
    count by year is made from, in one grouped scan (a few hundred rows at any size)."""
    start, end = cases.shown("date_start"), cases.shown("date_end")
    grouped = grouped_over(cases.order_by().values(y0=ExtractYear(start), y1=ExtractYear(end), f=F("form")))
    if grouped is None:
        return []
    source, params = grouped
    with connections[cases.db].cursor() as cursor:
        cursor.execute(f"SELECT y0::int, y1::int, f, COUNT(*) FROM {source} cases GROUP BY 1, 2, 3", params)
        return cursor.fetchall()


def undated_in(spans) -> int:
    """Of year_spans(), the cases with no date the reader is shown (none recorded, or withheld)."""
    return sum(n for low, _, _, n in spans if low is None)


def by_year_and_form(cases, first: int | None = None, last: int | None = None,
                     spans=None) -> list[dict]:
    """[{"year": 2022, "articulated": 2, "final": 0, "geographic": 3, "total": 5,
    "spanning": 1}, …] by year, between `first` and `last` when given: each year's cases
    by the year rule, and how many of them are dated to a span of several years."""
    # A running sum over the years where spans begin and end, not a walk over every year of
    # every span (a few wide spans would make that thousands of steps each).
    change: dict[int, Counter] = defaultdict(Counter)
    for low, high, form, n in year_spans(cases) if spans is None else spans:
        if low is None:
            continue
        start, stop = max(low, first or low), min(high, last or high)
        if start > stop:
            continue
        keys = [form, "total", *(["spanning"] if high > low else [])]
        change[start].update(dict.fromkeys(keys, n))
        change[stop + 1].subtract(dict.fromkeys(keys, n))
    rows, running = [], Counter()
    for year in range(min(change, default=0), max(change, default=0)):
        running.update(change.get(year, {}))
        if running["total"]:
            rows.append({"year": year, **{f: running[f] for f in Form.values},
                         "total": running["total"], "spanning": running["spanning"]})
    return rows


def _shown_where(cases, narrowed):
    """As a boolean column of `cases`: whether a case is also in `narrowed` (its
    details_shown() or known("date")), whose filter is the cases' with the door's conditions
    added (the rule is the door's, not said again here); None if it is not of that shape."""
    before, after = cases.query.where, narrowed.query.where
    kept = after.children[:len(before.children)]
    if after.connector != "AND" or after.negated or (before.children and (
            before.connector != "AND" or before.negated or kept != before.children)):
        return None
    added = after.children[len(before.children):]
    if not added:
        return Value(True)
    return ExpressionWrapper(after.create(added), output_field=BooleanField())


def all_counts(cases) -> tuple[list, dict, dict]:
    """year_spans(), the agency counts by_agency() reads and period_counts(), in one scan of
    the cases (GROUP BY GROUPING SETS, as facets.grouped_counts): the same numbers as three
    scans, each set counting only the cases its own rule lets it count (None: count apart)."""
    cases = cases.order_by()
    shown, known = _shown_where(cases, cases.details_shown()), _shown_where(cases, cases.known("date"))
    if shown is None or known is None:  # three scans, as before
        return year_spans(cases), None, None
    start, end = cases.shown("date_start"), cases.shown("date_end")
    inner = cases.values(y0=ExtractYear(start), y1=ExtractYear(end), f=F("form"),
                         a=F("agency_id"), p=F("period_id"), shown=shown, known=known)
    grouped = grouped_over(inner)
    if grouped is None:
        return [], {}, {}
    source, params = grouped
    with connections[cases.db].cursor() as cursor:
        cursor.execute(
            "SELECT y0::int, y1::int, f, a, p, GROUPING(y0, y1, f), GROUPING(a), COUNT(*), "
            "COUNT(*) FILTER (WHERE shown), COUNT(*) FILTER (WHERE known) "
            f"FROM {source} cases GROUP BY GROUPING SETS ((y0, y1, f), (a), (p))", params)
        rows = cursor.fetchall()
    spans, agencies, periods = [], {}, {}
    for y0, y1, form, agency, period, by_years, by_agency_, n, shown, known in rows:
        if by_years == 0:
            spans.append((y0, y1, form, n))
        elif by_agency_ == 0:
            if shown:
                agencies[agency] = shown
        elif known:
            periods[period] = known
    return spans, agencies, periods


def by_agency(cases, counts: dict | None = None) -> list[dict]:
    """Cases per agency (direct, not rolled up), most first; cases with no agency under None.
    `counts` when all_counts() gave them."""
    if counts is None:
        counts = dict(cases.details_shown().order_by().values_list("agency_id").annotate(n=Count("pk")))
    agencies = Agency.objects.in_bulk([pk for pk in counts if pk is not None])
    rows = [{"agency": agencies[pk], "count": n} for pk, n in counts.items() if pk is not None]
    rows.sort(key=lambda row: (-row["count"], row["agency"].name))
    if None in counts:
        rows.append({"agency": None, "count": counts[None]})
    return rows


def period_counts(cases) -> dict:
    """{period id or None: cases}, of the cases whose period the reader may know."""
    return dict(cases.known("date").order_by().values_list("period_id").annotate(n=Count("pk")))


def by_period(cases, counts: dict | None = None) -> list[dict]:
    """Cases per period of instability, in time order, then those outside any period.
    `counts` when all_counts() gave them."""
    counts = period_counts(cases) if counts is None else counts
    rows = [{"period": p, "count": counts.get(p.pk, 0)} for p in Period.objects.all()]
    rows.append({"period": None, "count": counts.get(None, 0)})
    return rows
