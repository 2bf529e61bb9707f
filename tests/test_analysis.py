"""The clustering test (defections/analysis.py), its page and its API: known numbers, the
verdicts that give no ratio, what is left out, and the page and the API agreeing."""

import html
import re
from datetime import date

import pytest
import time_machine
from django.utils import translation

from defections import analysis
from defections.models import Case, Period, Withholding
from tests.factories import CaseFactory, PersonFactory


@pytest.fixture
def periods(db):
    """Two periods, 1936–1938 and 2022 onwards: 3 + 5 = 8 period years of 1917–2026 (110)."""
    Period.objects.all().delete()
    Period.objects.create(slug="purge", name="Purge", start=date(1936, 1, 1), end=date(1938, 12, 31))
    Period.objects.create(slug="war", name="War", start=date(2022, 2, 24))
    with time_machine.travel(date(2026, 6, 1), tick=False):
        yield


def cases(*dates, form="geographic", **kwargs):
    return [CaseFactory(date=text, form=form, **kwargs) for text in dates]


def public():
    return analysis.analyse(Case.objects.visible_to(None))


def test_known_numbers(periods):
    # 15 of 20 cases in the periods: the exact interval of 15/20 is 0.5089541–0.9134285 (as R's
    # binom.test gives it), so the ratio's interval is p/(1-p) · 102/8 at either end.
    cases(*["1937"] * 5, *["2023"] * 10, *["1950", "1960", "1970", "1980", "2000"])
    a = public()
    r = a.overall
    assert (a.first, a.last, a.years, a.period_years) == (1917, 2026, 110, 8)
    assert (r.placed, r.in_periods, r.outside, r.imprecise) == (20, 15, 5, 0)
    assert r.rate_in == pytest.approx(15 / 8) and r.rate_out == pytest.approx(5 / 102)
    assert r.ratio == pytest.approx((15 / 8) / (5 / 102))
    assert r.ci_low == pytest.approx(0.5089541 / (1 - 0.5089541) * 102 / 8, rel=1e-6)
    assert r.ci_high == pytest.approx(0.9134285 / (1 - 0.9134285) * 102 / 8, rel=1e-6)
    assert 0 < r.p_value < 1e-6
    assert r.shifts == 110 and 0 < r.shift_p_value < 0.1
    assert r.verdict == "estimated"
    assert a.sentence == ("Of 20 dated cases, 15 fall in periods of instability covering 7% of the "
                          "years since 1917: 38 times the rate outside them (95% CI 13–135).")


def test_too_few_gives_no_ratio(periods):
    cases("1937", "2023", "1950")
    r = public().overall
    assert r.verdict == "too_few" and r.ratio is None and r.ci_low is None and r.p_value is None
    assert "too few" in public().sentence and "times the rate" not in public().sentence


def test_no_case_outside_has_no_upper_bound(periods):
    cases(*["2023"] * 12)
    a = public()
    assert a.overall.ratio is None and a.overall.ci_high is None and a.overall.ci_low > 1
    assert "none fall outside them" in a.sentence


def test_imprecise_and_undated_cases_are_left_out_and_counted(periods):
    cases(*["1937"] * 6, *["1960"] * 6, "1930s", "before 1941", "", "1936–1938", "2022–2026", "1910")
    withheld = CaseFactory(date="1961")
    Withholding.objects.create(case=withheld, field="date", reason="Test.")
    a = public()
    r = a.overall
    # 1936–1938 and 2022–2026 lie wholly in period years; the 1930s and "before 1941" touch both.
    assert (r.in_periods, r.outside, r.imprecise) == (8, 6, 2)
    assert a.undated == 2  # none recorded, and the withheld one
    assert a.outside_window == 1  # 1910
    assert "Left out: 2 dated too loosely to place, 2 undated, 1 dated outside 1917–2026." in a.caveats
    # Spread: the 1930s case is 3/10 in, "before 1941" (1917–1940) 3/24 in.
    assert r.spread.in_periods == pytest.approx(8 + 0.3 + 3 / 24, abs=0.01)
    staff = analysis.analyse(Case.objects.all())
    assert staff.undated == 1 and staff.overall.outside == 7


