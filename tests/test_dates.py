from datetime import date

import pytest
from django.core.exceptions import ValidationError

from defections.dates import PartialDate, check_interval, format_partial_date, parse_partial_date


@pytest.mark.parametrize(
    ("text", "start", "end", "precision", "written"),
    [
        ("2026-03", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("March 2026", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("mar 2026", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29), "month", "February 2024"),
        ("1930s", date(1930, 1, 1), date(1939, 12, 31), "decade", "1930s"),
        ("c. 1953", date(1953, 1, 1), date(1953, 12, 31), "circa", "c. 1953"),
        ("circa 1953", date(1953, 1, 1), date(1953, 12, 31), "circa", "c. 1953"),
        ("24 February 2022", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("2022-02-24", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("February 24, 2022", date(2022, 2, 24), date(2022, 2, 24), "day", "24 February 2022"),
        ("2018", date(2018, 1, 1), date(2018, 12, 31), "year", "2018"),
        ("1936-1938", date(1936, 1, 1), date(1938, 12, 31), "year", "1936–1938"),
        ("  March   2026 ", date(2026, 3, 1), date(2026, 3, 31), "month", "March 2026"),
    ],
)
def test_parse_and_format(text, start, end, precision, written):
    parsed = parse_partial_date(text)
    assert parsed == PartialDate(start, end, precision)
    assert str(parsed) == written
    # The written form reads back to the same date: a round trip.
    assert parse_partial_date(written) == parsed
    assert format_partial_date(start, end, precision) == written


@pytest.mark.parametrize("text", ["", "   ", None])
def test_blank_is_unknown(text):
    assert parse_partial_date(text) is None
    assert format_partial_date(None, None, "") == ""


@pytest.mark.parametrize(
    "text",
    ["2022-02-30", "2026-13", "Smarch 2020", "13/2020", "0000", "abc", "1930s-", "99999",
     "2022-02-24T10:00", "March", "1940-1930", "\x00", "c. 19533"],
)
def test_bad_text_is_a_clear_error(text):
    with pytest.raises(ValidationError) as excinfo:
        parse_partial_date(text)
    message = excinfo.value.messages[0]
    assert "2026" in message or "ends before it starts" in message


def test_check_interval():
    assert check_interval(None, None, "") is None
    assert check_interval(date(2020, 1, 1), date(2020, 12, 31), "year").precision == "year"
    with pytest.raises(ValidationError, match="together"):
        check_interval(date(2020, 1, 1), None, "year")
    with pytest.raises(ValidationError, match="ends before"):
        check_interval(date(2021, 1, 1), date(2020, 1, 1), "year")
    with pytest.raises(ValidationError, match="not a date precision"):
        check_interval(date(2020, 1, 1), date(2020, 1, 1), "week")
