"""Counts for the timeline and /api/v1/stats/, over any (already filtered) case queryset.

A case counts in the year its date starts (the year shown of an at-risk person's case
too); undated cases are counted apart. An at-risk person's case counts by no agency and no
period: its agency is hidden, and its period is derived from its hidden whole date (as
the period filter and facet never list it either). A case whose date is withheld counts as
undated, in no period. The callers keep what they build from
these counts (defections/cache.py), so nothing here is cached.
"""

from django.db.models import Count
from django.db.models.functions import ExtractYear

from defections.choices import Form
from defections.models import Agency, Period


def by_year_and_form(cases) -> list[dict]:
    """[{"year": 2022, "articulated": 2, "final": 0, "geographic": 3, "total": 5}, …], by year."""
    start = cases.shown("date_start")
    rows = (cases.filter(**{f"{start}__isnull": False}).order_by()
            .values_list(ExtractYear(start), "form").annotate(n=Count("pk")))
    years: dict[int, dict] = {}
    for year, form, n in rows:
        entry = years.setdefault(year, {"year": year, **{f: 0 for f in Form.values}, "total": 0})
        entry[form] += n
        entry["total"] += n
    return [years[y] for y in sorted(years)]


def by_agency(cases) -> list[dict]:
    """Cases per agency (direct, not rolled up), most first; cases with no agency under None."""
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


def by_period(cases) -> list[dict]:
    """Cases per period of instability, in time order, then those outside any period."""
    counts = period_counts(cases)
    rows = [{"period": p, "count": counts.get(p.pk, 0)} for p in Period.objects.all()]
    rows.append({"period": None, "count": counts.get(None, 0)})
    return rows


def undated(cases) -> int:
    """Cases with no date the reader is shown (none recorded, or withheld)."""
    return cases.filter(**{f"{cases.shown('date_start')}__isnull": True}).count()
