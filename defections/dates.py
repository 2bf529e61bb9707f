"""Partial dates: what researchers know about when something happened.

A partial date is an interval (start..end) plus a precision. "March 2026" is
2026-03-01..2026-03-31 at month precision. There is one parser for what people
type and one formatter that writes it back, so that format(parse(text)) reads as
the researcher meant it and parse(format(date)) gives the same date back.

Researchers write in English or Russian ("22 июня 1941 г."); the formatter writes the
reader's language ("March 2026", "март 2026"), and either reads back to the same interval.
The Russian words are in dates_ru.py.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from defections import dates_ru, languages
from defections.choices import define


class Precision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    SEASON = "season", _("Season")
    YEAR = "year", _("Year")
    DECADE = "decade", _("Decade")
    CIRCA = "circa", _("Circa")
    BEFORE = "before", _("Before")
    AFTER = "after", _("After")


# The Soviet state's first day: the earliest date this database records, so "before 1941"
# means from then to the end of 1940 (and "before 1918" or earlier says nothing).
EARLIEST = date(1917, 11, 7)

# "c. 1953" is a best estimate: stored as that many whole years either side (1951–1955), so
# that a filter on 1952 finds it and the interval says how unsure the year is.
CIRCA_YEARS = 2

define(Precision, {
    Precision.DAY: _("The exact day is known, e.g. “24 February 2022”."),
    Precision.MONTH: _("The month is known, e.g. “March 2026”."),
    Precision.SEASON: _("The season is known, e.g. “spring 1953” (March to May); a winter runs "
                        "from December to February, e.g. “winter 1952–53”."),
    Precision.YEAR: _("The year (or a span of whole years) is known, e.g. “2018” or “1936–1938”."),
    Precision.DECADE: _("Only the decade, or its early, middle or late years, is known, e.g. "
                        "“1930s”, “early 1950s” (1950–1953), “mid-1950s” (1954–1956) or “late "
                        "1980s” (1987–1989)."),
    Precision.CIRCA: format_lazy(_("An approximate year, e.g. “c. 1953”: the year given is a best "
                                   "estimate, and the date is any time within {years} years either "
                                   "side of it (1951–1955)."), years=CIRCA_YEARS),
    Precision.BEFORE: _("Only a year it happened before is known, e.g. “before 1941”: any time "
                        "from 7 November 1917, the earliest date recorded, to the end of 1940."),
    Precision.AFTER: _("Only a year it happened after is known, e.g. “after 1991”: any time from "
                       "1 January 1992 to the day it was recorded."),
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

EXAMPLES = _("“24 February 2022”, “22.06.1941”, “March 2026”, “spring 1953”, “2018”, “1930s”, "
              "“early 1950s”, “c. 1953”, “before 1941” or “after 1991”, in English or Russian "
              "(“22 июня 1941 г.”)")


def _either(*written: str) -> str:
    """Alternative ways of writing one date, joined by the reader's "or"."""
    return pgettext("between alternative ways of writing a date", " or ").join(written)


class DateForm(NamedTuple):
    """One way of writing a date: examples (alternatives joined by " or "), and what they are
    stored as, in words; both in the reader's language (lazy). `examples` are the alternatives."""

    written: str
    stored: str
    examples: tuple[str, ...] = ()

    @property
    def lang(self) -> str:
        """The language the examples are written in (not the "or" between them)."""
        sample = self.examples[0] if self.examples else str(self.written)
        return "ru" if re.search(r"[а-яё]", sample, re.IGNORECASE) else "en"


# A day written out in the reader's language ("1 March 2026", "1 марта 2026"), when shown.
_long = lazy(lambda day: format_partial_date(day, day, Precision.DAY), str)


def _form(written: tuple[str, ...], stored, start: date, end: date | None = None) -> DateForm:
    """A row of ACCEPTED: stored is a message naming the interval's {start} and {end}."""
    return DateForm(lazy(_either, str)(*written),
                    format_lazy(stored, start=_long(start), end=_long(end) if end else "",
                                years=CIRCA_YEARS), written)


_DAY = _("the day, {start}")
_MONTH = _("the month: {start} – {end}")
_SEASON = _("the season: {start} – {end}")
_YEAR = _("the year: {start} – {end}")
_YEARS = _("the years: {start} – {end}")
_DECADE_WHOLE = _("the decade: {start} – {end}")
_DECADE_PART = _("part of a decade: {start} – {end}")
_ABOUT = _("about a year, give or take {years}: {start} – {end}")
_BEFORE_YEAR = _("before a year: {start} (the earliest date recorded) – {end}")
_AFTER_YEAR = _("after a year: {start} – the day it is recorded")
_D = date