def test_the_window_follows_the_year_filter_and_a_period_filter_decides_nothing(periods, client):
    cases(*["1937"] * 6, *["1960"] * 6)
    data = client.get("/api/v1/analysis/", {"year_min": 1930, "year_max": 1970}).json()
    assert (data["first"], data["last"], data["years"], data["period_years"]) == (1930, 1970, 41, 3)
    assert data["overall"]["ratio"] == pytest.approx((6 / 3) / (6 / 38))
    inside = client.get("/api/v1/analysis/", {"year_min": 2023}).json()
    assert inside["overall"]["verdict"] == "no_contrast" and "nothing to compare" in inside["sentence"]
    chosen = client.get("/api/v1/analysis/", {"period": "purge"}).json()
    assert chosen["overall"]["verdict"] == "filtered_by_period" and chosen["overall"]["ratio"] is None


def test_by_form_adds_up(periods):
    cases(*["1937"] * 6, *["1960"] * 6, form="final")
    cases(*["2023"] * 4, form="articulated")
    a = public()
    assert sum(r.placed for r in a.by_form.values()) == a.overall.placed == 16
    assert a.by_form["final"].verdict == "estimated" and a.by_form["articulated"].verdict == "too_few"


def test_at_risk_cases_count_by_their_shown_year(periods):
    cases(*["1960"] * 10)
    CaseFactory(person=PersonFactory(at_risk=True), date="2022–2026")  # shown as 2022 alone
    assert public().overall.in_periods == 1


def numbers(page: str) -> dict:
    """The answer and the table of /analysis/, as text."""
    answer = re.search(r'<p class="lede answer" id="answer">(.*?)</p>', page, re.S).group(1)
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<(?:td|th)[^>]*>(.*?)</(?:td|th)>",
                                                                      "<th>" + row, re.S)]
        rows[cells[0]] = cells[1:]
    return {"answer": html.unescape(answer), "rows": rows}


@pytest.mark.parametrize("query", ["", "form=final", "year_min=1930&year_max=1970", "period=purge",
                                   "year_min=2023", "form=articulated&year_min=1900"])
def test_the_page_and_the_api_agree(periods, client, query):
    cases(*["1937"] * 6, *["1960"] * 6, "1930s", "", form="final")
    cases(*["2023"] * 4, "1950", form="articulated")
    page = client.get(f"/analysis/?{query}")
    assert page.status_code == 200
    data = client.get(f"/api/v1/analysis/?{query}").json()
    shown = numbers(page.content.decode())
    assert shown["answer"] == data["sentence"]
    for label, key in [("All forms", None), ("Final", "final"), ("Articulated", "articulated")]:
        r = data["overall"] if key is None else data["by_form"][key]
        row = shown["rows"][label]
        assert [int(x) for x in row[:3]] == [r["placed"], r["in_periods"], r["outside"]], label
        assert int(row[-1]) == r["imprecise"]
        if r["verdict"] == "estimated":
            assert row[5].startswith(f"{r['ratio']:.1f}" if r["ratio"] is not None else "—")
            assert f"({r['ci_low']:.1f}–" in row[5]
        else:
            assert "." not in row[5]
    # the list and the analysis link each other with the same filters
    text = page.content.decode()
    assert f'href="/cases/?{query}"'.replace("&", "&amp;") in text or (not query and 'href="/cases/"' in text)
    listed = client.get(f"/cases/?{query}").content.decode()
    assert f'href="/analysis/{"?" + query if query else ""}"'.replace("&", "&amp;") in listed


def test_home_states_the_finding_and_links_the_test(periods, client):
    cases(*["1937"] * 6, *["1960"] * 6)
    page = client.get("/").content.decode()
    assert html.escape(public().sentence, quote=True).replace("&#x27;", "&#x27;") in page \
        or public().sentence in html.unescape(page)
    assert 'href="/analysis/"' in page
    assert "cluster around periods of instability: see for yourself" not in page


def test_a_bad_filter_is_named_and_the_others_still_apply(periods, client):
    cases(*["1937"] * 6, *["1960"] * 6, form="final")
    page = client.get("/analysis/?year_min=abc&form=final")
    assert page.status_code == 400
    assert re.search(r"<code[^>]*>year_min</code>", page.content.decode())
    assert numbers(page.content.decode())["rows"]["All forms"][0] == "12"
    api = client.get("/api/v1/analysis/?year_min=abc")
    assert api.status_code == 400 and "year_min" in api.json()


