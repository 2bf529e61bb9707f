"""Bad input on the public pages: whatever the query string, no 5xx, no stack trace, no setting.

Hypothesis builds raw query strings from each page's own parameter names (and a few
foreign ones), with NUL bytes, overlong strings, wrong types, SQL and HTML injection,
invalid UTF-8 (percent-encoded bytes), huge and negative numbers, year 10000, bad enums
and repeated parameters; searches around and far beyond Q_MAX_LENGTH, UTF-8-encoded lone
surrogates (%ED%A0%80) and numbers no float holds (1e999, Infinity). Django's test client
re-raises a view's exception, so a crash fails the example even though DEBUG is off.
"""

from urllib.parse import quote_from_bytes

import pytest
from django.conf import settings
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from defections.filtersets import Q_MAX_LENGTH
from defections.models import Agency, Case, Source

PAGING = ["page", "page_size", "ordering"]
CASE_FILTERS = ["q", "form", "agency", "agency_id", "agency_kind", "year_min", "year_max", "period",
                "destination_country", "motive", "response", "verification", "status",
                "updated_after", *PAGING]
PAGES = {
    "/": CASE_FILTERS,
    "/cases/": CASE_FILTERS,
    "/cases/feed/": CASE_FILTERS,  # the list's Atom feed takes its query string
    "/people/": ["q", "updated_after", *PAGING],
    "/agencies/": ["q", "kind", "parent", *PAGING],
    "/sources/": ["q", "kind", "reliability", "language", "updated_after", *PAGING],
    "/about/": ["q", *PAGING],
    "case": PAGING,
    "person": PAGING,
    "agency": PAGING,
    "source": PAGING,
}
SCRIPT = "<script>alert(1)</script>"
NASTY = [
    "", " ", "\x00", "a\x00b", "%00", "' OR 1=1 --", "'; DROP TABLE defections_case; --",
    "1) UNION SELECT password FROM auth_user --", "\\", "%", "_", "*", SCRIPT,
    '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{ settings.SECRET_KEY }}",
    "{% debug %}", "10000", "-1", "0", "-0", "1.5", "1e309", "NaN", "inf", "0x10", "２０２２",
    "99999999999999999999999999", "-99999999999999999999999999", str(2**63), str(-2**63 - 1),
    "[]", "{}", "null", "true", "2022-13-45", "9999-12-31T23:59:59+99:00",
    "0001-01-01T00:00:00+19:22", "10000-01-01", "lateral", "FSB", "fsb", "geographic", "final",
    "war-since-2022", "-date", "--date", "salary", "ZZ", "ru", "Скрипаль", "😀", "\u202e", "\ufeff",
    "a" * 5000, "я" * 3000, "x y " * 500, "1e999", "-1e999", "Infinity", "-Infinity", "1e-999",
    "a" * Q_MAX_LENGTH, "a" * (Q_MAX_LENGTH + 1), "x y " * 7500,
]
# Bytes that no UTF-8 decoder should accept: a lone surrogate (U+D800, U+DFFF) in UTF-8's
# form, a code point past U+10FFFF, an overlong "/", a stray continuation byte.
NOT_UTF_8 = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"a\xed\xa0\x80b", b"\xf4\x90\x80\x80", b"\xc0\xaf",
             b"\x80", b"\xff\xfe"]

raw_bytes = st.one_of(st.binary(max_size=24), st.sampled_from(NOT_UTF_8))
text_values = st.one_of(
    st.sampled_from(NASTY),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.text(st.characters(blacklist_categories=["Cs"]), max_size=40),
    st.integers(min_value=Q_MAX_LENGTH - 2, max_value=30_000).map(lambda n: "q" * n),
)


def encode(value: str | bytes) -> str:
    raw = value if isinstance(value, bytes) else value.encode()
    return quote_from_bytes(raw, safe="")


def query_strings(names):
    keys = st.one_of(st.sampled_from(names), st.sampled_from(["x", "", "page[]", "\x00", "форма"]),
                     raw_bytes)
    values = st.one_of(text_values, raw_bytes)
    pair = st.tuples(keys, values).map(lambda kv: f"{encode(kv[0])}={encode(kv[1])}")
    repeated = st.tuples(st.sampled_from(names), st.lists(text_values, min_size=2, max_size=6)).map(
        lambda kv: "&".join(f"{kv[0]}={encode(v)}" for v in kv[1]))
    return st.lists(st.one_of(pair, repeated, st.sampled_from(["&", "=", "&&==", "a", "%", "%zz"])),
                    max_size=8).map("&".join)


