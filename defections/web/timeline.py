"""The timeline's geometry: stacked bars of cases per year by form, periods shaded behind.

Drawn on the server as SVG (templates/_timeline.html) from stats.by_year_and_form(),
so that it needs no JavaScript and follows whatever filters made the queryset.
"""

from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import urlencode

from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from defections import languages, withholding
from defections.analysis import WINDOW_START, years_of
from defections.choices import Form

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 52, 28
LABEL_ROWS = 3
MIN_YEARS = 8  # fewer would draw one or two bars across the whole width
CHAR_WIDTH = 6.2  # of the 11px label font, to keep period labels from overlapping


def year_link(base: str, params, year: int) -> str:
    """The list URL for one year, keeping the other filters (not the page)."""
    pairs = [(k, v) for k, v in params if k not in ("year_min", "year_max", "page")]
    return f"{base}?{urlencode([*pairs, ('year_min', year), ('year_max', year)])}"


def svg_number(value: float, places: int) -> str:
    """`value|floatformat:"<places>u"` without the template filter (a chart has hundreds of
    numbers: the filter was half the time of drawing it)."""
    return str(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def rect(x: float, y: float, w: float, h: float) -> str:
    """A segment's SVG geometry attributes (numbers only, so safe as markup)."""
    return mark_safe(f'x="{svg_number(x, 2)}" y="{svg_number(y, 2)}" width="{svg_number(w, 2)}" '
                     f'height="{svg_number(h, 2)}"')


def nice_step(top: float, most: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 25, 50, 100, … that cuts `top` into at most `most` steps."""
    for magnitude in (1, 10, 100, 1000, 10000, 100000):
        for step in (1, 2, 5) if magnitude == 1 else (1, 2, 2.5, 5):
            if int(step * magnitude) == step * magnitude and top / (step * magnitude) <= most:
                return int(step * magnitude)
    return 1000000


def build(rows: list[dict], periods, base: str = "/cases/", params=(), undated=None,
          first: int | None = None, last: int | None = None) -> dict:
    """Everything the SVG template draws, in its own coordinates.

    The axis fits the years shown: those asked for (`first`, `last`: the list's year
    filter) or else those with cases, at least MIN_YEARS of them, and unless asked for none
    before 1917 or after this year (a case wrongly dated "0001–9999" draws no 10,000 bars)."""
    years = [r["year"] for r in rows]
    this_year = withholding.today().year
    asked = first
    if last is None:
        last = min(max(years, default=this_year), this_year)
    last = max(last, first or 1)
    if first is None:
        first = max(min(years, default=last), min(WINDOW_START, last))
    if asked is None and last - first + 1 < MIN_YEARS:
        first = max(last - MIN_YEARS + 1, 1)
    rows = [r for r in rows if first <= r["year"] <= last]
    span = last - first + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / span
    most = max([r["total"] for r in rows], default=0) or 1
    grid_step = nice_step(most, 4)
    top = -(-most // grid_step) * grid_step  # the highest bar, rounded up to a gridline
    scale = plot_h / top
    params = list(params)
    bar_w = min(step * 0.8, 60)

    bars = []
    for row in rows:
        x = LEFT + (row["year"] - first) * step
        y = TOP + plot_h
        segments = []
        for form in Form:
            n = row[form.value]
            if n:
                h = n * scale
                y -= h
                left = x + (step - bar_w) / 2
                segments.append({"form": form.value, "label": form.label, "n": n,
                                 "x": left, "y": y, "w": bar_w, "h": h, "rect": rect(left, y, bar_w, h)})
        parts = ", ".join(_("%(n)s %(form)s") % {"n": s["n"], "form": s["label"].lower()} for s in segments)
        spanning = row.get("spanning", 0)
        cases = ngettext("%(n)s case", "%(n)s cases", row["total"]) % {"n": row["total"]}
        bars.append({"year": row["year"], "total": row["total"], "segments": segments,
                     "counts": [row[f] for f in Form.values], "spanning": spanning,
                     "href": year_link(base, params, row["year"]),
                     "label": f"{row['year']}: {cases} ({parts})"
                              + (ngettext(", %(n)s of them dated to several years",
                                          ", %(n)s of them dated to several years", spanning)
                                 % {"n": spanning} if spanning else ""),
                     "hit_x": x, "hit_w": step, "hit": (svg_number(x, 1), svg_number(step, 1))})

    shaded, row_ends = [], [-1e9] * LABEL_ROWS
    for period in periods:
        band = years_of(period)  # the years the analysis counts as the period's
        if not band:  # an open period that starts after today
            continue
        start, end = max(band[0], first), min(band[-1], last)
        if end < first or start > last:
            continue
        x = LEFT + (start - first) * step
        w = (end - start + 1) * step
        name = languages.text(period, "name")
        text_w = len(name) * CHAR_WIDTH
        anchor, tx = ("end", x + w) if x + text_w > WIDTH - RIGHT else ("start", x)
        left = tx - text_w if anchor == "end" else tx
        row = next((i for i, end_x in enumerate(row_ends) if left > end_x + 8), LABEL_ROWS - 1)
        row_ends[row] = left + text_w
        shaded.append({"name": name, "slug": period.slug, "x": x, "w": w,
                       "y": TOP - 4, "h": plot_h + 4, "tx": tx, "ty": 14 + row * 14,
                       "anchor": anchor,
                       "dates": f"{period.start.year}–{period.end.year if period.end else ''}"})

    every = nice_step(span, 12)
    ticks = [{"x": LEFT + (y - first + 0.5) * step, "year": y}
             for y in range(first, last + 1) if y % every == 0]
    gridlines = [{"y": TOP + plot_h - v * scale, "value": v} for v in range(0, top + 1, grid_step)]

    busiest = max(rows, key=lambda r: r["total"], default=None)
    desc = (_("Stacked bars of the cases in each year from %(first)s to %(last)s, by form "
              "(articulated, final, geographic); a case dated to several years is in each of them")
            % {"first": first, "last": last}
            + (_("; the most in %(year)s (%(n)s)") % {"year": busiest["year"], "n": busiest["total"]}
               if busiest else "")
            + _(". Shaded bands mark the periods of instability: ")
            + "; ".join(f"{p['name']} ({p['dates']})" for p in shaded) + ".")
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "periods": shaded, "ticks": ticks,
            "gridlines": gridlines, "axis_y": TOP + plot_h, "left": LEFT, "right": WIDTH - RIGHT,
            "first": first, "last": last, "rows": rows, "desc": desc, "undated": undated or 0,
            "forms": [{"value": f.value, "label": f.label} for f in Form]}