@pytest.mark.parametrize(("query", "window"), [
    ({"year_min": 1, "year_max": 9999}, (1917, 2026)),  # bounded: no case is earlier or later
    ({"year_min": 3000}, (2026, 2026)),
    ({"year_max": 1900}, (1917, 1917)),
])
def test_the_window_stays_within_the_soviet_state_and_today(periods, client, query, window):
    cases(*["1937"] * 6, *["1960"] * 6)
    data = client.get("/api/v1/analysis/", query).json()
    assert (data["first"], data["last"]) == window
    assert data["years"] == window[1] - window[0] + 1
    assert data["overall"]["verdict"] in ("estimated", "no_contrast")
    assert client.get("/analysis/", query).status_code == 200


def test_the_schema_documents_the_analysis(client, db):
    schema = client.get("/api/v1/schema/?format=json").json()
    get = schema["paths"]["/api/v1/analysis/"]["get"]
    assert {"form", "agency", "year_min", "year_max", "q"} <= {p["name"] for p in get["parameters"]}
    assert {"200", "400"} <= set(get["responses"])
    ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    properties = schema["components"]["schemas"][ref]["properties"]
    assert {"sentence", "overall", "by_form", "undated"} <= set(properties)


@pytest.mark.parametrize("url", ["/cases/?year_min=2027", "/cases/?year_max=3", "/",
                                 "/cases/?year_min=1&year_max=1", "/analysis/?year_max=3",
                                 "/analysis/?year_min=2027"])
def test_charts_at_the_edges_of_time(periods, client, url):
    """A year asked for after every case, a year near the first, and an open period that
    starts after today: each chart draws (no 500, no negative year on its axis)."""
    Period.objects.filter(slug="war").update(end=date(2026, 3, 1))
    Period.objects.create(slug="next", name="Next", start=date(2027, 1, 1))
    cases("1937", "2023")
    response = client.get(url)
    assert response.status_code == 200
    first, last = (int(y) for y in re.search(r"Cases per year, (\d+)–(\d+)",
                                               response.content.decode()).groups())
    assert 1 <= first <= last


def test_a_case_dated_across_the_whole_calendar_draws_no_ten_thousand_bars(periods, client):
    """Wrongly dated "0001–9999" (the parser reads it): the charts keep to 1917–this year,
    and the stats still count it in every year it touches."""
    cases("0001–9999", "1937")
    page = client.get("/").content.decode()
    chart = page[page.index("<svg"):page.index("</svg>")]
    assert chart.count('class="bar"') == 2026 - 1917 + 1
    assert len(client.get("/cases/").content) < 400_000
    years = client.get("/api/v1/stats/").json()["by_year_and_form"]
    assert (years[0]["year"], years[-1]["year"], len(years)) == (1, 9999, 9999)
    assert next(row for row in years if row["year"] == 1937)["total"] == 2


def russian():
    with translation.override("ru"):
        return analysis.analyse(Case.objects.visible_to(None))


def test_the_answer_in_russian(periods):
    """The sentence a journalist quotes, its caveats and the period names, for a Russian reader."""
    Period.objects.filter(slug="war").update(name_ru="Война")
    cases("1937", "2023", "1950")
    assert russian().sentence == (
        "Лишь 3 случая можно отнести к периодам нестабильности или ко времени вне их (2 — к периодам, "
        "охватывающим 7% лет с 1917 года): этого слишком мало, чтобы судить, концентрируются ли в них "
        "случаи (нужно не меньше 10).")
    Case.objects.all().delete()
    cases(*["2023"] * 12, "1930s", "", "1910")
    a = russian()
    assert a.sentence.startswith("Из 12 датированных случаев на периоды нестабильности, охватывающие 7% "
                                 "лет с 1917 года, приходится 12: ни один не приходится на время вне их")
    assert "Не учтены случаи: со слишком неточной датой — 1, без даты — 1, с датой вне 1917–2026 — 1." \
        in a.caveats
    assert {p["slug"]: p["name"] for p in a.periods} == {"purge": "Purge", "war": "Война"}
    assert a.overall.note.startswith("Ни один отнесённый случай")
    assert public().sentence.startswith("Of 12 dated cases")  # the English reader's, unchanged


def test_a_ratio_in_russian_has_a_decimal_comma(periods):
    cases(*["2023"] * 3, *[str(year) for year in range(2001, 2012)])  # 3 of 14 in 5 of 27 years
    with translation.override("ru"):
        a = analysis.analyse(Case.objects.visible_to(None), first=2000, last=2026)
    assert "лет с 2000 по 2026 год" in a.sentence and "95% ДИ" in a.sentence
    assert "отношение частоты к частоте вне их — 1,2 (95% ДИ 0," in a.sentence, a.sentence
