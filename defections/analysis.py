"""Do defections cluster in the periods of instability? The test, with its uncertainty.

The article's thesis is that defections cluster around periods of instability. Asked of
the cases a CaseFilterSet selects, in whole years, by the year rule of every count
(stats.py: a case touches every year of its date, as the reader is shown it):

- A year is a *period year* when any day of it lies in a period of instability: the bands
  the timeline shades. The *window* runs from 1917 (the Soviet state's first year), or the
  list's first year if later, to this year, or the list's last year if earlier.
- A case is *in the periods* when every year its date touches (within the window) is a
  period year, *outside* when none is. A case whose date touches both ("1930s", "before
  1941") cannot be placed: it is left out of the test as too imprecise, and counted. So
  are the undated (none recorded, or withheld) and the cases dated wholly outside the window.
- If cases came at the same rate in every year, each placed case would fall in the periods
  with probability p0 = period years / window years. Given the n placed cases, the number
  in the periods is binomial(n, π), and the rate ratio (cases per period year over cases
  per other year) is π/(1-π) · other years / period years. The exact (Clopper–Pearson)
  95% interval for π and the exact two-sided p-value against p0 come from
  scipy.stats.binomtest; the interval maps to the ratio.
- Robustness: the period years are shifted round the window by every whole number of
  years (a circular shift keeps their number and spacing). The share of shifts under which
  at least as large a share of the placed cases falls in the periods is a p-value that does
  not depend on where the boundaries were drawn.
- Spread: every dated case is spread evenly over the years it touches, so none is left
  out for imprecision; the ratio from those counts shows what the left-out cases change.
- Fewer than MIN_CASES placed cases, or a window with no years in (or none outside) the
  periods, gives no ratio: a sentence says why instead.

A database of documented cases is not a census: reporting grows with time and with
publicity, and the latest period is the best reported. The page says so.
"""

from dataclasses import asdict, dataclass, field

import numpy as np
from django.utils.translation import gettext, ngettext
from scipy.stats import binomtest

from defections import facets, languages, stats, withholding
from defections.choices import Form
from defections.models import Period

WINDOW_START = 1917  # the Soviet state's first year: no case can be earlier
MIN_CASES = 10  # placed cases below which no ratio is estimated
CONFIDENCE = 0.95


def years_of(period, today=None) -> range:
    """The years a period touches (an open period runs to this year): its band."""
    end = period.end or (today or withholding.today())
    return range(period.start.year, end.year + 1)


@dataclass
class Spread:
    in_periods: float
    outside: float
    ratio: float | None
    ci_low: float | None
    ci_high: float | None


@dataclass
class Result:
    """The test for one set of cases (all, or one form)."""

    dated: int  # dated cases touching the window
    placed: int  # of them, wholly in or wholly outside the periods
    in_periods: int
    outside: int
    imprecise: int  # dated, but touching years in and outside the periods
    rate_in: float | None  # cases per period year
    rate_out: float | None  # cases per other year
    ratio: float | None  # rate_in / rate_out; None when too few, or with no case outside
    ci_low: float | None
    ci_high: float | None  # None: no upper bound (no case outside the periods)
    p_value: float | None
    shift_p_value: float | None
    shifts: int
    spread: Spread | None
    verdict: str  # "estimated", "too_few", "no_contrast" or "filtered_by_period"
    note: str = ""


@dataclass
class Analysis:
    first: int
    last: int
    years: int
    period_years: int
    share: float  # of the window's years in the periods
    periods: list[dict]
    overall: Result
    by_form: dict[str, Result]
    undated: int
    outside_window: int
    sentence: str
    caveats: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _ratio(k: float, m: float, years_in: int, years_out: int):
    """(ratio, low, high) from k cases in the periods and m outside; None where unbounded."""
    n = round(k) + round(m)
    test = binomtest(round(k), n, years_in / (years_in + years_out))
    interval = test.proportion_ci(confidence_level=CONFIDENCE, method="exact")

    def to_ratio(pi):
        return None if pi >= 1 else pi / (1 - pi) * years_out / years_in

    ratio = None if m == 0 else (k / years_in) / (m / years_out)
    return ratio, to_ratio(interval.low), to_ratio(interval.high), float(test.pvalue)