def _winter_1953(*written):
    return _form(written, _SEASON, _D(1952, 12, 1), _D(1953, 2, 28))


def _circa_1953(*written):
    return _form(written, _ABOUT, _D(1951, 1, 1), _D(1955, 12, 31))


# Every form the parser reads, for the /about/ page (templates/_date_forms.html).
ACCEPTED = [
    _form(("24 February 2022", "February 24, 2022", "2022-02-24"), _DAY, _D(2022, 2, 24)),
    _form(("22.06.1941",), _DAY, _D(1941, 6, 22)),
    _form(("March 2026", "Mar. 2026", "2026-03"), _MONTH, _D(2026, 3, 1), _D(2026, 3, 31)),
    _form(("06.1941",), _MONTH, _D(1941, 6, 1), _D(1941, 6, 30)),
    _form(("spring 1953",), _SEASON, _D(1953, 3, 1), _D(1953, 5, 31)),
    _form(("summer 1953",), _SEASON, _D(1953, 6, 1), _D(1953, 8, 31)),
    _form(("autumn 1953", "fall 1953"), _SEASON, _D(1953, 9, 1), _D(1953, 11, 30)),
    _winter_1953("winter 1953", "winter 1952–53", "winter 1952/53"),
    _form(("2018",), _YEAR, _D(2018, 1, 1), _D(2018, 12, 31)),
    _form(("1936–1938",), _YEARS, _D(1936, 1, 1), _D(1938, 12, 31)),
    _form(("1950s",), _DECADE_WHOLE, _D(1950, 1, 1), _D(1959, 12, 31)),
    _form(("early 1950s",), _DECADE_PART, _D(1950, 1, 1), _D(1953, 12, 31)),
    _form(("mid-1950s", "mid 1950s"), _DECADE_PART, _D(1954, 1, 1), _D(1956, 12, 31)),
    _form(("late 1980s",), _DECADE_PART, _D(1987, 1, 1), _D(1989, 12, 31)),
    _circa_1953("c. 1953", "ca. 1953", "circa 1953", "about 1953", "approx. 1953"),
    _form(("before 1941",), _BEFORE_YEAR, EARLIEST, _D(1940, 12, 31)),
    _form(("after 1991",), _AFTER_YEAR, _D(1992, 1, 1)),
    _form(("22 июня 1941 г.",), _DAY, _D(1941, 6, 22)),
    _form(("июнь 1941", "июня 1941", "в июне 1941", "июн. 1941"), _MONTH, _D(1941, 6, 1), _D(1941, 6, 30)),
    _form(("весна 1953", "весной 1953"), _SEASON, _D(1953, 3, 1), _D(1953, 5, 31)),
    _form(("лето 1953", "летом 1953"), _SEASON, _D(1953, 6, 1), _D(1953, 8, 31)),
    _form(("осень 1953", "осенью 1953"), _SEASON, _D(1953, 9, 1), _D(1953, 11, 30)),
    _winter_1953("зима 1953", "зима 1952/53", "зимой 1952/53"),
    _form(("1941 г.", "1941 год", "в 1941 году"), _YEAR, _D(1941, 1, 1), _D(1941, 12, 31)),
    _form(("1930-е", "1930-е гг.", "1930-е годы"), _DECADE_WHOLE, _D(1930, 1, 1), _D(1939, 12, 31)),
    _form(("начало 1950-х",), _DECADE_PART, _D(1950, 1, 1), _D(1953, 12, 31)),
    _form(("середина 1950-х",), _DECADE_PART, _D(1954, 1, 1), _D(1956, 12, 31)),
    _form(("конец 1980-х",), _DECADE_PART, _D(1987, 1, 1), _D(1989, 12, 31)),
    _circa_1953("около 1953", "ок. 1953"),
    _form(("до 1941",), _BEFORE_YEAR, EARLIEST, _D(1940, 12, 31)),
    _form(("после 1991",), _AFTER_YEAR, _D(1992, 1, 1)),
]


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
        raise ValidationError(gettext("The span “%(first)s–%(last)s” ends before it starts.")
                              % {"first": first, "last": last}, code="invalid")
    return PartialDate(date(first, 1, 1), date(last, 12, 31), Precision.YEAR)


def _decade(first: int, part: str | None = None) -> PartialDate:
    low, high = DECADE_PARTS[_lookup(DECADE_PART_WORDS, part)] if part else (0, 9)
    return PartialDate(date(first + low, 1, 1), date(first + high, 12, 31), Precision.DECADE)


