"""The one year rule: a case counts in every year its (shown) date touches, so that each bar
of the timeline, followed, lists exactly the cases it counts, the stats API agrees with the
chart, and a year with no bar lists nothing. Checked on generated data: dates of every
precision and span, drafts, at-risk people (shown by their start year alone) and withheld
dates (undated to the public), on the home page, on filtered lists and on /analysis/,
whose placing of each case in or outside the periods is read again here from the dates."""

import html
import re
from datetime import date
from urllib.parse import urlencode

from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import QueryDict
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from defections import withholding
from defections.choices import Form
from defections.filtersets import CaseFilterSet
from defections.models import Case, Period, Withholding
from tests.factories import CaseFactory, PersonFactory

BAR = re.compile(r'<a href="([^"]+)" class="bar" aria-label="(\d{4}): (\d+) cases? \(([^)]*)\)')
COUNT = re.compile(r'<h2 id="results-heading"[^>]*>(\d+) cases?')

DATES = st.one_of(
    st.builds(str, st.integers(1930, 2026)),                                   # a year
    st.builds(lambda y, k: f"{y}–{y + k}", st.integers(1930, 2020), st.integers(1, 6)),
    st.builds(lambda m, y: f"{m} {y}", st.sampled_from(["March", "December"]),
              st.integers(1930, 2026)),
    st.builds(lambda d: f"{d}0s", st.integers(193, 201)),                      # a decade
    st.just(""),                                                               # undated
)
CASES = st.lists(st.tuples(DATES, st.sampled_from(Form.values),
                           st.sampled_from(["plain", "plain", "at_risk", "withheld", "draft"])),
                 min_size=1, max_size=10)
FILTERS = st.sampled_from([{}, {"form": "final"}, {"year_min": "1990"},
                           {"year_min": "1950", "year_max": "2000"}, {"year_max": "1945"}])


def make(specs):
    for slug, start, end in [("purge", date(1936, 1, 1), date(1938, 12, 31)),
                             ("barbarossa", date(1941, 6, 22), date(1942, 12, 31)),
                             ("war", date(2022, 2, 24), None)]:
        Period.objects.create(slug=slug, name=slug.title(), start=start, end=end)
    for text, form, kind in specs:
        person = PersonFactory(at_risk=kind == "at_risk")
        case = CaseFactory(person=person, form=form, date=text,
                           status="draft" if kind == "draft" else "published")
        if kind == "withheld":
            Withholding.objects.create(case=case, field="date", reason="Generated.")


def listed(client, url):
    page = client.get(url).content.decode()
    return int(COUNT.search(page).group(1))


@settings(max_examples=12, deadline=None, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=CASES, filters=FILTERS)
def test_every_bar_lists_exactly_the_cases_it_counts(client, db, specs, filters):
    cache.clear()
    with transaction.atomic():
        make(specs)
        query = "&".join(f"{k}={v}" for k, v in filters.items())
        page = client.get(f"/cases/?{query}" if query else "/").content.decode()
        chart = page[page.index("<svg"):page.index("</svg>")]
        bars = {int(year): (html.unescape(href), int(total), parts)
                for href, year, total, parts in BAR.findall(chart)}
        first, last = (int(y) for y in re.search(r"Cases per year, (\d{4})–(\d{4})", page).groups())
        stats = client.get("/api/v1/stats/", filters).json()["by_year_and_form"]
        assert {row["year"]: row["total"] for row in stats if first <= row["year"] <= last} \
            == {year: total for year, (_, total, _) in bars.items()}
        visible = Case.objects.visible_to(None)
        for year in range(first, last + 1):
            asked = {**filters, "year_min": str(year), "year_max": str(year)}
            if year in bars:
                href, total, parts = bars[year]
                assert listed(client, href) == total, (year, href)
                by_form = dict((form, int(n)) for n, form in re.findall(r"(\d+) (\w+)", parts)
                               if form in Form.values)
                for form in Form.values if "form" not in filters else ():
                    assert CaseFilterSet(QueryDict(urlencode({**asked, "form": form})),
                                         queryset=visible).qs.count() \
                        == by_form.get(form, 0), (year, form)
            else:  # no bar: nothing listed for the year
                assert CaseFilterSet(QueryDict(urlencode(asked)), queryset=visible).qs.count() == 0, year
            for bound in ("year_min", "year_max"):
                if bound in filters:  # the axis is the years asked for, no bar outside them
                    assert (first if bound == "year_min" else last) == int(filters[bound])
        # The analysis page draws the same bars over its window, and places the cases as a
        # reading of their shown dates says it should.
        page = client.get(f"/analysis/?{query}").content.decode()
        chart = page[page.index("<svg"):page.index("</svg>")]
        first, last = (int(y) for y in re.search(r"Cases per year, (\d{4})–(\d{4})", page).groups())
        assert {int(year): int(total) for _, year, total, _ in BAR.findall(chart)} \
            == {row["year"]: row["total"] for row in stats if first <= row["year"] <= last}
        result = client.get("/api/v1/analysis/", filters).json()
        period_years = {y for p in Period.objects.all()
                        for y in range(p.start.year, (p.end or withholding.today()).year + 1)}
        placed = {"in": 0, "out": 0, "imprecise": 0, "undated": 0, "outside window": 0}
        chosen = CaseFilterSet(QueryDict(urlencode(filters)), queryset=visible).qs
        for start, end in chosen.annotate(s=F("shown_start"), e=F("shown_end")).values_list("s", "e"):
            if start is None:
                placed["undated"] += 1
                continue
            years = set(range(max(start.year, first), min(end.year, last) + 1))
            placed["outside window" if not years else "in" if years <= period_years
                   else "out" if not years & period_years else "imprecise"] += 1
        r = result["overall"]
        assert placed == {"in": r["in_periods"], "out": r["outside"], "imprecise": r["imprecise"],
                          "undated": result["undated"], "outside window": result["outside_window"]}
        transaction.set_rollback(True)