def _test(rows, mask: np.ndarray, first: int, verdict: str | None) -> Result:
    """rows: [(first year, last year, cases)] clipped to the window; mask: period years."""
    years = len(mask)
    years_in = int(mask.sum())
    years_out = years - years_in
    lo = np.array([r[0] - first for r in rows], dtype=int)
    hi = np.array([r[1] - first for r in rows], dtype=int)
    n = np.array([r[2] for r in rows], dtype=float)
    length = hi - lo + 1

    # Every circular shift of the period years at once (shift 0 is the real one): for each,
    # how many of each row's years are period years, by prefix sums.
    shifted = np.stack([np.roll(mask, s) for s in range(years)]).astype(int)
    prefix = np.concatenate([np.zeros((years, 1), dtype=int), shifted.cumsum(axis=1)], axis=1)
    inside = prefix[:, hi + 1] - prefix[:, lo] if len(rows) else np.zeros((years, 0), dtype=int)
    k_all = ((inside == length) * n).sum(axis=1)
    m_all = ((inside == 0) * n).sum(axis=1)
    k, m = int(k_all[0]), int(m_all[0])
    placed = k + m
    dated = int(n.sum())
    spread_in = float((inside[0] / np.maximum(length, 1) * n).sum()) if len(rows) else 0.0

    result = Result(dated=dated, placed=placed, in_periods=k, outside=m, imprecise=dated - placed,
                    rate_in=k / years_in if years_in else None,
                    rate_out=m / years_out if years_out else None,
                    ratio=None, ci_low=None, ci_high=None, p_value=None, shift_p_value=None,
                    shifts=years, spread=None, verdict=verdict or "estimated")
    if verdict:
        return result
    if not years_in or not years_out:
        result.verdict = "no_contrast"
        return result
    if placed < MIN_CASES:
        result.verdict = "too_few"
        return result
    result.ratio, result.ci_low, result.ci_high, result.p_value = _ratio(k, m, years_in, years_out)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(k_all + m_all > 0, k_all / (k_all + m_all), -1.0)
    result.shift_p_value = float((share >= share[0] - 1e-12).mean())
    ratio, low, high, _ = _ratio(spread_in, dated - spread_in, years_in, years_out)
    result.spread = Spread(round(spread_in, 2), round(dated - spread_in, 2), ratio, low, high)
    if m == 0:
        result.note = gettext("No placed case falls outside the periods: the ratio has no upper bound.")
    return result


def selected(filterset):
    """(the cases a bound CaseFilterSet selects by its valid filters, those filters): a page
    reports the invalid ones and tests the rest, as the list does."""
    active = facets.active_filters(filterset)
    return facets.apply_filters(filterset, filterset.queryset, active), active


def of_filterset(filterset, spans=None) -> Analysis:
    """The test for the cases a CaseFilterSet selects: its years are the window, and a period
    filter (which decides the answer) is said to be one."""
    cases, active = selected(filterset)
    return analyse(cases, active.get("year_min"), active.get("year_max"),
                   filtered_by_period=bool(active.get("period")), spans=spans)


def analyse(cases, first: int | None = None, last: int | None = None,
            filtered_by_period: bool = False, spans=None, periods=None) -> Analysis:
    """The test over `cases` (a filtered, visible queryset) between the years given; `spans`
    (stats.year_spans) and `periods` when the caller has them already."""
    today = withholding.today()
    # No case is earlier than the Soviet state or later than today: the window stays within
    # them (which also bounds the work of the shift test, whatever years are asked for).
    first = min(max(first or WINDOW_START, WINDOW_START), today.year)
    last = max(min(last or today.year, today.year), first)
    periods = list(Period.objects.all()) if periods is None else periods
    mask = np.zeros(last - first + 1, dtype=bool)
    drawn = []
    for period in periods:
        span = [y for y in years_of(period, today) if first <= y <= last]
        if span:
            mask[span[0] - first:span[-1] - first + 1] = True
            drawn.append({"slug": period.slug, "name": str(languages.text(period, "name")),
                          "first": span[0], "last": span[-1]})

    undated = outside_window = 0
    rows: dict[str, list] = {form: [] for form in Form.values}
    for low, high, form, n in stats.year_spans(cases) if spans is None else spans:
        if low is None:
            undated += n
        elif high < first or low > last:
            outside_window += n
        else:
            rows[form].append((max(low, first), min(high, last), n))

    verdict = "filtered_by_period" if filtered_by_period else None
    overall = _test([r for form_rows in rows.values() for r in form_rows], mask, first, verdict)
    by_form = {form: _test(rows[form], mask, first, verdict) for form in Form.values}
    years, period_years = len(mask), int(mask.sum())
    result = Analysis(first=first, last=last, years=years, period_years=period_years,
                      share=period_years / years, periods=drawn, overall=overall, by_form=by_form,
                      undated=undated, outside_window=outside_window, sentence="")
    result.sentence = sentence(result)
    result.caveats = caveats(result)
    return result