def _circa(year: int) -> PartialDate:
    return PartialDate(date(year - CIRCA_YEARS, 1, 1), date(year + CIRCA_YEARS, 12, 31), Precision.CIRCA)


def _before(year: int) -> PartialDate:
    if year - 1 <= EARLIEST.year:
        raise ValidationError(
            gettext("“before %(year)s” is not a date we record: the earliest is %(earliest)s, the "
                    "Soviet state's first day. Write a later year, e.g. “before 1941”.")
            % {"year": year, "earliest": _long(EARLIEST)},
            code="invalid",
        )
    return PartialDate(EARLIEST, date(year - 1, 12, 31), Precision.BEFORE)


def _after(year: int) -> PartialDate:
    """From the next year to today: the end is the day the date is read."""
    from defections.withholding import today  # withholding imports the models, which import us

    start, end = date(year + 1, 1, 1), today()
    if start > end:
        raise ValidationError(gettext("“after %(year)s” is in the future: nothing after it has "
                                      "happened yet.") % {"year": year}, code="invalid")
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
        gettext("“%(text)s” is not a date we can read. Write it as %(examples)s."),
        code="invalid",
        params={"text": text, "examples": str(EXAMPLES)},
    )


def _written_winter(start: date, ru: bool) -> str:
    """Both years, as historians write a winter: "winter 1952–53" (but "winter 1999–2000"),
    "зима 1952/53"."""
    last = start.year + 1
    name, between = ("зима", "/") if ru else ("winter", "–")
    if last // 100 != start.year // 100:
        return f"{name} {start.year:04d}{between}{last:04d}"
    return f"{name} {start.year:04d}{between}{last % 100:02d}"


def format_partial_date(start: date | None, end: date | None, precision: str | None,
                        lang: str | None = None) -> str:
    """Write a partial date back the way researchers write it, in lang (by default the
    reader's): "March 2026", "март 2026". Either reads back to the same date."""
    if start is None or not precision:
        return ""
    end = end or start
    ru = (languages.normalize(lang) or languages.current()) == "ru"
    if precision == Precision.DAY:
        month = dates_ru.MONTH_GENITIVE[start.month] if ru else calendar.month_name[start.month]
        return f"{start.day} {month} {start.year:04d}"
    if precision == Precision.MONTH:
        month = dates_ru.MONTH_NAMES[start.month] if ru else calendar.month_name[start.month]
        return f"{month} {start.year:04d}"
    if precision == Precision.SEASON and start.month in SEASON_NAMES:
        if start.month == 12:
            return _written_winter(start, ru)
        return f"{(dates_ru.SEASON_NAMES if ru else SEASON_NAMES)[start.month]} {start.year:04d}"
    if precision == Precision.DECADE:
        first = start.year - start.year % 10
        part = (start.year - first, end.year - first)
        if ru:
            named = dates_ru.WRITTEN_PARTS.get(part)
            return f"{named} {first:04d}-х" if named else f"{first:04d}-е"
        return WRITTEN_PARTS.get(part, "") + f"{first:04d}s"
    if precision == Precision.CIRCA:
        return f"{dates_ru.CIRCA[0] if ru else 'c.'} {(start.year + end.year) // 2:04d}"
    if precision == Precision.BEFORE:
        return f"{dates_ru.BEFORE[0] if ru else 'before'} {end.year + 1:04d}"
    if precision == Precision.AFTER:
        return f"{dates_ru.AFTER[0] if ru else 'after'} {start.year - 1:04d}"
    if end.year != start.year:
        return f"{start.year:04d}–{end.year:04d}"
    return f"{start.year:04d}"


def check_interval(start: date | None, end: date | None, precision: str | None) -> PartialDate | None:
    """Validate a start/end/precision triple as given directly (the API's other form)."""
    if start is None and end is None and not precision:
        return None
    if start is None or end is None or not precision:
        raise ValidationError(
            gettext("A date needs its start, end and precision together (or none of them)."),
            code="incomplete",
        )
    if start > end:
        raise ValidationError(gettext("The date ends before it starts."), code="start_after_end")
    if precision not in Precision.values:
        raise ValidationError(gettext("“%(precision)s” is not a date precision.") % {"precision": precision},
                              code="invalid_choice")
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
            gettext("%(start)s..%(end)s is not a %(precision)s date: as one it reads “%(written)s”. "
                    "Give the interval that text means, or the text.")
            % {"start": start.isoformat(), "end": end.isoformat(),
               "precision": Precision(precision).label.lower(), "written": written},
            code="inexpressible")
    return PartialDate(start, end, precision)
