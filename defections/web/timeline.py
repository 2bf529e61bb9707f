"""The timeline's geometry: stacked bars of cases per year by form, periods shaded behind.

Drawn on the server as SVG (templates/_timeline.html) from stats.by_year_and_form(),
so that it needs no JavaScript and follows whatever filters made the queryset.
"""

from datetime import date
from urllib.parse import urlencode

from defections.choices import Form

WIDTH, HEIGHT = 960, 300
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 52, 28
LABEL_ROWS = 3
CHAR_WIDTH = 6.2  # of the 11px label font, to keep period labels from overlapping


def year_link(base: str, params, year: int) -> str:
    """The list URL for one year, keeping the other filters (not the page)."""
    pairs = [(k, v) for k, v in params if k not in ("year_min", "year_max", "page")]
    return f"{base}?{urlencode([*pairs, ('year_min', year), ('year_max', year)])}"


def build(rows: list[dict], periods, base: str = "/cases/", params=(), total=None) -> dict:
    """Everything the SVG template draws, in its own coordinates."""
    today = date.today().year
    years = [r["year"] for r in rows]
    first = min([*years, *(p.start.year for p in periods)], default=today)
    last = max([*years, today])
    span = last - first + 1
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / span
    top = max([r["total"] for r in rows], default=0) or 1
    scale = plot_h / top
    params = list(params)

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
                segments.append({"form": form.value, "label": form.label, "n": n,
                                 "x": x + step * 0.1, "y": y, "w": step * 0.8, "h": h})
        parts = ", ".join(f"{s['n']} {s['label'].lower()}" for s in segments)
        bars.append({"year": row["year"], "total": row["total"], "segments": segments,
                     "counts": [row[f] for f in Form.values],
                     "href": year_link(base, params, row["year"]),
                     "label": f"{row['year']}: {row['total']} case{'s' if row['total'] != 1 else ''}"
                              f" ({parts})",
                     "hit_x": x, "hit_w": step})

    shaded, row_ends = [], [-1e9] * LABEL_ROWS
    for period in periods:
        start = max(period.start.year, first)
        end = min(period.end.year if period.end else last, last)
        if end < first or start > last:
            continue
        x = LEFT + (start - first) * step
        w = (end - start + 1) * step
        text_w = len(period.name) * CHAR_WIDTH
        anchor, tx = ("end", x + w) if x + text_w > WIDTH - RIGHT else ("start", x)
        left = tx - text_w if anchor == "end" else tx
        row = next((i for i, end_x in enumerate(row_ends) if left > end_x + 8), LABEL_ROWS - 1)
        row_ends[row] = left + text_w
        shaded.append({"name": period.name, "slug": period.slug, "x": x, "w": w,
                       "y": TOP - 4, "h": plot_h + 4, "tx": tx, "ty": 14 + row * 14,
                       "anchor": anchor,
                       "dates": f"{period.start.year}–{period.end.year if period.end else ''}"})

    decade = 10 if span > 30 else (5 if span > 12 else 1)
    ticks = [{"x": LEFT + (y - first + 0.5) * step, "year": y}
             for y in range(first, last + 1) if y % decade == 0]
    grid = sorted({0, top // 2, top}) if top > 1 else [0, 1]
    gridlines = [{"y": TOP + plot_h - v * scale, "value": v} for v in grid]

    dated = sum(r["total"] for r in rows)
    undated = max((total or 0) - dated, 0)
    total = dated
    busiest = max(rows, key=lambda r: r["total"], default=None)
    desc = (f"Stacked bars of {total} dated case{'s' if total != 1 else ''} per year from {first} "
            f"to {last}, by form (articulated, final, geographic)"
            + (f"; the most in {busiest['year']} ({busiest['total']})" if busiest else "")
            + ". Shaded bands mark the periods of instability: "
            + "; ".join(f"{p['name']} ({p['dates']})" for p in shaded) + ".")
    return {"width": WIDTH, "height": HEIGHT, "bars": bars, "periods": shaded, "ticks": ticks,
            "gridlines": gridlines, "axis_y": TOP + plot_h, "left": LEFT, "right": WIDTH - RIGHT,
            "first": first, "last": last, "rows": rows, "desc": desc, "undated": undated,
            "forms": [{"value": f.value, "label": f.label} for f in Form]}