def _number(x: float) -> str:
    """A ratio as a reader writes it: "2.3", "12"; a Russian reader's decimal comma ("2,3")."""
    written = f"{x:.1f}" if x < 10 else f"{x:.0f}"
    return written.replace(".", ",") if languages.current() == "ru" else written


def _years(a: Analysis) -> str:
    if a.first != WINDOW_START:
        return gettext("the years %(first)s–%(last)s") % {"first": a.first, "last": a.last}
    return gettext("the years since %(first)s") % {"first": a.first}


def sentence(a: Analysis) -> str:
    """The answer as one sentence a journalist can quote (and what it leaves out), in the
    reader's language."""
    r = a.overall
    words = {"share": f"{a.share:.0%}", "years": _years(a), "first": a.first, "last": a.last,
             "placed": r.placed, "in_periods": r.in_periods, "min": MIN_CASES}
    if r.verdict == "filtered_by_period":
        return gettext("These cases are chosen by their period of instability, which decides where "
                       "they fall: remove the period filter to test whether cases cluster in the periods.")
    if r.verdict == "no_contrast":
        if a.period_years:
            return gettext("The years %(first)s–%(last)s lie wholly inside the periods of instability: "
                           "there is nothing to compare them with.") % words
        return gettext("The years %(first)s–%(last)s lie wholly outside the periods of instability: "
                       "there is nothing to compare them with.") % words
    if r.verdict == "too_few":
        return ngettext(
            "Only %(placed)s case can be placed in or outside the periods of instability (%(in_periods)s "
            "in them, which cover %(share)s of %(years)s): too few to say whether cases cluster in them "
            "(at least %(min)s are needed).",
            "Only %(placed)s cases can be placed in or outside the periods of instability (%(in_periods)s "
            "in them, which cover %(share)s of %(years)s): too few to say whether cases cluster in them "
            "(at least %(min)s are needed).", r.placed) % words
    if r.ratio is None:
        ratio = gettext("none fall outside them (95%% CI: at least %(low)s times the rate outside)") % {
            "low": _number(r.ci_low)}
    else:
        ratio = gettext("%(ratio)s times the rate outside them (95%% CI %(low)s–%(high)s)") % {
            "ratio": _number(r.ratio), "low": _number(r.ci_low),
            "high": _number(r.ci_high) if r.ci_high is not None else "∞"}
    return ngettext(
        "Of %(placed)s dated case, %(in_periods)s fall in periods of instability covering %(share)s of "
        "%(years)s: %(ratio)s.",
        "Of %(placed)s dated cases, %(in_periods)s fall in periods of instability covering %(share)s of "
        "%(years)s: %(ratio)s.", r.placed) % {**words, "ratio": ratio}


def caveats(a: Analysis) -> list[str]:
    r = a.overall
    notes = []
    left = []
    if r.imprecise:
        left.append(gettext("%(n)s dated too loosely to place") % {"n": r.imprecise})
    if a.undated:
        left.append(gettext("%(n)s undated") % {"n": a.undated})
    if a.outside_window:
        left.append(gettext("%(n)s dated outside %(first)s–%(last)s") % {
            "n": a.outside_window, "first": a.first, "last": a.last})
    if left:
        notes.append(gettext("Left out: %(cases)s.") % {"cases": ", ".join(left)})
    if r.spread is not None and r.spread.ratio is not None and r.imprecise:
        notes.append(gettext("Spreading every dated case over the years it touches gives %(ratio)s "
                             "times the rate instead.") % {"ratio": _number(r.spread.ratio)})
    return notes
