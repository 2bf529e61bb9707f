"""Counts for the timeline and /api/v1/stats/, over any (already filtered) case queryset.

A case counts in the year its date starts; undated cases are counted apart. Each count is
remembered under the data version (defections/cache.py): a full aggregate is recomputed
only after a write.
"""

from django.db.models import Count
from django.db.models.functions import ExtractYear

from defections.cache import remember, sql_of
from defections.choices import Form
from defections.models import Agency, Period


def by_year_and_form(cases) -> list[dict]:
    """[{"year": 2022, "articulated": 2, "final": 0, "geographic": 3, "total": 5}, …], by year."""
    return remember("by_year_and_form", sql_of(cases), lambda: _by_year_and_form(cases))


def _by_year_and_form(cases) -> list[dict]:
    rows = (cases.filter(date_start__isnull=False).order_by()
            .values_list(ExtractYear("date_start"), "form").annotate(n=Count("pk")))
    years: dict[int, dict] = {}
    for year, form, n in rows:
        entry = years.setdefault(year, {"year": year, **{f: 0 for f in Form.values}, "total": 0})
        entry[form] += n
        entry["total"] += n
    return [years[y] for y in sorted(years)]


def by_agency(cases) -> list[dict]:
    """Cases per agency (direct, not rolled up), most first; cases with no agency under None."""
    return remember("by_agency", sql_of(cases), lambda: _by_agency(cases))


def _by_agency(cases) -> list[dict]:
    counts = dict(cases.order_by().values_list("agency_id").annotate(n=Count("pk")))
    agencies = Agency.objects.in_bulk([pk for pk in counts if pk is not None])
    rows = [{"agency": agencies[pk], "count": n} for pk, n in counts.items() if pk is not None]
    rows.sort(key=lambda row: (-row["count"], row["agency"].name))
    if None in counts:
        rows.append({"agency": None, "count": counts[None]})
    return rows


def by_period(cases) -> list[dict]:
    """Cases per period of instability, in time order, then those outside any period."""
    return remember("by_period", sql_of(cases), lambda: _by_period(cases))


def _by_period(cases) -> list[dict]:
    counts = dict(cases.order_by().values_list("period_id").annotate(n=Count("pk")))
    rows = [{"period": p, "count": counts.get(p.pk, 0)} for p in Period.objects.all()]
    rows.append({"period": None, "count": counts.get(None, 0)})
    return rows


def undated(cases) -> int:
    undated = cases.filter(date_start__isnull=True)
    return remember("undated", sql_of(undated), undated.count)
