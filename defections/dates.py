"""Partial dates: what researchers know about when something happened.

A partial date is an interval (start..end) plus a precision. "March 2026" is
2026-03-01..2026-03-31 at month precision. There is one parser for what people
type and one formatter that writes it back, so that format(parse(text)) reads as
the researcher meant it and parse(format(date)) gives the same date back.

Researchers write in English or Russian ("22 июня 1941 г."); the formatter writes
English, and a Russian date reads back from it to the same interval. The Russian
words are in dates_ru.py.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models

from defections import dates_ru
from defections.choices import define


class Precision(models.TextChoices):
    DAY = "day", "Day"
    MONTH = "month", "Month"
    SEASON = "season", "Season"
    YEAR = "year", "Year"
    DECADE = "decade", "Decade"
    CIRCA = "circa", "Circa"
    BEFORE = "before", "Before"
    AFTER = "after", "After"


# The Soviet state's first day: the earliest date this database records, so "before 1941"
# means from then to the end of 1940 (and "before 1918" or earlier says nothing).
EARLIEST = date(1917, 11, 7)

# "c. 1953" is a best estimate: stored as that many whole years either side (1951–1955), so
# that a filter on 1952 finds it and the interval says how unsure the year is.
CIRCA_YEARS = 2

define(Precision, {
    Precision.DAY: "The exact day is known, e.g. “24 February 2022”.",
    Precision.MONTH: "The month is known, e.g. “March 2026”.",
    Precision.SEASON: "The season is known, e.g. “spring 1953” (March to May); a winter runs "
    "from December to February, e.g. “winter 1952–53”.",
    Precision.YEAR: "The year (or a span of whole years) is known, e.g. “2018” or “1936–1938”.",
    Precision.DECADE: "Only the decade, or its early, middle or late years, is known, e.g. "
    "“1930s”, “early 1950s” (1950–1953), “mid-1950s” (1954–1956) or “late 1980s” (1987–1989).",
    Precision.CIRCA: f"An approximate year, e.g. “c. 1953”: the year given is a best estimate, "
    f"and the date is any time within {CIRCA_YEARS} years either side of it (1951–1955).",
    Precision.BEFORE: "Only a year it happened before is known, e.g. “before 1941”: any time "
    "from 7 November 1917, the earliest date recorded, to the end of 1940.",
    Precision.AFTER: "Only a year it happened after is known, e.g. “after 1991”: any time from "
    "1 January 1992 to the day it was recorded.",
})


MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): number for number, name in enumerate(calendar.month_abbr) if name})
MONTHS["sept"] = 9
MONTHS.update(dates_ru.MONTHS)

# Each season by its first month; a winter is named by the year it ends in.
SEASONS = {"spring": 3, "summer": 6, "autumn": 9, "fall": 9, "winter": 12, **dates_ru.SEASONS}
SEASON_NAMES = {3: "spring", 6: "summer", 9: "autumn", 12: "winter"}

# The years of a decade each part covers; the formatter recognises a part by them.
DECADE_PARTS = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}
DECADE_PART_WORDS = {**{word: word for word in DECADE_PARTS}, **dates_ru.DECADE_PARTS}
WRITTEN_PARTS = {(0, 3): "early ", (4, 6): "mid-", (7, 9): "late "}

EXAMPLES = ("“24 February 2022”, “22.06.1941”, “March 2026”, “spring 1953”, “2018”, “1930s”, "
            "“early 1950s”, “c. 1953”, “before 1941” or “after 1991”, in English or Russian "
            "(“22 июня 1941 г.”)")


class DateForm(NamedTuple):
    """One way of writing a date: examples (alternatives joined by " or "), and what they are
    stored as, in words."""

    written: str
    stored: str

    @property
    def lang(self) -> str:
        return "ru" if re.search(r"[а-яё]", self.written, re.IGNORECASE) else "en"


_WINTER = "the season: 1 December 1952 – 28 February 1953"
_CIRCA_1953 = f"about a year, give or take {CIRCA_YEARS}: 1 January 1951 – 31 December 1955"
_BEFORE_1941 = "before a year: 7 November 1917 (the earliest date recorded) – 31 December 1940"
_AFTER_1991 = "after a year: 1 January 1992 – the day it is recorded"

# Every form the parser reads, for the /about/ page (templates/_date_forms.html).
ACCEPTED = [DateForm(*pair) for pair in [
    ("24 February 2022 or February 24, 2022 or 2022-02-24", "the day, 24 February 2022"),
    ("22.06.1941", "the day, 22 June 1941"),
    ("March 2026 or Mar. 2026 or 2026-03", "the month: 1 March 2026 – 31 March 2026"),
    ("06.1941", "the month: 1 June 1941 – 30 June 1941"),
    ("spring 1953", "the season: 1 March 1953 – 31 May 1953"),
    ("summer 1953", "the season: 1 June 1953 – 31 August 1953"),
    ("autumn 1953 or fall 1953", "the season: 1 September 1953 – 30 November 1953"),
    ("winter 1953 or winter 1952–53 or winter 1952/53", _WINTER),
    ("2018", "the year: 1 January 2018 – 31 December 2018"),
    ("1936–1938", "the years: 1 January 1936 – 31 December 1938"),
    ("1950s", "the decade: 1 January 1950 – 31 December 1959"),
    ("early 1950s", "part of a decade: 1 January 1950 – 31 December 1953"),
    ("mid-1950s or mid 1950s", "part of a decade: 1 January 1954 – 31 December 1956"),
    ("late 1980s", "part of a decade: 1 January 1987 – 31 December 1989"),
    ("c. 1953 or ca. 1953 or circa 1953 or about 1953 or approx. 1953", _CIRCA_1953),
    ("before 1941", _BEFORE_1941),
    ("after 1991", _AFTER_1991),
    ("22 июня 1941 г.", "the day, 22 June 1941"),
    ("июнь 1941 or июня 1941 or в июне 1941 or июн. 1941", "the month: 1 June 1941 – 30 June 1941"),
    ("весна 1953 or весной 1953", "the season: 1 March 1953 – 31 May 1953"),
    ("лето 1953 or летом 1953", "the season: 1 June 1953 – 31 August 1953"),
    ("осень 1953 or осенью 1953", "the season: 1 September 1953 – 30 November 1953"),
    ("зима 1953 or зимой 1952/53", _WINTER),
    ("1941 г. or 1941 год or в 1941 году", "the year: 1 January 1941 – 31 December 1941"),
    ("1930-е or 1930-е гг. or 1930-е годы", "the decade: 1 January 1930 – 31 December 1939"),
    ("начало 1950-х", "part of a decade: 1 January 1950 – 31 December 1953"),
    ("середина 1950-х", "part of a decade: 1 January 1954 – 31 December 1956"),
    ("конец 1980-х", "part of a decade: 1 January 1987 – 31 December 1989"),
    ("около 1953 or ок. 1953", _CIRCA_1953),
    ("до 1941", _BEFORE_1941),
    ("после 1991", _AFTER_1991),
]]


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


def _lookup(vocabulary: dict, word: str):
    """A word's meaning; a ValueError (try the next pattern) for one the case-blind pattern
    matched but the vocabulary does not hold ("ſpring": Python's regex folds ſ to s)."""
    try:
        return vocabulary[word.lower()]
    except KeyError:
        raise ValueError(word) from None


def _season(word: str, year: int) -> PartialDate:
    """A season of year; a winter is the one that ends in year (December before to February)."""
    first = _lookup(SEASONS, word)
    if first == 12:
        return PartialDate(date(year - 1, 12, 1), _month_end(year, 2), Precision.SEASON)
    return PartialDate(date(year, first, 1), _month_end(year, first + 2), Precision.SEASON)


def _winter(word: str, first: int, second: str) -> PartialDate:
    """A winter written with both years ("winter 1952–53", "1952/1953"): they must follow."""
    last = int(second) if len(second) == 4 else first // 100 * 100 + int(second)
    if last <= first and len(second) == 2:
        last += 100  # "winter 1999–00"
    if _lookup(SEASONS, word) != 12 or last != first + 1:
        raise ValueError
    return _season(word, last)


def _years(first: int, last: int) -> PartialDate:
    if last < first:
        raise ValidationError(f"The span “{first}–{last}” ends before it starts.", code="invalid")
    return PartialDate(date(first, 1, 1), date(last, 12, 31), Precision.YEAR)


def _decade(first: int, part: str | None = None) -> PartialDate:
    low, high = DECADE_PARTS[_lookup(DECADE_PART_WORDS, part)] if part else (0, 9)
    return PartialDate(date(first + low, 1, 1), date(first + high, 12, 31), Precision.DECADE)


def _circa(year: int) -> PartialDate:
    return PartialDate(date(year - CIRCA_YEARS, 1, 1), date(year + CIRCA_YEARS, 12, 31), Precision.CIRCA)


def _before(year: int) -> PartialDate:
    if year - 1 <= EARLIEST.year:
        raise ValidationError(
            f"“before {year}” is not a date we record: the earliest is {EARLIEST.day} "
            f"{calendar.month_name[EARLIEST.month]} {EARLIEST.year}, the Soviet state's first day. "
            "Write a later year, e.g. “before 1941”.",
            code="invalid",
        )
    return PartialDate(EARLIEST, date(year - 1, 12, 31), Precision.BEFORE)


def _after(year: int) -> PartialDate:
    """From the next year to today: the end is the day the date is read."""
    from defections.withholding import today  # withholding imports the models, which import us

    start, end = date(year + 1, 1, 1), today()
    if start > end:
        raise ValidationError(f"“after {year}” is in the future: nothing after it has happened yet.",
                              code="invalid")
    return PartialDate(start, end, Precision.AFTER)


def _month_number(name: str) -> int:
    number = MONTHS.get(name.lower().rstrip("."))
    if number is None:
        raise ValueError
    return number


def _words(*vocabularies) -> str:
    """A regex alternation of words; a word written with a final dot may omit it."""
    words = sorted({word for vocabulary in vocabularies for word in vocabulary}, key=len, reverse=True)
    return "|".join(re.escape(w.rstrip(".")) + (r"\.?" if w.endswith(".") else "") for w in words)


_LETTERS = r"[^\W\d_]+\.?"  # a word in any alphabet, perhaps shortened ("Sept.", "сент.")
_DECADE = r"(\d{3})0(?:['’]?s|-?(?:" + _words(dates_ru.DECADE_ENDINGS) + "))"  # 1950s, 1950-х
_CIRCA = _words(("c.", "ca.", "circa", "about", "approx."), dates_ru.CIRCA)
_SEASON = _words(SEASONS)
_TO = r" ?[-–—/] ?"
_PREPOSITION = re.compile(r"^(?:" + _words(dates_ru.PREPOSITIONS) + ") ", re.IGNORECASE)
_YEAR_WORDS = re.compile(r"(?<=[\dех]) ?(?:" + _words(dates_ru.YEAR_WORDS) + ")$", re.IGNORECASE)

# (pattern, builder) pairs, tried in order; the text is stripped and spaces collapsed.
# A builder's ValueError means the shape matched but a part does not exist (month 13, 31
# February, "Smarch"): the next pattern is tried.
_PATTERNS = [
    (r"(\d{4})-(\d{1,2})-(\d{1,2})", lambda y, m, d: _day(_year(y), int(m), int(d))),
    (r"(\d{1,2})\.(\d{1,2})\.(\d{4})", lambda d, m, y: _day(_year(y), int(m), int(d))),
    (rf"(\d{{1,2}}) ({_LETTERS}),? (\d{{4}})", lambda d, m, y: _day(_year(y), _month_number(m), int(d))),
    (rf"({_LETTERS}) (\d{{1,2}}),? (\d{{4}})", lambda m, d, y: _day(_year(y), _month_number(m), int(d))),
    (r"(\d{4})-(\d{1,2})", lambda y, m: _month(_year(y), int(m))),
    (r"(\d{1,2})\.(\d{4})", lambda m, y: _month(_year(y), int(m))),
    (rf"({_SEASON}),? (\d{{4}})", lambda s, y: _season(s, _year(y))),
    (rf"({_SEASON}),? (\d{{4}}){_TO}(\d{{4}}|\d{{2}})", lambda s, a, b: _winter(s, _year(a), b)),
    (rf"({_words(DECADE_PART_WORDS)})[- ]?{_DECADE}", lambda p, d: _decade(_year(d + "0"), p)),
    (rf"(?:{_CIRCA}) ?(\d{{4}})", lambda y: _circa(_year(y))),
    (rf"(?:before|{_words(dates_ru.BEFORE)}) (\d{{4}})", lambda y: _before(_year(y))),
    (rf"(?:after|{_words(dates_ru.AFTER)}) (\d{{4}})", lambda y: _after(_year(y))),
    (rf"({_LETTERS}),? (\d{{4}})", lambda m, y: _month(_year(y), _month_number(m))),
    (r"(\d{4})", lambda y: _years(_year(y), _year(y))),
    (rf"(\d{{4}}){_TO}(\d{{4}})", lambda a, b: _years(_year(a), _year(b))),
    (_DECADE, lambda d: _decade(_year(d + "0"))),
]


def parse_partial_date(text: str) -> PartialDate | None:
    """Read what a researcher typed. Blank text is an unknown date (None)."""
    cleaned = re.sub(r"\s+", " ", (text or "").strip())
    cleaned = _YEAR_WORDS.sub("", _PREPOSITION.sub("", cleaned))  # "в 1941 г." is 1941
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


def _written_winter(start: date) -> str:
    """Both years, as historians write a winter: "winter 1952–53" (but "winter 1999–2000")."""
    last = start.year + 1
    if last // 100 != start.year // 100:
        return f"winter {start.year:04d}–{last:04d}"
    return f"winter {start.year:04d}–{last % 100:02d}"


def format_partial_date(start: date | None, end: date | None, precision: str | None) -> str:
    """Write a partial date back the way researchers write it ("March 2026")."""
    if start is None or not precision:
        return ""
    end = end or start
    if precision == Precision.DAY:
        return f"{start.day} {calendar.month_name[start.month]} {start.year:04d}"
    if precision == Precision.MONTH:
        return f"{calendar.month_name[start.month]} {start.year:04d}"
    if precision == Precision.SEASON and start.month in SEASON_NAMES:
        name = SEASON_NAMES[start.month]
        return _written_winter(start) if name == "winter" else f"{name} {start.year:04d}"
    if precision == Precision.DECADE:
        first = start.year - start.year % 10
        return WRITTEN_PARTS.get((start.year - first, end.year - first), "") + f"{first:04d}s"
    if precision == Precision.CIRCA:
        return f"c. {(start.year + end.year) // 2:04d}"
    if precision == Precision.BEFORE:
        return f"before {end.year + 1:04d}"
    if precision == Precision.AFTER:
        return f"after {start.year - 1:04d}"
    if end.year != start.year:
        return f"{start.year:04d}–{end.year:04d}"
    return f"{start.year:04d}"


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
    # The interval must be one its precision says: what it is shown as reads back to it
    # ("after" ends on the day it was recorded, so only its start is read back).
    written = format_partial_date(start, end, precision)
    try:
        back = parse_partial_date(written)
    except ValidationError:
        back = None
    same = back is not None and (back.start, back.precision) == (start, precision) and (
        back.end == end or precision == Precision.AFTER)
    if not same:
        raise ValidationError(
            f"{start.isoformat()}..{end.isoformat()} is not a {Precision(precision).label.lower()} "
            f"date: as one it reads “{written}”. Give the interval that text means, or the text.",
            code="inexpressible")
    return PartialDate(start, end, precision)