@pytest.fixture
def pages(seeded):
    """Every public page's address: the detail pages of a published record of each kind."""
    case = Case.objects.public().exclude(agency=None).first()
    return {**{url: url for url in PAGES if url.startswith("/")},
            "case": case.get_absolute_url(), "person": case.person.get_absolute_url(),
            "agency": Agency.objects.get(pk=case.agency_id).get_absolute_url(),
            "source": Source.objects.filter(citations__case=case).first().get_absolute_url()}


def assert_safe(response, where):
    assert response.status_code < 500, where
    body = response.content.decode("utf-8", "replace")
    for secret in ["Traceback", settings.SECRET_KEY, "DATABASES", 'File "/',
                   "psycopg2", "django.db.utils", SCRIPT]:
        assert secret not in body, (where, secret)


@pytest.mark.parametrize("page", PAGES)
def test_no_query_string_breaks_a_page(client, pages, page):
    url = pages[page]

    @hypothesis_settings(max_examples=70, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                HealthCheck.too_slow])
    @given(query=query_strings(PAGES[page]))
    def fuzz(query):
        assert_safe(client.get(url, QUERY_STRING=query), f"{url}?{query}")

    fuzz()


RAW_QUERIES = [
    "q=%ff%fe%fd", "q=%c3%28", "form=%80&form=geographic", "%ff=1", "q=%ed%a0%80",
    "q=%00", "agency=fsb%00", "year_min=10000", "year_min=-5&year_max=99999999999999999999",
    "year_min=2022&year_max=1990", "page=0", "page=-1", "page=99999999999999999999",
    "page=last", "page_size=0", "page_size=-3", "page_size=100000000000000000000",
    "ordering=-", "ordering=date&ordering=name&ordering=nope", "status=draft", "status=%ff",
    "destination_country=RU&destination_country=XX", "agency_id=1.5", "agency_id=-1",
    "agency_id=99999999999999999999", "updated_after=9999-99-99", "updated_after=%ff",
    "q=" + "a" * 20000, "q=" + "%d0%af" * 5000, "form=" + "&form=".join(["final"] * 500),
    "q=a%26b%3Dc&&&=&", "q=%25%27%22%3C%3E", "q=%ED%A0%80%ED%B0%80", "%ED%A0%80=%ED%A0%80",
    "year_min=1e999", "year_max=-Infinity", "page=NaN", "page_size=1e999", "q=" + "a" * Q_MAX_LENGTH,
]


@pytest.mark.parametrize("path", ["/cases/", "/cases/feed/", "/people/", "/agencies/", "/sources/", "/",
                                  "/about/"])
def test_raw_query_strings(client, seeded, path):
    for query in RAW_QUERIES:
        assert_safe(client.get(path, QUERY_STRING=query), f"{path}?{query}")


def test_bad_ids_are_a_404(client, seeded):
    for path in ["/cases/99999999999999999999/", "/people/9223372036854775808/", "/agencies/0/",
                 "/sources/-1/", "/cases/1.5/", "/cases/%ff/", "/people/%00/", "/cases/<script>/"]:
        response = client.get(path)
        assert response.status_code == 404, path
        assert_safe(response, path)


@pytest.mark.parametrize("path", ["/cases/", "/people/", "/sources/"])
def test_a_search_over_the_limit_is_a_form_error(client, seeded, path):
    @hypothesis_settings(max_examples=15, deadline=None, database=None,
                         suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(length=st.integers(min_value=Q_MAX_LENGTH + 1, max_value=50_000),
           letter=st.sampled_from(["a", "я", "😀", " x", "%"]))
    def fuzz(length, letter):
        q = "z" + (letter * length)[:length - 2] + "z"  # the form strips spaces at either end
        response = client.get(path, {"q": q})
        assert response.status_code == 400 and "q" in response.context["form"].errors

    fuzz()
