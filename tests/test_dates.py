import re
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.utils import translation

from defections.dates import (
    ACCEPTED,
    CIRCA_YEARS,
    EARLIEST,
    EXAMPLES,
    PartialDate,
    Precision,
    check_interval,
    format_partial_date,
    parse_partial_date,
)
from defections.models import Case, Person

TODAY = date(2026, 11, 27)


@pytest.fixture
def frozen():
    """"after 1991" runs to today: the clock stands still on TODAY."""
    with time_machine.travel(datetime.combine(TODAY, datetime.min.time(), UTC).replace(hour=12),
                             tick=False):
        yield


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "written"),
    [
        ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("March 2026", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("mar 2026", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month", "February 2024"),
        ("06.1941", date(1941, 6, 1), date(1941, 6, 30), "month", "June 1941"),
        ("1930s", date(1930, 1, 1), date(1939, 12, 31), "decade", "1930s"),
        ("early 1950s", date(1950, 1, 1), date(1953, 12, 31), "decade", "early 1950s"),
        ("mid-1950s", date(1954, 1, 1), date(1956, 12, 31), "decade", "mid-1950s"),
        ("mid 1950s", date(1954, 1, 1), date(1956, 12, 31), "decade", "mid-1950s"),
        ("late 1980s", date(1987, 1, 1), date(1989, 12, 31), "decade", "late 1980s"),
        ("c. 1953", date(1951, 1, 1), date(1955, 12, 31), "circa", "c. 1953"),
        ("circa 1953", date(1951, 1, 1), date(1955, 12, 31), "circa", "c. 1953"),
        ("ca. 1953", date(1951, 1, 1), date(1955, 12, 31), "circa", "c. 1953"),
        ("about 1953", date(1951, 1, 1), date(1955, 12, 31), "circa", "c. 1953"),
        ("approx. 1953", date(1951, 1, 1), date(1955, 12, 31), "circa", "c. 1953"),
        ("24 February 2022", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("2022-02-24", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("February 24, 2022", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("22.06.1941", date(1941, 6, 22), date(1941, 6, 22), "day", "22 June 1941"),
        ("2018", date(2018, 1, 1), date(2018, 12, 31), "year", "2018"),
        ("1936-1938", date(1936, 1, 1), date(1938, 12, 31), "year", "1936–1938"),
        ("  March   2026 ", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("spring 1953", date(1953, 3, 1), date(1953, 5, 31), "season", "spring 1953"),
        ("Summer 1953", date(1953, 6, 1), date(1953, 8, 31), "season", "summer 1953"),
        ("autumn 1953", date(1953, 9, 1), date(1953, 11, 30), "season", "autumn 1953"),
        ("fall 1953", date(1953, 9, 1), date(1953, 11, 30), "season", "autumn 1953"),
        ("winter 1953", date(1952, 12, 1), date(1953, 2, 28), "season", "winter 1952–53"),
        ("winter 1952–53", date(1952, 12, 1), date(1953, 2, 28), "season", "winter 1952–53"),
        ("winter 1952/53", date(1952, 12, 1), date(1953, 2, 28), "season", "winter 1952–53"),
        ("winter 1952-1953", date(1952, 12, 1), date(1953, 2, 28), "season", "winter 1952–53"),
        ("winter 1944", date(1943, 12, 1), date(1944, 2, 29), "season", "winter 1943–44"),
        ("winter 2000", date(1999, 12, 1), date(2000, 2, 29), "season", "winter 1999–2000"),
        ("winter 1999/00", date(1999, 12, 1), date(2000, 2, 29), "season", "winter 1999–2000"),
        ("before 1941", EARLIEST, date(1940, 12, 31), "before", "before 1941"),
        ("Before 1919", EARLIEST, date(1918, 12, 31), "before", "before 1919"),
        ("after 1991", date(1992, 1, 1), TODAY, "after", "after 1991"),
        ("after 2025", date(2026, 1, 1), TODAY, "after", "after 2025"),
    ],
)
def test_parse_and_format(frozen, text, start, end, precision, written):
    parsed = parse_partial_date(text)
    assert parsed == PartialDate(start, end, precision)
    assert str(parsed) == written
    # The written form reads back to the same date: a round trip.
    assert parse_partial_date(written) == parsed
    assert format_partial_date(start, end, precision) == written


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("июнь 1941", "June 1941"),
        ("Июня 1941", "June 1941"),
        ("ИЮНЬ 1941", "June 1941"),
        ("в июне 1941", "June 1941"),
        ("март 2026", "March 2026"),
        ("марта 2026", "March 2026"),
        ("сент. 1941", "September 1941"),
        ("май 1945", "May 1945"),
        ("22 июня 1941", "22 June 1941"),
        ("22 июня 1941 г.", "22 June 1941"),
        ("9 мая 1945 года", "9 May 1945"),
        ("22.06.1941 г.", "22 June 1941"),
        ("1941 г.", "1941"),
        ("1941 г", "1941"),
        ("1941г.", "1941"),
        ("1941 год", "1941"),
        ("1941 года", "1941"),
        ("в 1941 году", "1941"),
        ("1936–1938 гг.", "1936–1938"),
        ("1930-е", "1930s"),
        ("1930-е гг.", "1930s"),
        ("1930-е годы", "1930s"),
        ("1930-х", "1930s"),
        ("около 1953", "c. 1953"),
        ("ок. 1953", "c. 1953"),
        ("около 1953 г.", "c. 1953"),
        ("до 1941", "before 1941"),
        ("до 1941 года", "before 1941"),
        ("после 1991", "after 1991"),
        ("весна 1953", "spring 1953"),
        ("весной 1953", "spring 1953"),
        ("лето 1953", "summer 1953"),
        ("летом 1953", "summer 1953"),
        ("осень 1953", "autumn 1953"),
        ("осенью 1953 г.", "autumn 1953"),
        ("зима 1953", "winter 1952–53"),
        ("зимой 1952/53", "winter 1952–53"),
        ("зима 1952–1953 гг.", "winter 1952–53"),
        ("начало 1950-х", "early 1950s"),
        ("в начале 1950-х годов", "early 1950s"),
        ("середина 1950-х", "mid-1950s"),
        ("конец 1980-х", "late 1980s"),
    ],
)
def test_russian_reads_back_from_the_english_written_form(frozen, text, written):
    parsed = parse_partial_date(text)
    assert str(parsed) == written
    assert parse_partial_date(written) == parsed


@pytest.mark.parametrize(
    ("start", "end", "precision", "written"),
    [
        # A circa stored before codebook version 3 (the one year) still reads as written.
        (date(1953, 1, 1), date(1953, 12, 31), "circa", "c. 1953"),
        (date(1950, 1, 1), date(1959, 12, 31), "decade", "1950s"),
        (date(1950, 1, 1), date(1953, 12, 31), "decade", "early 1950s"),
        (date(1954, 1, 1), date(1956, 12, 31), "decade", "mid-1950s"),
        (date(1957, 1, 1), date(1959, 12, 31), "decade", "late 1950s"),
        (date(1952, 1, 1), date(1955, 12, 31), "decade", "1950s"),  # no part: the whole decade
        (date(1917, 11, 7), date(1940, 12, 31), "before", "before 1941"),
        (date(1992, 1, 1), date(2020, 5, 4), "after", "after 1991"),  # recorded on another day
        (date(1952, 12, 1), date(1953, 2, 28), "season", "winter 1952–53"),
        (date(1953, 4, 1), date(1953, 6, 30), "season", "1953"),  # not a season's months: the year
    ],
)
def test_format_recognises_the_interval(start, end, precision, written):
    assert format_partial_date(start, end, precision) == written


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_is_unknown(text):
    assert parse_partial_date(text) is None
    assert format_partial_date(None, None, "") == ""


@pytest.mark.parametrize(
    "text",
    ["2022-02-30", "2026-13", "Smarch 2020", "13/2020", "0000", "abc", "1930s-", "99999",
     "2022-02-24T10:00", "March", "1940-1930", "\x00", "c. 19533",
     "before 1900", "before 1918", "early 19500s", "spring", "32.01.2020", "зима", "13.2020",
     "winter 1952–54", "spring 1952–53", "after 2026", "before", "mid-", "до", "июнь", "1941 г. г.",
     "early 1953", "c. 0001"],
)
def test_bad_text_is_a_clear_error(frozen, text):
    with pytest.raises(ValidationError) as excinfo:
        parse_partial_date(text)
    message = excinfo.value.messages[0]
    assert any(clear in message for clear in [
        str(EXAMPLES), "ends before it starts", "the earliest is 7 November 1917", "is in the future"])


def test_before_the_earliest_date_says_so():
    with pytest.raises(ValidationError, match="the earliest is 7 November 1917"):
        parse_partial_date("before 1918")
    with pytest.raises(ValidationError, match="the earliest is 7 November 1917"):
        parse_partial_date("до 1900")


def test_after_runs_to_the_day_it_is_read():
    with time_machine.travel(datetime(2030, 3, 1, 12, tzinfo=UTC), tick=False):
        assert parse_partial_date("after 1991") == PartialDate(date(1992, 1, 1), date(2030, 3, 1), "after")
    with time_machine.travel(datetime(2026, 12, 31, 12, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError, match="in the future"):
            parse_partial_date("after 2026")


def test_constants():
    assert EARLIEST == date(1917, 11, 7) and CIRCA_YEARS == 2
    assert "2 years either side" in Precision.definitions["circa"]
    for value in ["season", "before", "after"]:
        assert value in Precision.values and "e.g." in Precision.definitions[value]
    # The precision columns hold every code.
    for model, name in [(Case, "date_precision"), (Person, "birth_precision"), (Person, "death_precision")]:
        assert max(map(len, Precision.values)) <= model._meta.get_field(name).max_length


def test_every_example_is_read():
    for example in re.findall(r"“([^”]+)”", str(EXAMPLES)):
        assert parse_partial_date(example) is not None, example


def test_accepted_covers_every_form_and_says_what_is_stored(frozen):
    precisions, languages = set(), set()
    for row in ACCEPTED:
        languages.add(row.lang)
        for example in row.written.split(" or "):
            parsed = parse_partial_date(example)
            precisions.add(parsed.precision)
            for day in [parsed.start, parsed.end]:
                words = f"{day.day} {day:%B} {day.year}"
                assert words in row.stored or (day == TODAY and "the day it is recorded" in row.stored), (
                    example, words, row.stored)
    assert precisions == set(Precision.values)
    assert languages == {"en", "ru"}


def test_the_table_of_date_forms():
    html = render_to_string("_date_forms.html", {"date_forms": ACCEPTED})
    assert "<caption>Dates we read</caption>" in html
    assert html.count("<tr>") == len(ACCEPTED) + 1
    assert '<th scope="row" lang="ru">до 1941</th>' in html
    assert "<td>the day, 22 June 1941</td>" in html


def test_check_interval():
    assert check_interval(None, None, "") is None
    assert check_interval(date(2020, 1, 1), date(2020, 12, 31), "year").precision == "year"
    assert check_interval(date(1953, 3, 1), date(1953, 5, 31), "season").precision == "season"
    with pytest.raises(ValidationError, match="together"):
        check_interval(date(2020, 1, 1), None, "year")
    with pytest.raises(ValidationError, match="ends before"):
        check_interval(date(2021, 1, 1), date(2020, 1, 1), "year")
    with pytest.raises(ValidationError, match="not a date precision"):
        check_interval(date(2020, 1, 1), date(2020, 1, 1), "week")


@pytest.mark.parametrize("text", ["ſpring 1953", "sprıng 1953", "mıd-1950s", "ſummer 1953", "wınter 1952/53"])
def test_letters_a_case_blind_pattern_folds_are_a_clear_error(text):
    """Python's regex matches ſ as s and ı as i; the words they spell are not ours (a 500)."""
    with pytest.raises(ValidationError):
        parse_partial_date(text)


@pytest.mark.parametrize(("start", "end", "precision", "written"), [
    (date(999, 1, 1), date(999, 12, 31), "year", "0999"),
    (date(3, 3, 5), date(3, 3, 5), "day", "5 March 0003"),
    (date(990, 1, 1), date(999, 12, 31), "decade", "0990s"),
])
def test_years_before_1000_are_written_as_they_are_read(start, end, precision, written):
    assert format_partial_date(start, end, precision) == written
    assert parse_partial_date(written) == PartialDate(start, end, precision)


@pytest.mark.parametrize(("start", "end", "precision"), [
    (date(2020, 3, 1), date(2025, 12, 31), "day"),      # shown as "1 March 2020"
    (date(2020, 3, 1), date(2020, 3, 1), "circa"),      # shown as "c. 2020", which is 2018–2022
    (date(1953, 1, 1), date(1953, 12, 31), "decade"),   # shown as "1950s"
    (date(2000, 6, 1), date(2000, 6, 30), "before"),    # shown as "before 2001"
    (date(1992, 6, 1), date(2000, 1, 1), "after"),      # shown as "after 1991"
])
def test_a_triple_must_be_an_interval_its_precision_can_say(start, end, precision):
    with pytest.raises(ValidationError) as excinfo:
        check_interval(start, end, precision)
    assert excinfo.value.code == "inexpressible"


def test_a_triple_its_precision_can_say_is_taken():
    assert check_interval(date(1951, 1, 1), date(1955, 12, 31), "circa").precision == "circa"
    assert check_interval(date(1992, 1, 1), date(2020, 5, 1), "after").end == date(2020, 5, 1)


# --- Russian: dates as a Russian reader writes them, each reading back to the same date ---

RUSSIAN = [
    (date(2026, 3, 1), date(2026, 3, 31), "month", "март 2026"),
    (date(1941, 5, 1), date(1941, 5, 31), "month", "май 1941"),
    (date(1941, 6, 22), date(1941, 6, 22), "day", "22 июня 1941"),
    (date(2022, 2, 24), date(2022, 2, 24), "day", "24 февраля 2022"),
    (date(1945, 5, 9), date(1945, 5, 9), "day", "9 мая 1945"),
    (date(1951, 1, 1), date(1955, 12, 31), "circa", "около 1953"),
    (date(1953, 1, 1), date(1953, 12, 31), "circa", "около 1953"),  # stored before version 3
    (date(1930, 1, 1), date(1939, 12, 31), "decade", "1930-е"),
    (date(1950, 1, 1), date(1953, 12, 31), "decade", "начало 1950-х"),
    (date(1954, 1, 1), date(1956, 12, 31), "decade", "середина 1950-х"),
    (date(1987, 1, 1), date(1989, 12, 31), "decade", "конец 1980-х"),
    (date(1952, 1, 1), date(1955, 12, 31), "decade", "1950-е"),  # no part: the whole decade
    (date(1953, 3, 1), date(1953, 5, 31), "season", "весна 1953"),
    (date(1953, 6, 1), date(1953, 8, 31), "season", "лето 1953"),
    (date(1953, 9, 1), date(1953, 11, 30), "season", "осень 1953"),
    (date(1952, 12, 1), date(1953, 2, 28), "season", "зима 1952/53"),
    (date(1999, 12, 1), date(2000, 2, 29), "season", "зима 1999/2000"),
    (date(1917, 11, 7), date(1940, 12, 31), "before", "до 1941"),
    (date(1992, 1, 1), TODAY, "after", "после 1991"),
    (date(2018, 1, 1), date(2018, 12, 31), "year", "2018"),
    (date(1936, 1, 1), date(1938, 12, 31), "year", "1936–1938"),
    (date(999, 1, 1), date(999, 12, 31), "year", "0999"),
    (date(990, 1, 1), date(999, 12, 31), "decade", "0990-е"),
]


@pytest.mark.parametrize(("start", "end", "precision", "written"), RUSSIAN)
def test_russian_display_reads_back_to_the_same_date(frozen, start, end, precision, written):
    with translation.override("ru"):
        assert format_partial_date(start, end, precision) == written
        assert str(PartialDate(start, end, precision)) == written
        back = parse_partial_date(written)
    assert format_partial_date(start, end, precision, lang="ru") == written  # asked for, in English
    english = format_partial_date(start, end, precision)
    assert not re.search("[а-яё]", english)  # the English reader still reads English
    # Both read back to one date: the interval itself where it is one its precision can say.
    assert back == parse_partial_date(english)
    if (start, end) not in [(date(1953, 1, 1), date(1953, 12, 31)), (date(1952, 1, 1), date(1955, 12, 31))]:
        assert back == PartialDate(start, end, precision)


def test_every_english_form_reads_back_from_its_russian_display(frozen):
    """The whole table of English forms, shown to a Russian reader, parses to the same date."""
    for text, *_ in test_parse_and_format.pytestmark[0].args[1]:
        parsed = parse_partial_date(text)
        with translation.override("ru"):
            russian = str(parsed)
        assert re.search("[а-яё]", russian) or re.fullmatch(r"[\d–]+", russian), russian
        assert parse_partial_date(russian) == parsed, (text, russian)


def test_check_interval_accepts_what_a_russian_reader_is_shown(frozen):
    with translation.override("ru"):
        assert check_interval(date(1952, 12, 1), date(1953, 2, 28), "season").precision == "season"
        assert check_interval(date(1992, 1, 1), date(2020, 5, 1), "after").end == date(2020, 5, 1)
        with pytest.raises(ValidationError) as excinfo:
            check_interval(date(1953, 1, 1), date(1953, 12, 31), "decade")
        assert "«1950-е»" in excinfo.value.messages[0]


def test_errors_in_russian(frozen):
    with translation.override("ru"):
        for text, words in [("abc", "Не удаётся прочесть"), ("до 1900", "7 ноября 1917"),
                            ("после 2026", "в будущем"), ("1940-1930", "кончается раньше")]:
            with pytest.raises(ValidationError) as excinfo:
                parse_partial_date(text)
            assert words in excinfo.value.messages[0], excinfo.value.messages[0]
            assert not re.search(r"\b(?:date|before|after|the)\b", excinfo.value.messages[0])
        assert Precision.CIRCA.label == "Приблизительно"
        assert "в пределах 2 лет" in str(Precision.definitions["circa"])


def test_russian_examples_are_read():
    with translation.override("ru"):
        examples = str(EXAMPLES)
    found = re.findall(r"«([^»]+)»", examples)
    assert len(found) >= 10
    for example in found:
        assert parse_partial_date(example) is not None, example


def test_the_table_of_date_forms_in_russian(frozen):
    with translation.override("ru"):
        html = render_to_string("_date_forms.html", {"date_forms": ACCEPTED})
        for row in ACCEPTED:
            for example in str(row.written).split(" или "):
                parsed = parse_partial_date(example)
                for day in [parsed.start, parsed.end]:
                    if day != TODAY:
                        assert format_partial_date(day, day, "day") in str(row.stored), (example, row.stored)
        assert [row.lang for row in ACCEPTED].count("en") == 17  # not Russian for its "или"
    assert "июнь 1941 или июня 1941" in html
    assert '>24 February 2022 или February 24, 2022' in html and 'lang="ru">24 February' not in html
    assert "день, 22 июня 1941" in html
    assert "the day" not in html and " or " not in html
