"""Partial dates: what researchers know about when something happened.

A partial date is an interval (start..end) plus a precision. "March 2026" is
2026-03-01..2026-03-31 at month precision. There is one parser for what people
type and one formatter that writes it back, so that format(parse(text)) reads as
the researcher meant it and parse(format(date)) gives the same date back.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models

from defections.choices import define


class Precision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    YEAR = "year", "Year"
    DECADE = "decade", "Decade"
    CIRCA = "circa", "Circa"


define(Precision, {
    Precision.DAY: "The exact day is known, e.g. “24 February 2022”.",
    Precision.MONTH: "The month is known, e.g. “March 2026”.",
    Precision.YEAR: "The year (or a span of whole years) is known, e.g. “2018” or “1936–1938”.",
    Precision.DECADE: "Only the decade is known, e.g. “1930s”.",
    Precision.CIRCA: "An approximate year, e.g. “c. 1953”: the year given is a best estimate.",
})


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9

EXAMPLES = "“24 February 2022”, “2022-02-24”, “March 2026”, “2026-03”, “2018”, “1930s” or “c. 1953”"


@dataclass(frozen=True)
class PartialDate:
    start: date
    end: date
    precision: str

    def __str__(self) -> str:
        return format_partial_date(self.start, self.end, self.precision)

    @property
    def year(self) -> int:
        return self.start.year


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _year(text: str) -> int:
    year = int(text)
    if not 1 <= year <= 9999:
        raise ValueError
    return year


def _day(year: int, month: int, day: int) -> PartialDate:
    d = date(year, month, day)
    return PartialDate(d, d, Precision.DAY)


def _month(year: int, month: int) -> PartialDate:
    return PartialDate(date(year, month, 1), _month_end(year, month), Precision.MONTH)


def _years(first: int, last: int) -> PartialDate:
    if last < first:
        raise ValidationError(f"The span “{first}–{last}” ends before it starts.", code="invalid")
    return PartialDate(date(first, 1, 1), date(last, 12, 31), Precision.YEAR)


def _decade(first: int) -> PartialDate:
    return PartialDate(date(first, 1, 1), date(first + 9, 12, 31), Precision.DECADE)


def _month_number(name: str) -> int:
    number = MONTHS.get(name.lower().rstrip("."))
    if number is None:
        raise ValueError
    return number


# (pattern, builder) pairs, tried in order; the text is stripped and spaces collapsed.
_PATTERNS = [
    (r"(\d{4})-(\d{1,2})-(\d{1,2})", lambda y, m, d: _day(_year(y), int(m), int(d))),
    (r"(\d{1,2}) ([A-Za-z]+\.?),? (\d{4})", lambda d, m, y: _day(_year(y), _month_number(m), int(d))),
    (r"([A-Za-z]+\.?) (\d{1,2}),? (\d{4})", lambda m, d, y: _day(_year(y), _month_number(m), int(d))),
    (r"(\d{4})-(\d{1,2})", lambda y, m: _month(_year(y), int(m))),
    (r"([A-Za-z]+\.?),? (\d{4})", lambda m, y: _month(_year(y), _month_number(m))),
    (r"(\d{4})", lambda y: _years(_year(y), _year(y))),
    (r"(\d{4}) ?[-–—/] ?(\d{4})", lambda a, b: _years(_year(a), _year(b))),
    (r"(\d{3})0['’]?s", lambda d: _decade(_year(d + "0"))),
    (
        r"(?:c\.?|ca\.?|circa|about|approx\.?) ?(\d{4})",
        lambda y: PartialDate(date(_year(y), 1, 1), date(_year(y), 12, 31), Precision.CIRCA),
    ),
]


def parse_partial_date(text: str) -> PartialDate | None:
    """Read what a researcher typed. Blank text is an unknown date (None)."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip())
    if not cleaned:
        return None
    for pattern, build in _PATTERNS:
        match = re.fullmatch(pattern, cleaned, flags=re.IGNORECASE)
        if match:
            try:
                return build(*match.groups())
            except ValidationError:
                raise
            except ValueError:
                continue  # the shape matched but a part (month 13, 31 February) does not exist
    raise ValidationError(
        "“%(text)s” is not a date we can read. Write it as " + EXAMPLES + ".",
        code="invalid",
        params={"text": text},
    )


def format_partial_date(start: date | None, end: date | None, precision: str | None) -> str:
    """Write a partial date back the way researchers write it ("March 2026")."""
    if start is None or not precision:
        return ""
    if precision == Precision.DAY:
        return f"{start.day} {calendar.month_name[start.month]} {start.year}"
    if precision == Precision.MONTH:
        return f"{calendar.month_name[start.month]} {start.year}"
    if precision == Precision.DECADE:
        return f"{start.year}s"
    if precision == Precision.CIRCA:
        return f"c. {start.year}"
    if end is not None and end.year != start.year:
        return f"{start.year}–{end.year}"
    return str(start.year)


def check_interval(start: date | None, end: date | None, precision: str | None) -> PartialDate | None:
    """Validate a start/end/precision triple as given directly (the API's other form)."""
    if start is None and end is None and not precision:
        return None
    if start is None or end is None or not precision:
        raise ValidationError(
            "A date needs its start, end and precision together (or none of them).",
            code="incomplete",
        )
    if start > end:
        raise ValidationError("The date ends before it starts.", code="start_after_end")
    if precision not in Precision.values:
        raise ValidationError(f"“{precision}” is not a date precision.", code="invalid_choice")
    return PartialDate(start, end, precision)
